package credentials

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// These tests replace package variables (the keyring functions, fileExists) and go-keyring's
// global provider (MockInit), so none of them runs in parallel.

const testDBus = "unix:path=/nonexistent/airt-test-bus"

// env returns a Getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// withBus is an environment in which a session bus seems to exist.
var withBus = env(map[string]string{"DBUS_SESSION_BUS_ADDRESS": testDBus})

// mockInit is keyring.MockInit (go-keyring's in-memory provider) with the Secret Service hooks
// (labels, lock state) off, so that nothing reaches a real D-Bus.
func mockInit(t *testing.T) {
	keyring.MockInit()
	setLabeled, lockState := keyringSetLabeled, keyringLockState
	keyringSetLabeled = nil
	keyringLockState = func(string) (bool, bool, error) { return false, false, nil }
	t.Cleanup(func() { keyringSetLabeled, keyringLockState = setLabeled, lockState })
}

// fakeKeyring is an in-memory keyring whose calls can be made to fail or hang.
type fakeKeyring struct {
	t       *testing.T
	entries map[string]map[string]string // service → user → value
	err     error                        // returned by every call when set
	hang    chan struct{}                // every call blocks until closed when set
	forbid  bool                         // any call fails the test
	calls   int
	// locked makes the keyring locked; lockedEntries is what its search
	// answers while locked (whether the store has entries there).
	locked, lockedEntries bool
	labels                map[string]string // service/user → label

	mu sync.Mutex // calls that time out keep running beside later ones
}

