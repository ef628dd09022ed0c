package localstore

import (
	"testing"
	"time"

	"github.com/airt/airt/account"
)

// TestPutUserMovesOnlyChangedIndexes: PutUser(old, u) writes only the index
// entries that change; after each kind of change every index still agrees
// with the records (newTestStore checks them all when the test ends, and
// Store.Check with them), and the user is found by its new keys only.
func TestPutUserMovesOnlyChangedIndexes(t *testing.T) {
	cases := []struct {
		name   string
		change func(u *account.User)
	}{
		{"version only", func(u *account.User) { u.Version++ }},
		{"created (a server's clock)", func(u *account.User) { u.Created = u.Created.Add(time.Second) }},
		{"username", func(u *account.User) { u.Username = "robert" }},
		{"username case only", func(u *account.User) { u.Username = "Bob" }},
		{"email", func(u *account.User) { u.Email = "robert@example.com" }},
		{"disabled", func(u *account.User) { u.Disabled = true }},
		{"super user", func(u *account.User) { u.SuperUser = true }},
		{"everything", func(u *account.User) {
			u.Username, u.Email, u.SuperUser, u.Created = "rob", "rob@example.com", true, u.Created.Add(-time.Hour)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newTestStore(t)
			admin := mustCreate(t, s, nil, "admin", true)
			bob := mustCreate(t, s, admin, "bob", false)
			mustCreate(t, s, admin, "carol", false)
			var want account.User
			if err := s.Update(func(tx *Tx) error {
				old, err := tx.User(bob.UUID)
				if err != nil {
					return err
				}
				u := *old
				c.change(&u)
				want = u
				return tx.PutUser(old, &u)
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.View(func(tx *Tx) error {
				byName, err := tx.UserByUsername(want.Username)
				if err != nil || byName.UUID != bob.UUID || byName.Version != want.Version {
					t.Errorf("by username %q: %+v %v", want.Username, byName, err)
				}
				byEmail, err := tx.UserByEmail(want.Email)
				if err != nil || byEmail.UUID != bob.UUID {
					t.Errorf("by email %q: %+v %v", want.Email, byEmail, err)
				}
				if account.NormalizeKey(want.Username) != "bob" {
					if _, err := tx.UserByUsername("bob"); err == nil {
						t.Errorf("the old username still finds a user")
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
