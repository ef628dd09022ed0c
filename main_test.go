package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
	"github.com/airt/airt/commands"
	"github.com/airt/airt/internal/pgtest"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

var update = flag.Bool("update", false, "rewrite the golden sections of testdata/script/*.txtar")

// frozenNow is the clock of every script (AIRT_NOW), so ages and TOTP codes
// are stable.
const frozenNow = "2024-01-02T03:04:05Z"

func TestMain(m *testing.M) {
	// Cheap password hashing: the scripts run airt hundreds of times, and
	// production argon2id made up most of the suite's time. The abuse
	// tests (server_abuse_test.go) start servers hashing at production
	// cost: AIRT_TEST_PRODUCTION_ARGON2 in their environment.
	if os.Getenv("AIRT_TEST_PRODUCTION_ARGON2") == "" {
		account.UseTestArgon2()
	}
	testscript.Main(stopPostgresAfter{m}, map[string]func(){
		"airt": func() {
			commands.TestHooks = true
			// The abuse tests measure a server hashing at production cost.
			if os.Getenv("AIRT_TEST_PRODUCTION_ARGON2") == "" {
				account.UseTestArgon2()
			}
			os.Exit(commands.Run(os.Args[1:], commands.OSEnv()))
		},
	})
}

// stopPostgresAfter stops the PostgreSQL cluster the tests started, if any,
// once they have run (testscript.Main exits the process itself).
type stopPostgresAfter struct{ *testing.M }

func (m stopPostgresAfter) Run() int {
	defer pgtest.Stop()
	return m.M.Run()
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

// postgresScripts are the sync scripts that also run with the server's
// state in PostgreSQL (the server migrates its bbolt store into a fresh
// database on first start; see AIRT_TEST_SERVER_POSTGRES). The others
// restore or edit the server's bbolt file between runs, or serve a second
// store, which one database per script does not model.
var postgresScripts = []string{"sync_mfa", "sync_online", "sync_permissions", "sync_two_admins"}

func TestScriptsPostgres(t *testing.T) {
	if !pgtest.Available() {
		if pgtest.Required() {
			t.Fatalf("PostgreSQL is required (%s=1) but not available", pgtest.RequireEnv)
		}
		t.Skipf("PostgreSQL not available (set %s=postgres://… or install postgresql)", pgtest.URLEnv)
	}
	p := scriptParams("")
	for _, name := range postgresScripts {
		p.Files = append(p.Files, filepath.Join("testdata/script", name+".txtar"))
	}
	p.UpdateScripts = false
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		u, drop, err := pgtest.NewDatabase()
		if err != nil {
			return err
		}
		env.Defer(drop)
		env.Setenv("AIRT_TEST_SERVER_POSTGRES", u)
		return nil
	}
	testscript.Run(t, p)
}

func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("AIRT_NOW", frozenNow)
			env.Setenv("COLUMNS", "80")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_DATA_HOME", env.WorkDir+"/data")
			// Scripts use the file keyring unless they test the system one
			// (keyring_system.txtar), so their output is the same on every
			// machine.
			env.Setenv("AIRT_KEYRING", "file")
			if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
				env.Setenv("DBUS_SESSION_BUS_ADDRESS", a)
			} else {
				// Empty would make godbus spawn dbus-launch; point it nowhere.
				env.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/no-session-bus")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"totp":     cmdTOTP,
			"exitcode": cmdExitCode,
			// sync and server scripts (sync_*.txtar)
			"waitserver":   cmdWaitServer,
			"storesecrets": cmdStoreSecrets,
			"holdlock":     cmdHoldLock,
			// one-time code flows (otpcmds_test.go)
			"interact": cmdInteract,
			"smscode":  cmdSMSCode,
			// bulk import/export
			"outbox":   cmdOutbox,
			"bigfield": cmdBigField,
			// store damage (store_damage.txtar)
			"corrupt": cmdCorrupt,
			// store fixtures (fixtures_test.go)
			"mkstore":   cmdMkStore,
			"storedump": cmdStoreDump,
			// PostgreSQL server store (server_postgres.txtar)
			"pgdb": cmdPGDB,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "keyring":
				return systemKeyringAvailable(), nil
			case "postgres":
				// Required (CI): the script runs, and pgdb fails if there is
				// none.
				return pgtest.Required() || pgtest.Available(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	}
}

// cmdPGDB: pgdb VAR creates an empty PostgreSQL database for the script,
// dropped when it ends, and sets $VAR to its URL.
func cmdPGDB(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: pgdb VAR")
	}
	u, drop, err := pgtest.NewDatabase()
	ts.Check(err)
	ts.Defer(drop)
	ts.Setenv(args[0], u)
}

// cmdTOTP: totp SECRET [RFC3339 time | +/-seconds] prints the code for the
// secret at AIRT_NOW (or the given time/offset) and sets $CODE.
func cmdTOTP(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: totp SECRET [TIME|OFFSET]")
	}
	at, err := time.Parse(time.RFC3339, ts.Getenv("AIRT_NOW"))
	ts.Check(err)
	if len(args) == 2 {
		if off, err := strconv.Atoi(args[1]); err == nil {
			at = at.Add(time.Duration(off) * time.Second)
		} else {
			at, err = time.Parse(time.RFC3339, args[1])
			ts.Check(err)
		}
	}
	code, err := otp.Code(strings.TrimSpace(args[0]), at)
	ts.Check(err)
	ts.Setenv("CODE", code)
	fmt.Fprintln(ts.Stdout(), code)
}