// install makes the package use k, and /run/user/<uid>/bus exist when runUserBus is true,
// until the test ends.
func (k *fakeKeyring) install(t *testing.T, runUserBus bool) *fakeKeyring {
	t.Helper()
	k.t = t
	if k.entries == nil {
		k.entries = map[string]map[string]string{}
	}
	get, set, del, exists := keyringGet, keyringSet, keyringDelete, fileExists
	setLabeled, lockState := keyringSetLabeled, keyringLockState
	t.Cleanup(func() {
		keyringGet, keyringSet, keyringDelete, fileExists = get, set, del, exists
		keyringSetLabeled, keyringLockState = setLabeled, lockState
		if k.hang != nil {
			close(k.hang)
		}
	})
	keyringLockState = func(string) (bool, bool, error) {
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.locked, k.locked && k.lockedEntries, nil
	}
	keyringGet = func(service, user string) (string, error) {
		if err := k.enter(); err != nil {
			return "", err
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		v, ok := k.entries[service][user]
		if !ok {
			return "", keyring.ErrNotFound
		}
		return v, nil
	}
	fakeSet := func(service, user, value string) error {
		if err := k.enter(); err != nil {
			return err
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.entries[service] == nil {
			k.entries[service] = map[string]string{}
		}
		k.entries[service][user] = value
		return nil
	}
	keyringSet = fakeSet
	// Calls that time out outlive the test: they use fakeSet itself, never
	// the package variable the cleanup restores.
	keyringSetLabeled = func(service, user, label, value string) error {
		k.mu.Lock()
		if k.labels == nil {
			k.labels = map[string]string{}
		}
		k.labels[service+"/"+user] = label
		k.mu.Unlock()
		return fakeSet(service, user, value)
	}
	keyringDelete = func(service, user string) error {
		if err := k.enter(); err != nil {
			return err
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if _, ok := k.entries[service][user]; !ok {
			return keyring.ErrNotFound
		}
		delete(k.entries[service], user)
		return nil
	}
	fileExists = func(path string) bool {
		return runUserBus && strings.HasPrefix(path, "/run/user/") && filepath.Base(path) == "bus"
	}
	return k
}

func (k *fakeKeyring) enter() error {
	k.mu.Lock()
	k.calls++
	forbid, hang := k.forbid, k.hang
	k.mu.Unlock()
	if forbid {
		k.t.Errorf("the keyring was called although it must not be")
		return errors.New("forbidden keyring call")
	}
	if hang != nil {
		<-hang
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

// storePath returns a store path in a fresh directory.
func storePath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "airt.db")
}

func mustOpen(t *testing.T, cfg Config) Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open(%+v): %v", cfg, err)
	}
	return s
}

// roundTrip checks Set, Get, overwrite, Delete, Delete again and Get of a missing name.
func roundTrip(t *testing.T, s Store) {
	t.Helper()
	if err := s.Set("session", "tok-1"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := s.Set("session", "tok-2 ünïcode"); err != nil {
		t.Fatalf("Set (overwrite): %v", err)
	}
	if v, err := s.Get("session"); err != nil || v != "tok-2 ünïcode" {
		t.Fatalf("Get = %q, %v; want %q", v, err, "tok-2 ünïcode")
	}
	if err := s.Delete("session"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Delete("session"); err != nil {
		t.Fatalf("Delete of an absent entry = %v; want nil", err)
	}
	if _, err := s.Get("session"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v; want ErrNotFound", err)
	}
}

func TestOpenRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" means no error
	}{
		{"unknown mode", Config{StoreID: "s", StorePath: "/x/airt.db", Mode: "keychain"},
			`AIRT_KEYRING: unknown value "keychain"; use "system", "file", or leave it empty`},
		{"mode is case-sensitive", Config{StoreID: "s", StorePath: "/x/airt.db", Mode: "File"}, `unknown value "File"`},
		{"empty store id", Config{StorePath: "/x/airt.db"}, "credentials: empty store id"},
		{"empty store path in file mode", Config{StoreID: "s", Mode: "file"}, "credentials: empty store path"},
		{"empty store path in automatic mode", Config{StoreID: "s"}, "credentials: empty store path"},
		{"system mode needs no store path", Config{StoreID: "s", Mode: "system"}, ""},
		{"auto", Config{StoreID: "s", StorePath: "/x/airt.db"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Open: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Open error = %v; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFileBackend(t *testing.T) {
	tests := []struct {
		name     string
		existing string      // file content before Open; "" means no file
		perm     os.FileMode // its mode
	}{
		{"new file", "", 0},
		{"existing 0644 file is restricted", `{"airt:other":{"k":"v"}}`, 0o644},
		{"existing 0666 empty file", "", 0o666},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			new(fakeKeyring).install(t, false).forbid = true
			path := storePath(t)
			file := path + ".keyring"
			if tt.perm != 0 {
				if err := os.WriteFile(file, []byte(tt.existing), tt.perm); err != nil {
					t.Fatal(err)
				}
				os.Chmod(file, tt.perm) // past the umask
			}
			var warn bytes.Buffer
			s := mustOpen(t, Config{StoreID: "one", StorePath: path, Mode: "file", Warn: &warn})
			if got, want := s.Backend(), "file:"+file; got != want {
				t.Errorf("Backend = %q; want %q", got, want)
			}
			if _, err := s.Get("session"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get of a missing entry = %v; want ErrNotFound", err)
			}
			roundTrip(t, s)
			if err := s.Set("key", "k1"); err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o600 {
				t.Errorf("file mode = %04o; want 0600", perm)
			}
			if warn.Len() != 0 {
				t.Errorf("file mode wrote a warning: %q", warn.String())
			}
			// A second Store (another process) reads what the first wrote.
			if v, err := mustOpen(t, Config{StoreID: "one", StorePath: path, Mode: "file"}).Get("key"); v != "k1" || err != nil {
				t.Errorf("Get from a new Store = %q, %v; want k1", v, err)
			}
			if strings.Contains(tt.existing, "airt:other") {
				if v, err := mustOpen(t, Config{StoreID: "other", StorePath: path, Mode: "file"}).Get("k"); v != "v" || err != nil {
					t.Errorf("the other store's entry = %q, %v; want it kept", v, err)
				}
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("files beside the store = %v; want only the .keyring file (no temporary file left)", entries)
			}
		})
	}
}

func TestFileBackendFixesModeOnRead(t *testing.T) {
	path := storePath(t)
	file := path + ".keyring"
	if err := os.WriteFile(file, []byte(`{"airt:one":{"session":"tok"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(file, 0o644)
	if v, err := mustOpen(t, Config{StoreID: "one", StorePath: path, Mode: "file"}).Get("session"); v != "tok" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 {
		t.Errorf("after a read the mode is %04o; want 0600", info.Mode().Perm())
	}
}

func TestFileBackendRejectsCorruptFile(t *testing.T) {
	path := storePath(t)
	if err := os.WriteFile(path+".keyring", []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, Config{StoreID: "one", StorePath: path, Mode: "file"})
	if _, err := s.Get("x"); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("Get = %v; want a 'not valid JSON' error", err)
	}
	if err := s.Set("x", "y"); err == nil {
		t.Errorf("Set over a corrupt file succeeded; it must not overwrite it")
	}
}

func TestStoresDoNotSeeEachOther(t *testing.T) {
	tests := []struct {
		name  string
		mode  string
		setup func(t *testing.T)
	}{
		{"file", "file", func(t *testing.T) { new(fakeKeyring).install(t, false).forbid = true }},
		{"system (fake)", "system", func(t *testing.T) { new(fakeKeyring).install(t, false) }},
		{"system (keyring.MockInit)", "system", func(t *testing.T) { mockInit(t) }},
		{"automatic (keyring.MockInit)", "", func(t *testing.T) { mockInit(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			path := storePath(t) // one folder and one file: only the id tells the stores apart
			a := mustOpen(t, Config{StoreID: "a-" + t.Name(), StorePath: path, Mode: tt.mode, Getenv: withBus})
			b := mustOpen(t, Config{StoreID: "b-" + t.Name(), StorePath: path, Mode: tt.mode, Getenv: withBus})
			if err := a.Set("session", "for-a"); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Get("session"); !errors.Is(err, ErrNotFound) {
				t.Errorf("store b sees store a's entry: %v", err)
			}
			if err := b.Set("session", "for-b"); err != nil {
				t.Fatal(err)
			}
			if err := b.Delete("session"); err != nil {
				t.Fatal(err)
			}
			if v, err := a.Get("session"); v != "for-a" || err != nil {
				t.Errorf("store a's entry after b's Set and Delete = %q, %v; want for-a", v, err)
			}
			roundTrip(t, a)
		})
	}
}

func TestNotFoundMapping(t *testing.T) {
	mockInit(t)
	s := mustOpen(t, Config{StoreID: "nf", Mode: "system", Getenv: withBus})
	_, err := s.Get("session")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v; want ErrNotFound", err)
	}
	if errors.Is(err, ErrUnavailable) {
		t.Errorf("not-found also reads as unavailable: %v", err)
	}
	if got, want := err.Error(), `"session": not found in the keyring`; got != want {
		t.Errorf("error = %q; want %q", got, want)
	}
	if err := s.Delete("session"); err != nil {
		t.Errorf("Delete of an absent entry = %v; want nil", err)
	}
}

func TestSystemModeErrors(t *testing.T) {
	dbusErr := errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	const hint = "; set AIRT_KEYRING=file to keep credentials in a 0600 file beside the store"
	tests := []struct {
		name        string
		keyring     *fakeKeyring
		getenv      func(string) string
		want        string // the whole error of Get, Set and Delete
		unavailable bool
	}{
		{"no Secret Service", &fakeKeyring{err: dbusErr}, withBus,
			"OS keyring unavailable: " + dbusErr.Error() + hint, true},
		{"no session bus: go-keyring is not called", &fakeKeyring{forbid: true}, env(nil),
			"OS keyring unavailable: no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set" + hint, true},
		{"autolaunch address counts as no bus", &fakeKeyring{forbid: true},
			env(map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:"}),
			"OS keyring unavailable: no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set" + hint, true},
		{"hanging prompt times out", &fakeKeyring{hang: make(chan struct{})}, withBus,
			"OS keyring unavailable: no answer within 30ms (a locked keyring waiting for a prompt?)" + hint, true},
		{"value too big is not unavailability", &fakeKeyring{err: keyring.ErrSetDataTooBig}, withBus,
			`"session": value too big for the OS keyring: data passed to Set was too big`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.keyring.install(t, false)
			// Only the hanging keyring gets the short timeout: a keyring that
			// answers must never be taken for a hanging one, however loaded
			// the machine. The hanging case returning at all shows the
			// timeout holds (without it the call would wait forever).
			timeout := DefaultTimeout
			if tt.keyring.hang != nil {
				timeout = 30 * time.Millisecond
			}
			s := mustOpen(t, Config{StoreID: "sys", Mode: "system", Timeout: timeout, Getenv: tt.getenv})
			if got := s.Backend(); got != "system" {
				t.Errorf("Backend = %q; want system", got)
			}
			_, getErr := s.Get("session")
			errs := map[string]error{"Get": getErr, "Set": s.Set("session", "v"), "Delete": s.Delete("session")}
			for op, err := range errs {
				if err == nil || err.Error() != tt.want {
					t.Errorf("%s error = %v\nwant %s", op, err, tt.want)
				}
				if errors.Is(err, ErrUnavailable) != tt.unavailable {
					t.Errorf("%s: errors.Is(err, ErrUnavailable) = %v; want %v", op, !tt.unavailable, tt.unavailable)
				}
			}
		})
	}
}

func TestAutoMode(t *testing.T) {
	const id = "auto"
	warnLine := func(cause, path string) string {
		return "warning: no OS keyring available (" + cause + "); keeping credentials in " + path + ".keyring (mode 0600)\n"
	}
	tests := []struct {
		name       string
		keyring    *fakeKeyring
		runUserBus bool                // /run/user/<uid>/bus exists
		getenv     func(string) string //
		fileBefore string              // content of the .keyring file before Open; "" means none
		system     bool                // want the OS keyring chosen
		warning    string              // want this warning (with %s for the store path); "" means none
	}{
		{name: "no session bus: file, one warning, go-keyring never called",
			keyring: &fakeKeyring{forbid: true}, getenv: env(nil), warning: "no D-Bus session bus"},
		{name: "/run/user/<uid>/bus counts as a bus",
			runUserBus: true, getenv: env(map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}), system: true},
		{name: "failing keyring: file, one warning",
			keyring: &fakeKeyring{err: errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'\nmore")},
			getenv:  withBus, warning: "failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"},
		{name: "hanging keyring: file after the timeout, one warning",
			keyring: &fakeKeyring{hang: make(chan struct{})}, getenv: withBus, warning: "no answer within 30ms"},
		{name: "working keyring: system, no warning",
			getenv: withBus, system: true},
		{name: "file with entries for this store wins, silently, keyring not probed",
			keyring: &fakeKeyring{forbid: true}, getenv: withBus, fileBefore: `{"airt:auto":{"old":"kept"}}`},
		{name: "file with only another store's entries: keyring probed",
			getenv: withBus, fileBefore: `{"airt:other":{"old":"x"}}`, system: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.keyring
			if k == nil {
				k = new(fakeKeyring)
			}
			k.install(t, tt.runUserBus)
			path := storePath(t)
			if tt.fileBefore != "" {
				if err := os.WriteFile(path+".keyring", []byte(tt.fileBefore), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var warn bytes.Buffer
			// The short timeout only where the keyring hangs, so that a
			// loaded machine never turns an answering keyring into a fallback.
			timeout := DefaultTimeout
			if k.hang != nil {
				timeout = 30 * time.Millisecond
			}
			s := mustOpen(t, Config{StoreID: id, StorePath: path, Timeout: timeout, Getenv: tt.getenv, Warn: &warn})
			if warn.Len() != 0 || k.calls != 0 {
				t.Fatalf("Open did work before first use: warning %q, %d keyring calls", warn.String(), k.calls)
			}
			if _, err := s.Get("session"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("first Get = %v; want ErrNotFound", err)
			}
			roundTrip(t, s)
			if err := s.Set("key", "sealing-key"); err != nil {
				t.Fatal(err)
			}
			if v, err := s.Get("key"); v != "sealing-key" || err != nil {
				t.Fatalf("Get = %q, %v", v, err)
			}

			wantBackend := "file:" + path + ".keyring"
			if tt.system {
				wantBackend = "system"
			}
			if got := s.Backend(); got != wantBackend {
				t.Errorf("Backend = %q; want %q", got, wantBackend)
			}
			_, statErr := os.Stat(path + ".keyring")
			if tt.system {
				if got := k.entries["airt:"+id]["key"]; got != "sealing-key" {
					t.Errorf("keyring entry airt:%s/key = %q; want sealing-key", id, got)
				}
				if tt.fileBefore == "" && statErr == nil {
					t.Errorf("the keyring was used but a .keyring file was written")
				}
			} else {
				v, err := mustOpen(t, Config{StoreID: id, StorePath: path, Mode: "file"}).Get("key")
				if v != "sealing-key" || err != nil {
					t.Errorf("entry in the file = %q, %v; want sealing-key", v, err)
				}
			}
			want := ""
			if tt.warning != "" {
				want = warnLine(tt.warning, path)
			}
			if got := warn.String(); got != want {
				t.Errorf("warning output = %q\nwant %q", got, want)
			}
			if tt.fileBefore != "" && !tt.system {
				if v, _ := s.Get("old"); v != "kept" {
					t.Errorf("entry from the earlier fallback = %q; want kept", v)
				}
			}
		})
	}
}

func TestAutoModeStaysOnFileOnceFallenBack(t *testing.T) {
	k := (&fakeKeyring{err: errors.New("dial unix /dead: connect: no such file or directory")}).install(t, false)
	path := storePath(t)
	var warn bytes.Buffer
	s := mustOpen(t, Config{StoreID: "x", StorePath: path, Getenv: withBus, Warn: &warn})
	if err := s.Set("a", "1"); err != nil {
		t.Fatal(err)
	}
	k.err = nil // the keyring comes back within the same process
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v; want ErrNotFound", err)
	}
	if k.calls != 1 {
		t.Errorf("keyring calls = %d; want 1 (the probe only)", k.calls)
	}
	if n := strings.Count(warn.String(), "\n"); n != 1 {
		t.Errorf("warning lines = %d; want 1: %q", n, warn.String())
	}
}

func TestAutoModeBackendProbes(t *testing.T) {
	new(fakeKeyring).install(t, false)
	s := mustOpen(t, Config{StoreID: "b", StorePath: storePath(t), Getenv: withBus})
	if got := s.Backend(); got != "system" {
		t.Errorf("Backend = %q; want system", got)
	}
}

// TestFileBackendRefusesSymlink: a *.keyring that is a symbolic link is
// neither followed nor chmod'ed (its target, maybe another user's file,
// keeps its mode and content), for Get, Set and the automatic choice alike.
func TestFileBackendRefusesSymlink(t *testing.T) {
	path := storePath(t)
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.WriteFile(target, []byte(`{"airt:one":{"session":"tok"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(target, 0o644)
	if err := os.Symlink(target, path+".keyring"); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{ModeFile, ModeAuto} {
		s := mustOpen(t, Config{StoreID: "one", StorePath: path, Mode: mode})
		if _, err := s.Get("session"); err == nil || !strings.Contains(err.Error(), "is a symbolic link; airt does not follow it") {
			t.Errorf("%q: Get = %v; want a symbolic link error", mode, err)
		}
		if err := s.Set("session", "other"); err == nil {
			t.Errorf("%q: Set through a symbolic link succeeded", mode)
		}
	}
	info, err := os.Stat(target)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("target mode %v, %v; want 0644 untouched", info.Mode().Perm(), err)
	}
	if data, _ := os.ReadFile(target); string(data) != `{"airt:one":{"session":"tok"}}` {
		t.Errorf("target changed: %s", data)
	}
}
