// Package pgtest gives tests a throw-away PostgreSQL database. With
// AIRT_TEST_POSTGRES=postgres://… set, databases are created on that
// server; otherwise the first call starts a private cluster (initdb into a
// temporary folder, listening only on a unix socket there) from the
// PostgreSQL binaries found in PATH or /usr/lib/postgresql/*/bin, running as
// the "postgres" user when the tests run as root (initdb refuses root).
// Without PostgreSQL the tests skip with the reason, unless
// AIRT_TEST_REQUIRE_POSTGRES=1 (CI), where they fail.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// RequireEnv makes a missing PostgreSQL a failure instead of a skip.
const RequireEnv = "AIRT_TEST_REQUIRE_POSTGRES"

// URLEnv names an existing server to create the test databases on.
const URLEnv = "AIRT_TEST_POSTGRES"

var (
	mu       sync.Mutex
	adminURL string
	startErr error
	cluster  *clusterProc
	dbCount  atomic.Int64
)

type clusterProc struct {
	dir, bin string
	asUser   string
	// watchdog stops the cluster and removes its folder when its stdin
	// closes: at Stop, or when the test process dies without calling it
	// (a timeout, a crash), so no cluster outlives its tests.
	watchdog *exec.Cmd
	lifeline io.WriteCloser
}

// URL returns the URL of a new, empty database for this test, dropped
// when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	u, drop, err := NewDatabase()
	if errors.Is(err, ErrUnavailable) {
		if Required() {
			t.Fatalf("PostgreSQL is required (%s=1) but not available: %v", RequireEnv, err)
		}
		t.Skipf("PostgreSQL not available (set %s=postgres://… or install postgresql): %v", URLEnv, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return u
}

// ErrUnavailable: no PostgreSQL to test with.
var ErrUnavailable = errors.New("PostgreSQL unavailable")

// Required reports whether the tests must not skip for want of PostgreSQL.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Available reports whether PostgreSQL can be used (starting the private
// cluster if needed).
func Available() bool {
	mu.Lock()
	defer mu.Unlock()
	if adminURL == "" && startErr == nil {
		adminURL, startErr = start()
	}
	return startErr == nil
}

// NewDatabase creates an empty database and returns its URL and a function
// that drops it.
func NewDatabase() (string, func(), error) {
	if !Available() {
		return "", nil, fmt.Errorf("%w: %v", ErrUnavailable, startErr)
	}
	name := fmt.Sprintf("airt_test_%d_%d", os.Getpid(), dbCount.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to the test PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create the test database: %w", err)
	}
	drop := func() {
		c, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	u, _ := url.Parse(adminURL)
	u.Path = "/" + name
	return u.String(), drop, nil
}

// Stop stops the private cluster, if one was started (call it from
// TestMain after m.Run, or in the Cleanup of the test that used it); a
// later NewDatabase starts another.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	stopLocked()
}

func stopLocked() {
	adminURL, startErr = "", nil
	if cluster == nil {
		return
	}
	cluster.lifeline.Close()
	cluster.watchdog.Wait()
	os.RemoveAll(cluster.dir)
	cluster = nil
}

func (c *clusterProc) command(name string, args ...string) *exec.Cmd {
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb not found in PATH or /usr/lib/postgresql/*/bin")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func start() (string, error) {
	if u := os.Getenv(URLEnv); u != "" {
		return u, nil
	}
	bin, err := findBin()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "airt-pg-")
	if err != nil {
		return "", err
	}
	c := &clusterProc{dir: dir, bin: bin}
	owner := ""
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("running as root and no postgres user to run initdb as: %w", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
		c.asUser, owner = "postgres", "postgres"
	} else if u, err := user.Current(); err == nil {
		owner = u.Username
	}
	data := filepath.Join(dir, "data")
	out, err := c.command(filepath.Join(bin, "initdb"), "-D", data, "-U", owner, "-A", "trust", "--no-sync", "-E", "UTF8").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("initdb: %v: %s", err, lastLine(out))
	}
	// Unix socket only, in the cluster's folder: no port to pick, nothing
	// reachable from the network. fsync off: a throw-away cluster.
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories=%s -c fsync=off -c max_connections=200", dir)
	out, err = c.command(filepath.Join(bin, "pg_ctl"), "start", "-D", data, "-w", "-t", "60", "-l", filepath.Join(dir, "log"), "-o", opts).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return "", fmt.Errorf("pg_ctl start: %v: %s %s", err, lastLine(out), lastLine(log))
	}
	// The watchdog reads its stdin, which only this process writes to:
	// the read returns when this process closes it or dies.
	data = filepath.Join(dir, "data")
	c.watchdog = c.command("sh", "-c", `read _; "$0" stop -D "$1" -m immediate >/dev/null 2>&1; rm -rf "$2"`,
		filepath.Join(bin, "pg_ctl"), data, dir)
	if c.lifeline, err = c.watchdog.StdinPipe(); err == nil {
		err = c.watchdog.Start()
	}
	if err != nil {
		c.command(filepath.Join(bin, "pg_ctl"), "stop", "-D", data, "-m", "immediate").Run()
		os.RemoveAll(dir)
		return "", fmt.Errorf("start the cluster's watchdog: %w", err)
	}
	cluster = c
	u := &url.URL{Scheme: "postgres", User: url.User(owner), Path: "/postgres",
		RawQuery: url.Values{"host": {dir}, "sslmode": {"disable"}}.Encode()}
	conn, err := pgx.Connect(context.Background(), u.String())
	if err != nil {
		stopLocked()
		return "", err
	}
	conn.Close(context.Background())
	return u.String(), nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// Bin returns the path of one of PostgreSQL's programs (pg_dump,
// pg_restore, …) from the installation the private cluster runs from: in
// PATH or /usr/lib/postgresql/*/bin.
func Bin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dir, err := findBin()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %s not found in %s", ErrUnavailable, name, dir)
	}
	return p, nil
}
