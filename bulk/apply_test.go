package bulk

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/localstore"
)

func newTestStore(t *testing.T) *localstore.Store {
	t.Helper()
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	key := make([]byte, 32)
	s, err := localstore.Open(filepath.Join(t.TempDir(), "airt.db"), localstore.Options{
		Now: func() time.Time { return now }, Key: func(string, bool) ([]byte, error) { return key, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Invariant: every user has exactly one outbox user.create.
		creates := map[string]int{}
		users := 0
		s.View(func(tx *localstore.Tx) error {
			users = tx.CountUsers()
			return tx.Outbox(0, false, func(m *localstore.Mutation) error {
				if m.Op == localstore.OpCreate {
					creates[m.Target]++
				}
				return nil
			})
		})
		if len(creates) != users {
			t.Errorf("%d users but %d user.create mutations", users, len(creates))
		}
		s.Close()
	})
	return s
}

func csvOf(n int, first string) string {
	var b strings.Builder
	b.WriteString("username,first_name,last_name,email,password,subscription_type,super_user,disabled\n")
	b.WriteString(first)
	for i := range n {
		fmt.Fprintf(&b, "u%d,U,%d,u%d@example.com,password %d,small,,%t\n", i, i, i, i, i%3 == 0)
	}
	return b.String()
}

// fakeHash is a cheap stand-in for argon2id that records the password: a
// PHC string of airt's parameters (so the store accepts it) whose key is the
// SHA-256 of the password.
func fakeHash(p string) (string, error) {
	key := sha256.Sum256([]byte(p))
	return "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + base64.RawStdEncoding.EncodeToString(key[:]), nil
}

func TestImporterChunksBootstrap(t *testing.T) {
	s := newTestStore(t)
	src := csvOf(9, "root,R,Oot,root@example.com,root password,large,true,\n")
	r, err := NewReader(strings.NewReader(src), CSV)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	chunks := 0
	im := &Importer{Store: s, Policy: Fail, Chunk: 4, Workers: 3, Hash: fakeHash,
		Done: func(ds []Decision) error {
			chunks++
			for _, d := range ds {
				lines = append(lines, d.Row.Line)
			}
			return nil
		}}
	if err := im.Run(r); err != nil {
		t.Fatal(err)
	}
	if chunks != 3 || len(lines) != 10 {
		t.Fatalf("%d chunks, %d rows; want 3 chunks, 10 rows", chunks, len(lines))
	}
	for i, l := range lines {
		if l != i+2 {
			t.Fatalf("results out of file order: %v", lines)
		}
	}
	s.View(func(tx *localstore.Tx) error {
		root, err := tx.UserByUsername("root")
		if err != nil {
			t.Fatal(err)
		}
		u5, _ := tx.UserByUsername("u5")
		if want, _ := fakeHash("password 5"); u5.PasswordHash != want {
			t.Errorf("u5 hash %q: a hash went to the wrong row", u5.PasswordHash)
		}
		disabled := 0
		tx.Outbox(0, false, func(m *localstore.Mutation) error {
			switch {
			case m.Target == root.UUID && m.Op == localstore.OpCreate:
				if m.Actor != "" {
					t.Errorf("bootstrap user created by %q", m.Actor)
				}
			case m.Actor != root.UUID:
				t.Errorf("%s %s made by %q, want the bootstrap user", m.Op, m.Target, m.Actor)
			}
			if m.Op == localstore.OpDisable {
				disabled++
			}
			return nil
		})
		if disabled != 3 {
			t.Errorf("%d user.disable, want 3", disabled)
		}
		return nil
	})
}

// TestImporterStopsAtBadRow: a row that fails in pass 2 (here: pass 1 was
// skipped) rolls back its chunk; earlier chunks stay, and the error says
// how many rows were committed.
func TestImporterStopsAtBadRow(t *testing.T) {
	s := newTestStore(t)
	src := csvOf(6, "root,R,Oot,root@example.com,root password,large,true,\n") + "u1,Again,X,again@example.com,password x,small,,\n"
	r, _ := NewReader(strings.NewReader(src), CSV)
	im := &Importer{Store: s, Policy: Fail, Chunk: 3, Hash: fakeHash}
	err := im.Run(r)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Line != 9 || ae.Committed != 6 {
		t.Fatalf("err = %#v, want an ApplyError at line 9 after 6 committed rows", err)
	}
	s.View(func(tx *localstore.Tx) error {
		if n := tx.CountUsers(); n != 6 {
			t.Errorf("%d users, want the 6 of the first two chunks", n)
		}
		return nil
	})
}

func TestCheckerPolicies(t *testing.T) {
	s := newTestStore(t)
	r, _ := NewReader(strings.NewReader(csvOf(2, "root,R,Oot,root@example.com,root password,large,true,\n")), CSV)
	if err := (&Importer{Store: s, Policy: Fail, Hash: fakeHash}).Run(r); err != nil {
		t.Fatal(err)
	}
	row := func(user, email, first string) *Row {
		return &Row{Line: 2, Username: user, Email: email, FirstName: first, LastName: "", SubscriptionType: "small",
			Password: "some password", set: columnBit[colUsername] | columnBit[colEmail] | columnBit[colFirstName]}
	}
	tests := []struct {
		policy Policy
		row    *Row
		action Action
		detail string
	}{
		{Fail, row("new", "new@example.com", "N"), ActFail, "last_name: required for a new user"},
		{Fail, row("U0", "x@example.com", "N"), ActFail, "user u0 already exists (same username); pass --on-conflict skip or --on-conflict update"},
		{Skip, row("x", "U0@EXAMPLE.COM", "N"), ActSkip, "exists as u0"},
		{Update, row("u0", "u0@example.com", "U"), ActSkip, "unchanged"},
		{Update, row("u0", "", "Zed"), ActUpdate, "first_name"},
		{Update, row("u0", "u1@example.com", "Zed"), ActFail, `username "u0" is user u0 but email "u1@example.com" is user u1`},
	}
	for _, tt := range tests {
		s.View(func(tx *localstore.Tx) error {
			d := NewChecker(tt.policy, false).Check(tx, tt.row, nil)
			got := d.Detail
			if d.Action == ActFail {
				got = d.Problems[0]
			}
			if d.Action != tt.action || got != tt.detail {
				t.Errorf("%s %+v: %s %q, want %s %q", tt.policy, *tt.row, d.Action, got, tt.action, tt.detail)
			}
			return nil
		})
	}
}

func TestKeySet(t *testing.T) {
	var s keySet
	for i := 1; i <= 5000; i++ {
		if _, dup := s.add(uint64(i)*0x9e3779b97f4a7c15, i); dup {
			t.Fatalf("key %d reported as a duplicate", i)
		}
	}
	for _, i := range []int{1, 777, 5000} {
		if line, dup := s.add(uint64(i)*0x9e3779b97f4a7c15, 9999); !dup || line != i {
			t.Errorf("key %d: (%d, %t), want (%d, true)", i, line, dup, i)
		}
	}
	if _, dup := s.add(0, 1); dup {
		t.Error("hash 0 on first sight reported as a duplicate")
	}
	if line, dup := s.add(0, 2); !dup || line != 1 {
		t.Errorf("hash 0 again: (%d, %t)", line, dup)
	}
}
