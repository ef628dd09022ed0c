package localstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
)

var testNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestStore opens a store in a temp folder with a fixed key and clock,
// and checks the index invariants when the test ends.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	s := openTestStore(t, filepath.Join(t.TempDir(), "airt.db"))
	t.Cleanup(func() {
		checkInvariants(t, s)
		s.Close()
	})
	return s
}

// openTestStore opens path with a fixed key and clock; the caller closes it.
func openTestStore(t *testing.T, path string) *Store {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := Open(path, Options{
		LockTimeout: time.Second,
		Now:         func() time.Time { return testNow },
		Key:         func(string, bool) ([]byte, error) { return key, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkInvariants verifies that every index entry points at a user whose
// fields produce that key, and every user has each of its index entries.
func checkInvariants(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		users := map[string]account.User{}
		supers := 0
		tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			u, err := UnmarshalUser("users", k, v)
			if err != nil {
				t.Errorf("user %s: %v", k, err)
				return nil
			}
			users[string(k)] = *u
			return nil
		})
		for id, u := range users {
			if got := tx.Bucket(bucketByUsername).Get([]byte(account.NormalizeKey(u.Username))); indexUUID(got) != id {
				t.Errorf("username index of %s = %q", u.Username, got)
			}
			if got := tx.Bucket(bucketByEmail).Get([]byte(account.NormalizeKey(u.Email))); indexUUID(got) != id {
				t.Errorf("email index of %s = %q", u.Email, got)
			}
			if got := tx.Bucket(bucketOrder).Get(orderKey(&u)); indexUUID(got) != id {
				t.Errorf("order index of %s = %q", u.Username, got)
			}
			inSuper := tx.Bucket(bucketSuperUsers).Get([]byte(id)) != nil
			if inSuper != (u.SuperUser && !u.Disabled) {
				t.Errorf("super user index of %s = %v", u.Username, inSuper)
			}
			if inSuper {
				supers++
			}
		}
		if n := tx.Bucket(bucketSuperUsers).Stats().KeyN; n != supers {
			t.Errorf("super user index has %d keys for %d enabled super users", n, supers)
		}
		checkRank(t, tx)
		for _, b := range [][]byte{bucketByUsername, bucketByEmail, bucketOrder} {
			if n, m := tx.Bucket(b).Stats().KeyN, len(users); n != m {
				t.Errorf("bucket %s has %d keys for %d users", b, n, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Store.Check (what `airt store check` runs) must agree.
	r, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("Check: %s", p)
	}
}

func createArgs(name string, super bool) Args {
	return Args{Username: Str(name), Email: Str(name + "@example.com"), FirstName: Str("F"),
		LastName: Str("L"), SubscriptionType: Str("small"), SuperUser: Bool(super),
		Secrets: Secrets{PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"}}
}

// mustCreate creates a user as actor and queues the mutation.
func mustCreate(t *testing.T, s *Store, actor *account.User, name string, super bool) *account.User {
	t.Helper()
	var u *account.User
	err := s.Update(func(tx *Tx) error {
		m := &Mutation{Op: OpCreate, Target: NewUUID(), Args: createArgs(name, super)}
		var err error
		if u, err = tx.Apply(actor, m); err != nil {
			return err
		}
		return tx.Enqueue(m)
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

func TestApplyRules(t *testing.T) {
	s := newTestStore(t)
	admin := mustCreate(t, s, nil, "admin", true)
	alice := mustCreate(t, s, admin, "alice", false)
	bob := mustCreate(t, s, admin, "bob", false)

	for _, tc := range []struct {
		name  string
		actor *account.User
		m     Mutation
		want  error
	}{
		{"second bootstrap refused", nil, Mutation{Op: OpCreate, Target: NewUUID(), Args: createArgs("eve", true)}, account.ErrNotLoggedIn},
		{"duplicate username any case", admin, Mutation{Op: OpCreate, Target: NewUUID(), Args: createArgs("ALICE", false)}, account.ErrUserExists},
		{"non-super create", alice, Mutation{Op: OpCreate, Target: NewUUID(), Args: createArgs("carol", false)}, account.ErrSuperUserOnly},
		{"update other as non-super", alice, Mutation{Op: OpUpdate, Target: bob.UUID, Args: Args{FirstName: Str("X")}}, account.ErrOtherUsersData},
		{"username taken on update", alice, Mutation{Op: OpUpdate, Target: alice.UUID, Args: Args{Username: Str("Bob")}}, account.ErrUsernameTaken},
		{"email taken on update", admin, Mutation{Op: OpUpdate, Target: alice.UUID, Args: Args{Email: Str("BOB@example.com")}}, account.ErrEmailTaken},
		{"bad email", admin, Mutation{Op: OpUpdate, Target: alice.UUID, Args: Args{Email: Str("nope")}}, account.ErrInvalidEmail},
		{"last super user", admin, Mutation{Op: OpDisable, Target: admin.UUID}, account.ErrLastSuperUser},
		{"disable as non-super", alice, Mutation{Op: OpDisable, Target: bob.UUID}, account.ErrSuperUserOnly},
		{"enable an enabled user", admin, Mutation{Op: OpEnable, Target: bob.UUID}, account.ErrAlreadyEnabled},
		{"unknown user", admin, Mutation{Op: OpDisable, Target: NewUUID()}, account.ErrUnknownUUID},
		{"keep own username in another case", alice, Mutation{Op: OpUpdate, Target: alice.UUID, Args: Args{Username: Str("Alice")}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(func(tx *Tx) error {
				_, err := tx.Apply(tc.actor, &tc.m)
				return err
			})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Apply = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBulkChangeRollsBackWhole(t *testing.T) {
	s := newTestStore(t)
	admin := mustCreate(t, s, nil, "admin", true)
	alice := mustCreate(t, s, admin, "alice", false)
	before := outboxLen(t, s)
	err := s.Update(func(tx *Tx) error {
		for _, id := range []string{alice.UUID, alice.UUID} { // the second fails: already disabled
			m := &Mutation{Op: OpDisable, Target: id}
			if _, err := tx.Apply(admin, m); err != nil {
				return err
			}
			if err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, account.ErrAlreadyDisabled) {
		t.Fatalf("err = %v", err)
	}
	s.View(func(tx *Tx) error {
		u, _ := tx.User(alice.UUID)
		if u.Disabled {
			t.Error("alice disabled although the transaction failed")
		}
		return nil
	})
	if got := outboxLen(t, s); got != before {
		t.Errorf("outbox grew from %d to %d on a failed change", before, got)
	}
}

func outboxLen(t *testing.T, s *Store) int {
	n := 0
	s.View(func(tx *Tx) error { n = tx.OutboxLen(); return nil })
	return n
}

func TestOutboxOrderAndSealedSecrets(t *testing.T) {
	s := newTestStore(t)
	admin := mustCreate(t, s, nil, "admin", true)
	mustCreate(t, s, admin, "alice", false)
	var seqs []uint64
	err := s.View(func(tx *Tx) error {
		return tx.Outbox(0, true, func(m *Mutation) error {
			seqs = append(seqs, m.Seq)
			if m.Args.Secrets.PasswordHash == "" {
				t.Errorf("mutation %d: secret not restored", m.Seq)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 2 || seqs[0] != 1 || seqs[1] != 2 {
		t.Errorf("seqs = %v, want [1 2]", seqs)
	}
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			if bytes.Contains(v, []byte("argon2id")) {
				t.Errorf("outbox entry %x holds the password hash in clear", k)
			}
			return nil
		})
	})
}

func TestListUsersOrderAndPaging(t *testing.T) {
	s := newTestStore(t)
	admin := mustCreate(t, s, nil, "admin", true)
	for _, n := range []string{"dave", "carol", "bob"} {
		mustCreate(t, s, admin, n, false)
	}
	s.View(func(tx *Tx) error {
		var names []string
		for off := 0; off < 5; off++ {
			page, err := tx.ListUsers(false, off, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range page {
				names = append(names, u.Username)
			}
		}
		want := []string{"admin", "bob", "carol", "dave"} // same created time: by username
		if len(names) != len(want) {
			t.Fatalf("pages = %v, want %v", names, want)
		}
		for i := range want {
			if names[i] != want[i] {
				t.Errorf("pages = %v, want %v", names, want)
			}
		}
		return nil
	})
}

func TestOpenLockedTimesOut(t *testing.T) {
	s := newTestStore(t)
	_, err := Open(s.Path(), Options{LockTimeout: 50 * time.Millisecond})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("store is locked by another airt process")) {
		t.Fatalf("second Open = %v, want the locked error", err)
	}
}

// TestOpenErrorNamesPathOnce: a store that cannot be opened is named once,
// followed by the cause (os.OpenFile's own error names the file again).
func TestOpenErrorNamesPathOnce(t *testing.T) {
	dir := t.TempDir()
	notAFile := filepath.Join(dir, "store.db")
	if err := os.Mkdir(notAFile, 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a bbolt file "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"a directory", notAFile, "open store " + notAFile + ": is a directory"},
		// A file that is no store is damage (a hint to restore a backup).
		{"not a store", garbage, "the store " + garbage + " is damaged: invalid database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.path, Options{LockTimeout: time.Second, Now: func() time.Time { return testNow },
				Key: func(string, bool) ([]byte, error) { return bytes.Repeat([]byte{7}, 32), nil }})
			if err == nil || err.Error() != tc.want {
				t.Errorf("Open = %v, want %q", err, tc.want)
			}
		})
	}
}
