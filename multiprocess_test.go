package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airt/airt/internal/pgtest"
	"github.com/airt/airt/localstore"
)

// TestPostgresTwoProcesses: two `airt server` processes on one PostgreSQL
// database; 8 stores push their queued creates through both at once while a
// ninth store keeps pulling, and one process is killed with SIGKILL as soon
// as it has answered its first push. Once a process serves that address
// again and every store has synced, each store holds every user, and the
// database holds each change exactly once.
func TestPostgresTwoProcesses(t *testing.T) {
	pgURL := pgtest.URL(t)
	const stores, perStore = 8, 250
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// testscript.Main runs airt when the binary is called "airt".
	airt := filepath.Join(dir, "airt")
	if err := os.Symlink(exe, airt); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "AIRT_NOW="+frozenNow, "AIRT_KEYRING=file", "NO_COLOR=1",
		"HOME="+filepath.Join(dir, "home"), "XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/no-session-bus")
	command := func(db string, args ...string) *exec.Cmd {
		if db != "" {
			args = append([]string{"--db", db}, args...)
		}
		cmd := exec.Command(airt, args...)
		cmd.Env = env
		return cmd
	}
	run := func(db string, args ...string) string {
		t.Helper()
		out, err := command(db, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("airt --db %s %s: %v\n%s", db, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	srv := filepath.Join(dir, "srv.db")
	key := filepath.Join(dir, "server.key")
	run(srv, "user", "create", "-un", "admin", "-fn", "Ada", "-ln", "Admin", "-e", "admin@example.com",
		"-p", "admin password", "-st", "large", "-su", "-q")
	run(srv, "server", "migrate", "--from", srv, "--to", pgURL, "--key-file", key)

	listening := regexp.MustCompile(`^listening on (\S+) `)
	// start runs a server process on the database at listen; it returns its
	// URL and a channel that gets a value when it has answered a push.
	start := func(listen string) (*exec.Cmd, string, <-chan struct{}) {
		t.Helper()
		cmd := command("", "server", "--listen", listen, "--key-file", key)
		cmd.Env = append(cmd.Env, "AIRT_SERVER_DB="+pgURL)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		line, err := bufio.NewReader(stdout).ReadString('\n')
		m := listening.FindStringSubmatch(line)
		if m == nil {
			msg, _ := io.ReadAll(stderr)
			t.Fatalf("server start: %q %v\n%s", line, err, msg)
		}
		go io.Copy(io.Discard, stdout)
		pushed := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			once := gosync.Once{}
			for sc.Scan() {
				// The request log line (server/obs): … path=/v1/push status=200 …
				if l := sc.Text(); strings.Contains(l, " path=/v1/push ") && strings.Contains(l, " status=200 ") {
					once.Do(func() { close(pushed) })
				}
			}
		}()
		return cmd, m[1], pushed
	}
	s1, url1, s1Pushed := start("127.0.0.1:0")
	_, url2, _ := start("127.0.0.1:0")

	db := func(i int) string { return filepath.Join(dir, fmt.Sprintf("s%d.db", i)) }
	for i := range stores + 1 {
		url := url1 // the even stores push through process 1, killed below
		if i%2 == 1 || i == stores {
			url = url2
		}
		run(db(i), "token", "-s", url, "-u", "admin", "-p", "admin password", "-q")
		if i == stores {
			break // the puller
		}
		var csv strings.Builder
		csv.WriteString("username,first_name,last_name,email,password,subscription_type\n")
		for j := range perStore {
			fmt.Fprintf(&csv, "u%d_%d,First,Last,u%d_%d@example.com,password1,small\n", i, j, i, j)
		}
		path := filepath.Join(dir, fmt.Sprintf("s%d.csv", i))
		if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		run(db(i), "user", "import", path, "-q")
	}

	// All at once: 8 pushers, a puller that syncs until they are done, and
	// the kill of process 1 right after its first answered push.
	var wg gosync.WaitGroup
	var cutMu gosync.Mutex
	cut := 0 // stores whose sync the kill interrupted
	done := make(chan struct{})
	for i := range stores {
		wg.Go(func() {
			// A store of the killed process fails (exit 6) or finishes; it
			// syncs again below.
			out, err := command(db(i), "sync", "--retries", "0").CombinedOutput()
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee) && ee.ExitCode() == 6:
				cutMu.Lock()
				cut++
				cutMu.Unlock()
			case err != nil:
				t.Errorf("store %d sync: %v\n%s", i, err, out)
			}
		})
	}
	pulls := 0
	pullerDone := make(chan struct{})
	go func() {
		defer close(pullerDone)
		for {
			select {
			case <-done:
				return
			default:
			}
			out, err := command(db(stores), "sync").CombinedOutput()
			if err != nil {
				t.Errorf("puller sync: %v\n%s", err, out)
				return
			}
			pulls++
		}
	}()
	select {
	case <-s1Pushed:
	case <-time.After(2 * time.Minute):
		t.Fatal("process 1 answered no push")
	}
	s1.Process.Signal(os.Kill)
	s1.Wait()
	wg.Wait()
	close(done)
	<-pullerDone

	// Process 1 comes back on its address; every store syncs until nothing
	// is queued (a push whose answer the kill lost is answered "duplicate").
	start(strings.TrimPrefix(url1, "http://"))
	for i := range stores + 1 {
		run(db(i), "sync")
	}
	for i := range stores + 1 {
		run(db(i), "sync") // pull what the later stores pushed
	}

	want := 1 + stores*perStore
	for i := range stores + 1 {
		s, err := localstore.Open(db(i), localstore.Options{LockTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var n, queued int
		s.View(func(tx *localstore.Tx) error {
			n, queued = tx.CountUsers(), tx.OutboxLen()
			return nil
		})
		s.Close()
		if n != want || queued != 0 {
			t.Errorf("store %d: %d users, %d queued; want %d users, nothing queued", i, n, queued, want)
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var users, changes, distinct, rev int
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM airt_users), (SELECT count(*) FROM airt_changes),
		(SELECT count(DISTINCT (store, seq)) FROM airt_changes WHERE store <> ''), (SELECT rev FROM airt_version)`).
		Scan(&users, &changes, &distinct, &rev)
	if err != nil {
		t.Fatal(err)
	}
	if users != want || changes != want || distinct != want-1 || rev != want {
		t.Errorf("database: %d users, %d changes (%d distinct pushed), revision %d; want %d, %d (%d), %d",
			users, changes, distinct, rev, want, want, want-1, want)
	}
	t.Logf("%d pulls ran during the pushes; the kill cut %d stores' syncs short", pulls, cut)
}
