package localstore

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/unicode/norm"

	"github.com/airt/airt/account"
)

// Look-alikes of existing names are refused by the store itself, whichever
// command (create, update, import, a pushed mutation) asks.
func TestLookAlikesCannotCoexist(t *testing.T) {
	s := newTestStore(t)
	admin := mustCreate(t, s, nil, "admin", true)
	cafe := mustCreate(t, s, admin, norm.NFC.String("café"), false)
	for _, tc := range []struct {
		name, username string
		want           error
	}{
		{"fullwidth", "ａｄｍｉｎ", account.ErrUserExists},
		{"nfd", norm.NFD.String("café"), account.ErrUserExists},
		{"upper nfd", norm.NFD.String("CAFÉ"), account.ErrUserExists},
		{"cyrillic", "\u0430dmin", nil},
		{"zero width", "admin\u200b", nil},
		{"rlo", "\u202enimda", nil},
	} {
		err := s.Update(func(tx *Tx) error {
			args := createArgs("x", false)
			args.Username = Str(tc.username)
			_, err := tx.Apply(admin, &Mutation{Op: OpCreate, Target: NewUUID(), Args: args})
			return err
		})
		if err == nil {
			t.Errorf("%s: %+q created beside admin and café", tc.name, tc.username)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if tc.want == nil && account.KindOf(err) != account.KindInvalid {
			t.Errorf("%s: %v, want a validation error", tc.name, err)
		}
	}
	// A rename to a look-alike is refused the same way.
	err := s.Update(func(tx *Tx) error {
		_, err := tx.Apply(cafe, &Mutation{Op: OpUpdate, Target: cafe.UUID, Args: Args{Username: Str("\u0430dmin")}})
		return err
	})
	if err == nil {
		t.Error("rename to Cyrillic аdmin accepted")
	}
	// The stored form is the PRECIS one: fullwidth folded, NFC.
	var u *account.User
	err = s.Update(func(tx *Tx) error {
		args := createArgs("x", false)
		args.Username, args.Email = Str("ｂｏｂ"), Str(norm.NFD.String("josé@example.com"))
		var err error
		u, err = tx.Apply(admin, &Mutation{Op: OpCreate, Target: NewUUID(), Args: args})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "bob" || u.Email != norm.NFC.String("josé@example.com") {
		t.Errorf("stored %+q %+q, want bob and NFC josé", u.Username, u.Email)
	}
	if err := s.View(func(tx *Tx) error {
		_, err := tx.UserByUsername("BOB")
		return err
	}); err != nil {
		t.Errorf("lookup by another case: %v", err)
	}
}

// A store written when the index keys were plain lower case is re-keyed on
// open: its users are found by their PRECIS keys, and a pair of look-alikes
// it held keeps the first one under the key.
func TestNameIndexesRebuiltOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airt.db")
	s := openTestStore(t, path)
	admin := mustCreate(t, s, nil, "admin", true)
	mustCreate(t, s, admin, "Zoë", false)
	// Make it look like an older store: name_keys unset and the
	// non-ASCII name keyed by its NFD lower case, as plain lower-casing of
	// a decomposed name would have stored it.
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Delete(keyNameKeys); err != nil {
			return err
		}
		b := tx.Bucket(bucketByUsername)
		id := b.Get([]byte(account.NormalizeKey("Zoë")))
		if id == nil {
			t.Fatal("no index entry for Zoë")
		}
		id = append([]byte(nil), id...)
		if err := b.Delete([]byte(account.NormalizeKey("Zoë"))); err != nil {
			return err
		}
		return b.Put([]byte(strings.ToLower(norm.NFD.String("Zoë"))), id)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openTestStore(t, path)
	defer s.Close()
	if err := s.View(func(tx *Tx) error {
		_, err := tx.UserByUsername(norm.NFD.String("ZOË"))
		return err
	}); err != nil {
		t.Errorf("after reopening: %v", err)
	}
	checkInvariants(t, s)
	if err := s.View(func(tx *Tx) error {
		if !nameKeysCurrent(tx.tx.Bucket(bucketMeta)) {
			t.Error("name_keys not recorded")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