// cmdExitCode: exitcode N PROG ARGS... runs PROG and checks its exit status
// is exactly N (testscript's `! exec` only says "non-zero").
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exec %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdBigField: bigfield OUT HEAD SIZE TAIL writes OUT as the file HEAD
// without its final newline (txtar adds one), SIZE bytes of 'x', then the
// file TAIL: an import file with one huge field.
func cmdBigField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: bigfield OUT HEAD SIZE TAIL")
	}
	size, err := strconv.Atoi(args[2])
	ts.Check(err)
	head, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	tail, err := os.ReadFile(ts.MkAbs(args[3]))
	ts.Check(err)
	out := append(bytes.TrimSuffix(head, []byte("\n")), strings.Repeat("x", size)...)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), append(out, tail...), 0o600))
}

// systemKeyringAvailable reports whether a Secret Service answers here (CI
// runs the tests under dbus-run-session with gnome-keyring).
func systemKeyringAvailable() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	out, err := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").CombinedOutput()
	if err != nil {
		return false
	}
	return strings.Contains(string(out), "boolean true")
}

// ---- sync and server scripts -------------------------------------------

// cmdWaitServer: waitserver ADDRFILE waits for `airt server --addr-file
// ADDRFILE` (started in the background) to write its URL, then sets $SERVER
// (the URL), $SERVERADDR (host:port, to restart on the same port) and
// $SERVERPORT (the port alone). The
// wait is bounded; it polls, it asserts nothing about timing.
func cmdWaitServer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: waitserver ADDRFILE")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			url := strings.TrimSpace(string(b))
			ts.Setenv("SERVER", url)
			addr := strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
			ts.Setenv("SERVERADDR", addr)
			ts.Setenv("SERVERPORT", addr[strings.LastIndex(addr, ":")+1:])
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("server did not write %s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdStoreSecrets: storesecrets DBFILE lists the users of a store (not in
// use by another process) with whether their password hash and TOTP secret
// are present: "username hash=yes|no mfa_secret=yes|no", in ls order. It
// shows which secrets a sync brought into a store.
func cmdStoreSecrets(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: storesecrets DBFILE")
	}
	s, err := localstore.Open(ts.MkAbs(args[0]), localstore.Options{LockTimeout: 5 * time.Second})
	ts.Check(err)
	defer s.Close()
	yes := map[bool]string{true: "yes", false: "no"}
	ts.Check(s.View(func(tx *localstore.Tx) error {
		return tx.ForEachUser(func(u *account.User) error {
			fmt.Fprintf(ts.Stdout(), "%s hash=%s mfa_secret=%s\n", u.Username, yes[u.PasswordHash != ""],
				yes[u.MFA != nil && len(u.MFA.SealedSecret) > 0])
			return nil
		})
	}))
}

// cmdHoldLock: holdlock FILE opens the bbolt store FILE and keeps it open
// (and so locked) until the script ends, like a long-running airt would.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: holdlock FILE")
	}
	db, err := bolt.Open(ts.MkAbs(args[0]), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	ts.Check(err)
	ts.Defer(func() { db.Close() })
}

// ---- bulk (import/export) test commands ----

// cmdOutbox: outbox [STORE] prints the store's queued mutations (default:
// the script's store, as a bare airt uses), one per line: "seq op target
// actor" (actor "-" when none), then "N queued". Scripts use it to show what
// was queued, and that a failed command or a re-run queued nothing.
func cmdOutbox(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) > 1 {
		ts.Fatalf("usage: outbox [STORE]")
	}
	path := scriptStorePath(ts)
	if len(args) == 1 {
		path = ts.MkAbs(args[0])
	}
	s, err := localstore.Open(path, localstore.Options{LockTimeout: time.Second})
	ts.Check(err)
	defer s.Close()
	n := 0
	ts.Check(s.View(func(tx *localstore.Tx) error {
		return tx.Outbox(0, false, func(m *localstore.Mutation) error {
			n++
			actor := m.Actor
			if actor == "" {
				actor = "-"
			}
			fmt.Fprintf(ts.Stdout(), "%d %s %s %s\n", m.Seq, m.Op, m.Target, actor)
			return nil
		})
	}))
	fmt.Fprintf(ts.Stdout(), "%d queued\n", n)
}

// cmdCorrupt damages a store file the ways disks and copies do:
//
//	corrupt empty FILE          cut it to 0 bytes
//	corrupt truncate FILE SIZE  cut it to SIZE bytes
//	corrupt zero FILE TEXT      zero every 4 KiB page holding TEXT
//	corrupt flip FILE TEXT      flip one bit in the middle of every TEXT
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: corrupt empty|truncate|zero|flip FILE [ARG]")
	}
	path := ts.MkAbs(args[1])
	data, err := os.ReadFile(path)
	ts.Check(err)
	arg := func() string {
		if len(args) != 3 {
			ts.Fatalf("corrupt %s: needs FILE and one argument", args[0])
		}
		return args[2]
	}
	switch args[0] {
	case "empty":
		data = nil
	case "truncate":
		n, err := strconv.Atoi(arg())
		ts.Check(err)
		data = data[:n]
	case "zero", "flip":
		needle := []byte(arg())
		n := 0
		for i := bytes.Index(data, needle); i >= 0; {
			n++
			if args[0] == "zero" {
				pg := i / 4096
				clear(data[pg*4096 : (pg+1)*4096])
			} else {
				data[i+len(needle)/2] ^= 1
			}
			j := bytes.Index(data[i+1:], needle)
			if j < 0 {
				break
			}
			i += 1 + j
		}
		if n == 0 {
			ts.Fatalf("corrupt %s: %q not in %s", args[0], needle, path)
		}
	default:
		ts.Fatalf("corrupt: unknown damage %q", args[0])
	}
	ts.Check(os.WriteFile(path, data, 0o600))
}
