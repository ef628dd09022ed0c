package credentials

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestLockedKeyring: a locked keyring is not a missing one. Holding this
// store's entries it stays the backend and says it is locked and how to
// unlock it; holding none, automatic mode falls back to the file with a
// warning that says so and that 'airt token' will move the entries later.
func TestLockedKeyring(t *testing.T) {
	t.Run("system mode", func(t *testing.T) {
		k := (&fakeKeyring{locked: true}).install(t, false)
		s := mustOpen(t, Config{StoreID: "l", Mode: ModeSystem, Getenv: withBus})
		_, err := s.Get("session")
		if !errors.Is(err, ErrLocked) || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get = %v; want ErrLocked and ErrUnavailable", err)
		}
		if !strings.HasPrefix(err.Error(), "the OS keyring is locked: unlock it (") || strings.Contains(err.Error(), "AIRT_KEYRING=file") {
			t.Errorf("error = %q", err)
		}
		if err := s.Set("session", "x"); !errors.Is(err, ErrLocked) {
			t.Errorf("Set = %v; want ErrLocked", err)
		}
		if k.calls != 0 {
			t.Errorf("go-keyring was called %d times on a locked keyring (it would wait for an unlock prompt)", k.calls)
		}
	})
	t.Run("automatic, entries in the locked keyring", func(t *testing.T) {
		(&fakeKeyring{locked: true, lockedEntries: true}).install(t, false)
		var warn bytes.Buffer
		s := mustOpen(t, Config{StoreID: "l", StorePath: storePath(t), Getenv: withBus, Warn: &warn})
		if _, err := s.Get("session"); !errors.Is(err, ErrLocked) {
			t.Errorf("Get = %v; want ErrLocked (not 'not found' from the file)", err)
		}
		if s.Backend() != ModeSystem || warn.Len() != 0 {
			t.Errorf("backend %s, warning %q; want system and none", s.Backend(), warn.String())
		}
	})
	t.Run("automatic, nothing in the locked keyring", func(t *testing.T) {
		(&fakeKeyring{locked: true}).install(t, false)
		var warn bytes.Buffer
		path := storePath(t)
		s := mustOpen(t, Config{StoreID: "l", StorePath: path, Getenv: withBus, Warn: &warn})
		if err := s.Set("session", "tok"); err != nil {
			t.Fatal(err)
		}
		want := "warning: the OS keyring is locked; keeping credentials in " + path + ".keyring (mode 0600) for now. To use the keyring, unlock it ("
		if !strings.HasPrefix(warn.String(), want) || !strings.HasSuffix(warn.String(), ": the next 'airt token' moves them there\n") {
			t.Errorf("warning = %q", warn.String())
		}
	})
}

// TestMoveToSystem: entries kept in the file during a fallback move into
// the keyring once it can be used (and the file goes), with readable labels;
// while it cannot, nothing moves.
func TestMoveToSystem(t *testing.T) {
	k := (&fakeKeyring{locked: true}).install(t, false)
	path := storePath(t)
	open := func() Store {
		return mustOpen(t, Config{StoreID: "m", StorePath: path, Getenv: withBus,
			Label: func(name string) string { return "airt " + name + " for " + path }})
	}
	s := open()
	for name, v := range map[string]string{"session": "tok", "store-key": "key"} {
		if err := s.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	// Another store's entry in the same file stays there.
	other := mustOpen(t, Config{StoreID: "other", StorePath: path, Mode: ModeFile})
	if err := other.Set("session", "other-tok"); err != nil {
		t.Fatal(err)
	}

	if moved, _, err := MoveToSystem(open()); moved != nil || err != nil {
		t.Errorf("locked: MoveToSystem = %v, %v; want nothing moved", moved, err)
	}

	k.mu.Lock()
	k.locked = false
	k.mu.Unlock()
	s = open()
	moved, from, err := MoveToSystem(s)
	if err != nil || !reflect.DeepEqual(moved, []string{"session", "store-key"}) || from != path+".keyring" {
		t.Fatalf("MoveToSystem = %v, %q, %v", moved, from, err)
	}
	if s.Backend() != ModeSystem {
		t.Errorf("backend after the move = %s; want system", s.Backend())
	}
	if v, err := open().Get("session"); v != "tok" || err != nil {
		t.Errorf("a new Store reads %q, %v; want tok from the keyring", v, err)
	}
	if k.entries["airt:m"]["store-key"] != "key" {
		t.Errorf("keyring entries %v", k.entries)
	}
	if got := k.labels["airt:m/session"]; got != "airt session for "+path {
		t.Errorf("label %q", got)
	}
	if v, err := other.Get("session"); v != "other-tok" || err != nil {
		t.Errorf("the other store's file entry = %q, %v", v, err)
	}
	if err := other.Delete("session"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path + ".keyring"); !os.IsNotExist(err) {
		t.Errorf("the emptied file is still there: %v", err)
	}
	if moved, _, err := MoveToSystem(open()); moved != nil || err != nil {
		t.Errorf("second MoveToSystem = %v, %v; want nothing to do", moved, err)
	}
}
