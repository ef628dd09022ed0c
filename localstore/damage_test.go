package localstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/airt/airt/account"
)

// damageFixture makes a store of 300 users with queued changes and returns
// its path and what a full read of it gives.
func damageFixture(t *testing.T) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "good.db")
	s := openTestStore(t, path)
	admin := mustCreate(t, s, nil, "admin", true)
	for i := range 300 {
		mustCreate(t, s, admin, fmt.Sprintf("user%04d", i), false)
	}
	want, err := readAll(s)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return path, want
}

// readAll reads every user and queued change the way commands do.
func readAll(s *Store) (string, error) {
	var b bytes.Buffer
	err := s.View(func(tx *Tx) error {
		us, err := tx.ListUsers(false, 0, 1000)
		if err != nil {
			return err
		}
		for _, u := range us {
			fmt.Fprintf(&b, "%+v %+v\n", u, u.MFA)
			if _, err := tx.UserByUsername(u.Username); err != nil {
				return err
			}
		}
		return tx.Outbox(0, true, func(m *Mutation) error {
			data, err := json.Marshal(m)
			fmt.Fprintf(&b, "%s %+v %v\n", data, m.Args.Secrets, err)
			return nil
		})
	})
	return b.String(), err
}

// copyWith copies the store at path to a new file and applies damage to its
// bytes.
func copyWith(t *testing.T, path string, damage func([]byte) []byte) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(out, damage(bytes.Clone(data)), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// openAndRead opens a damaged copy and reads everything: it must either
// read exactly what the good store holds, or fail with a DamageError. A
// panic or a fault fails the test (and would crash it).
func openAndRead(t *testing.T, path, want string) (damaged bool) {
	t.Helper()
	s, err := Open(path, Options{LockTimeout: testLockTimeout, Now: testClock, Key: testKey})
	if err == nil {
		defer s.Close()
		var got string
		got, err = readAll(s)
		if err == nil {
			if got != want {
				t.Errorf("%s: read silently wrong values", filepath.Base(path))
				gl, wl := bytes.Split([]byte(got), []byte("\n")), bytes.Split([]byte(want), []byte("\n"))
				for i := range min(len(gl), len(wl)) {
					if !bytes.Equal(gl[i], wl[i]) {
						t.Logf("line %d:\n got %s\nwant %s", i, gl[i], wl[i])
						break
					}
				}
				t.Logf("got %d lines, want %d", len(gl), len(wl))
			}
			return false
		}
	}
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("error is not named as damage: %v", err)
	}
	if k := account.KindOf(err); k != account.KindFailed {
		t.Errorf("damage has kind %v, want failed (exit 1)", k)
	}
	return true
}

func TestEmptyFileIsNotANewStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airt.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{LockTimeout: testLockTimeout, Now: testClock, Key: testKey})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open(0-byte file) = %v, want a DamageError", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Errorf("the 0-byte file was rewritten (%d bytes)", fi.Size())
	}
}

func TestTruncatedStore(t *testing.T) {
	good, want := damageFixture(t)
	for _, size := range []int{100, 4096, 16384, 65536} {
		p := copyWith(t, good, func(b []byte) []byte { return b[:size] })
		if !openAndRead(t, p, want) {
			t.Errorf("a store truncated to %d bytes read as good", size)
		}
	}
}

// TestZeroedPages zeroes each 4 KiB page of the store in turn: reads must
// never crash nor return wrong values, and Check must find every zeroed
// page that the store uses.
func TestZeroedPages(t *testing.T) {
	good, want := damageFixture(t)
	fi, _ := os.Stat(good)
	pages := int(fi.Size() / 4096)
	found := 0
	for pg := range pages {
		p := copyWith(t, good, func(b []byte) []byte { clear(b[pg*4096 : (pg+1)*4096]); return b })
		if pg >= 2 {
			openAndRead(t, p, want)
		}
		// Pages 0 and 1 are bbolt's two meta pages: when one is invalid
		// bbolt opens the store as of the other (the previous commit), its
		// recovery from a write torn by a crash. Check names it.
		//
		// A fresh copy: an Open that failed inside bbolt may leave the
		// first copy locked by this process.
		p = copyWith(t, good, func(b []byte) []byte { clear(b[pg*4096 : (pg+1)*4096]); return b })
		s, err := Open(p, Options{LockTimeout: testLockTimeout, ReadOnly: true})
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("page %d: open for check: %v", pg, err)
			}
			found++
			continue
		}
		r, err := s.Check()
		s.Close()
		if err != nil {
			t.Fatalf("page %d: check: %v", pg, err)
		}
		if len(r.Problems) > 0 {
			found++
		}
	}
	if found == 0 {
		t.Errorf("no zeroed page out of %d was found by Open or Check", pages)
	}
	t.Logf("%d of %d zeroed pages named as damage by Open or Check", found, pages)
}

// TestBitFlipsInRecords flips single bits inside user and outbox records:
// every flip is caught by a checksum, never read as a value; and a flip in
// an index key (which no read can tell from a missing entry) is found by
// Check.
func TestBitFlipsInRecords(t *testing.T) {
	good, want := damageFixture(t)
	data, _ := os.ReadFile(good)
	// In the user record the username and email follow their lengths.
	inRecord := []struct{ needle, at string }{
		{"\x08user0123\x14", "user0123"},
		{"\x14user0123@example.com", "example"},
		{"\x05small", "small"},
		{"user.create", "create"},
	}
	flip := func(at int, bit int) string {
		return copyWith(t, good, func(b []byte) []byte { b[at] ^= 1 << bit; return b })
	}
	checkFinds := func(p, what string) {
		t.Helper()
		s, err := Open(p, Options{LockTimeout: testLockTimeout, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := s.Check()
		s.Close()
		if len(r.Problems) == 0 {
			t.Errorf("Check missed %s", what)
		}
	}
	for _, c := range inRecord {
		i := bytes.Index(data, []byte(c.needle))
		if i < 0 {
			t.Fatalf("%q not in the store file", c.needle)
		}
		at := i + bytes.Index([]byte(c.needle), []byte(c.at)) + 1
		for bit := range 8 {
			what := fmt.Sprintf("a flipped bit %d in %q", bit, c.needle)
			if !openAndRead(t, flip(at, bit), want) {
				t.Errorf("%s was read as good", what)
			}
			checkFinds(flip(at, bit), what)
		}
	}
	// The email index key: the occurrence not preceded by its length.
	for i := 0; ; i++ {
		j := bytes.Index(data[i:], []byte("user0123@example.com"))
		if j < 0 {
			t.Fatal("no index key found")
		}
		i += j
		if data[i-1] != 0x14 {
			for bit := range 8 {
				p := flip(i+3, bit)
				openAndRead(t, p, want) // must not crash; a lookup may miss
				checkFinds(flip(i+3, bit), fmt.Sprintf("a flipped bit %d in an email index key", bit))
			}
			break
		}
	}
}

func TestCheckGoodStore(t *testing.T) {
	good, _ := damageFixture(t)
	s, err := Open(good, Options{LockTimeout: testLockTimeout, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 0 || r.Users != 301 || r.Outbox != 301 {
		t.Errorf("Check of a good store = %+v", r)
	}
	if !reflect.DeepEqual(r.Notes, []string(nil)) {
		t.Errorf("notes: %v", r.Notes)
	}
}

const testLockTimeout = time.Second

func testClock() time.Time { return testNow }

func testKey(string, bool) ([]byte, error) { return bytes.Repeat([]byte{7}, 32), nil }
