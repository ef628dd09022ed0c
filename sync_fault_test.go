package main

// Fault injection for sync, because a queue is only as good as its worst
// crash: a push of 1,000
// mutations while the client (a real `airt sync` process) is killed with
// SIGKILL at many points and the server is killed and restarted mid-push;
// after a final sync the server holds every change exactly once.

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/server"
)

// faultEnv is the environment of the airt processes of the fault test.
func faultEnv(dir string) []string {
	return append(os.Environ(), "AIRT_KEYRING=file", "HOME="+dir, "XDG_DATA_HOME="+dir+"/data",
		"AIRT_NOW="+frozenNow, "NO_COLOR=1", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/no-session-bus")
}

// faultServer is a running `airt server` whose log is read for the number of
// mutations it applied.
type faultServer struct {
	cmd     *exec.Cmd
	url     string
	applied *atomic.Int64
	grew    chan struct{} // a value each time applied grows
	logDone chan struct{}
}

var appliedRE = regexp.MustCompile(`method=POST path=/v1/push status=200 .* applied=(\d+)`)

func startFaultServer(t *testing.T, dir, db, listen string, applied *atomic.Int64, grew chan struct{}) *faultServer {
	t.Helper()
	addrFile := filepath.Join(dir, fmt.Sprintf("addr-%d", time.Now().UnixNano()))
	cmd := exec.Command("airt", "--db", db, "server", "--listen", listen, "--addr-file", addrFile)
	cmd.Env = faultEnv(dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &faultServer{cmd: cmd, applied: applied, grew: grew, logDone: make(chan struct{})}
	go func() {
		defer close(s.logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := appliedRE.FindStringSubmatch(sc.Text()); m != nil {
				n, _ := strconv.Atoi(m[1])
				if n > 0 {
					applied.Add(int64(n))
					select {
					case grew <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			s.url = strings.TrimSpace(string(b))
			return s
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *faultServer) kill() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
	<-s.logDone
}

func (s *faultServer) stop(t *testing.T) {
	s.cmd.Process.Signal(os.Interrupt)
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("server exit: %v", err)
	}
	<-s.logDone
}

// storeKey returns the sealing key of the store at path, as airt keeps it in
// the file keyring, creating it like airt does when it is not there yet.
func storeKey(t *testing.T, path, id string) []byte {
	creds, err := credentials.Open(credentials.Config{StoreID: id, StorePath: path, Mode: credentials.ModeFile})
	if err != nil {
		t.Fatal(err)
	}
	v, err := creds.Get("store-key")
	if errors.Is(err, credentials.ErrNotFound) {
		k, err := otp.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if err := creds.Set("store-key", base64.StdEncoding.EncodeToString(k)); err != nil {
			t.Fatal(err)
		}
		return k
	}
	if err != nil {
		t.Fatal(err)
	}
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// queueMutations makes n changes in the client store as admin: creates of
// n/10 users, then updates of their last names, round-robin. It returns the
// mutation ids and the last name each user must end with.
func queueMutations(t *testing.T, db string, n int) (ids []string, want map[string]string) {
	var s *localstore.Store
	var err error
	s, err = localstore.Open(db, localstore.Options{Key: func(id string, _ bool) ([]byte, error) { return storeKey(t, db, id), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hash, err := account.HashPassword("fault password")
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{}
	var users []string
	err = s.Update(func(tx *localstore.Tx) error {
		admin, err := tx.UserByUsername("admin")
		if err != nil {
			return err
		}
		for i := range n {
			var m *localstore.Mutation
			if i < n/10 {
				name := fmt.Sprintf("user%03d", i)
				m = &localstore.Mutation{Op: localstore.OpCreate, Target: localstore.NewUUID(), Args: localstore.Args{
					Username: localstore.Str(name), Email: localstore.Str(name + "@example.com"),
					FirstName: localstore.Str("Fault"), LastName: localstore.Str("v0"),
					SubscriptionType: localstore.Str("small"), SuperUser: localstore.Bool(false),
					Secrets: localstore.Secrets{PasswordHash: hash}}}
				users = append(users, m.Target)
				want[m.Target] = "v0"
			} else {
				target := users[i%len(users)]
				last := fmt.Sprintf("v%d", i)
				m = &localstore.Mutation{Op: localstore.OpUpdate, Target: target, Args: localstore.Args{LastName: localstore.Str(last)}}
				want[target] = last
			}
			m.Actor = admin.UUID
			if m.Op != localstore.OpCreate {
				u, err := tx.User(m.Target)
				if err != nil {
					return err
				}
				m.BaseVersion = u.Version
			}
			if _, err := tx.Apply(admin, m); err != nil {
				return err
			}
			if err := tx.Enqueue(m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, want
}

func TestSyncFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: spawns real processes")
	}
	dir := t.TempDir()
	env := faultEnv(dir)
	srvDB, cliDB := filepath.Join(dir, "srv.db"), filepath.Join(dir, "a.db")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("airt", args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("airt %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("--db", srvDB, "user", "create", "-un", "admin", "-fn", "Ada", "-ln", "Admin", "-e", "admin@example.com",
		"-p", "admin password", "-st", "large", "-su", "-q")
	var applied atomic.Int64
	grew := make(chan struct{}, 1)
	srv := startFaultServer(t, dir, srvDB, "127.0.0.1:0", &applied, grew)
	defer func() { srv.cmd.Process.Kill() }()
	addr := strings.TrimPrefix(srv.url, "http://")
	run("--db", cliDB, "token", "-s", srv.url, "-u", "admin", "-p", "admin password", "-q")

	const total = 1000
	ids, want := queueMutations(t, cliDB, total)

	// waitGrowth waits until the server applied at least n more mutations
	// than before, or the client exited; it reports whether it exited.
	waitGrowth := func(before int64, n int64, exited <-chan error) bool {
		timeout := time.After(2 * time.Minute)
		for applied.Load() < before+n {
			select {
			case <-grew:
			case <-exited:
				return true
			case <-timeout:
				t.Fatalf("no progress: applied %d", applied.Load())
			}
		}
		return false
	}
	startSync := func() (*exec.Cmd, chan error) {
		cmd := exec.Command("airt", "--db", cliDB, "sync", "--batch", "20")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		return cmd, exited
	}

	kills, serverKilled := 0, false
	for k := range 10 {
		cmd, exited := startSync()
		// Kill at a varied point: after the server applied 1 to 40 more.
		if waitGrowth(applied.Load(), int64(1+(k*13)%40), exited) {
			continue
		}
		cmd.Process.Kill()
		<-exited
		kills++
		if k == 5 {
			// Kill the server mid-push and restart it on the same address:
			// the client in flight retries with backoff and carries on, and
			// is then killed too.
			cmd, exited := startSync()
			if waitGrowth(applied.Load(), 1, exited) {
				continue
			}
			srv.kill()
			srv = startFaultServer(t, dir, srvDB, addr, &applied, grew)
			if waitGrowth(applied.Load(), 1, exited) {
				continue
			}
			cmd.Process.Kill()
			<-exited
			kills++
			serverKilled = true
		}
	}
	if kills < 10 || !serverKilled {
		t.Errorf("only %d clients were killed mid-push (server killed: %v)", kills, serverKilled)
	}
	out := run("--db", cliDB, "sync")
	if !strings.HasPrefix(out, "pushed ") {
		t.Errorf("final sync: %s", out)
	}
	srv.stop(t)

	// Every change exactly once on the server, and the final state right.
	cli, err := localstore.Open(cliDB, localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storeID := cli.ID()
	if err := cli.View(func(tx *localstore.Tx) error {
		if n := tx.OutboxLen(); n != 0 {
			t.Errorf("%d mutations left in the client's outbox", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	s, err := localstore.Open(srvDB, localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[string]int{}
	err = s.View(func(tx *localstore.Tx) error {
		var prev uint64
		return server.ForEachChange(tx, func(rev uint64, store, mutation string) error {
			if rev != prev+1 {
				t.Errorf("revision %d after %d", rev, prev)
			}
			prev = rev
			if store == storeID {
				seen[mutation]++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != total {
		t.Errorf("server holds %d distinct changes of the client, want %d", len(seen), total)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("mutation %s applied %d times", id, seen[id])
		}
	}
	err = s.View(func(tx *localstore.Tx) error {
		for uuid, last := range want {
			u, err := tx.User(uuid)
			if err != nil {
				return err
			}
			if u.LastName != last {
				t.Errorf("user %s: last name %q, want %q", u.Username, u.LastName, last)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d client kills, 1 server kill; %d applications logged", kills, applied.Load())
}
