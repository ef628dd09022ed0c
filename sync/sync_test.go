package sync

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

var testNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// cheapHash is a real argon2id hash of "pw", made with the test parameters
// (TestMain), so verifying it costs microseconds.
var cheapHash string

func TestMain(m *testing.M) {
	// Cheap password hashing for the test binary only: the stores here
	// hold users whose hashes a login would verify.
	account.UseTestArgon2()
	h, err := account.HashPassword("pw")
	if err != nil {
		panic(err)
	}
	cheapHash = h
	os.Exit(m.Run())
}

func newTestStore(t *testing.T, name string) *localstore.Store {
	t.Helper()
	key := make([]byte, 32)
	copy(key, name)
	s, err := localstore.Open(filepath.Join(t.TempDir(), name+".db"), localstore.Options{
		Now: func() time.Time { return testNow },
		Key: func(string, bool) ([]byte, error) { return key, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func createMutation(username string, super bool) *localstore.Mutation {
	return &localstore.Mutation{Op: localstore.OpCreate, Target: localstore.NewUUID(), Args: localstore.Args{
		Username: localstore.Str(username), Email: localstore.Str(username + "@example.com"),
		FirstName: localstore.Str("First"), LastName: localstore.Str("Last"),
		SubscriptionType: localstore.Str("small"), SuperUser: localstore.Bool(super),
		Secrets: localstore.Secrets{PasswordHash: cheapHash},
	}}
}

func TestConflicts(t *testing.T) {
	u := &account.User{UUID: "u", Username: "carol", Email: "c@example.com", FirstName: "Server", Disabled: true,
		SSO: map[string]string{"google": "c@example.com"}}
	upd := func(a localstore.Args) *localstore.Mutation {
		return &localstore.Mutation{Op: localstore.OpUpdate, Args: a}
	}
	op := func(o localstore.Op, a localstore.Args) *localstore.Mutation {
		return &localstore.Mutation{Op: o, Args: a}
	}
	set := func(f ...string) map[string]bool {
		m := map[string]bool{}
		for _, x := range f {
			m[x] = true
		}
		return m
	}
	for _, c := range []struct {
		name    string
		m       *localstore.Mutation
		changed map[string]bool
		want    []string
	}{
		{"nothing changed since", upd(localstore.Args{FirstName: localstore.Str("Local")}), set(), nil},
		{"same field", upd(localstore.Args{FirstName: localstore.Str("Local")}), set("first_name"), []string{"first_name"}},
		{"same field, same value", upd(localstore.Args{FirstName: localstore.Str("Server")}), set("first_name"), nil},
		{"different fields merge", upd(localstore.Args{LastName: localstore.Str("L")}), set("first_name", "email"), nil},
		{"several fields, some overlap", upd(localstore.Args{FirstName: localstore.Str("A"), Email: localstore.Str("x@example.com"), LastName: localstore.Str("B")}),
			set("email", "first_name"), []string{"email", "first_name"}},
		{"disable vs edit merge", op(localstore.OpDisable, localstore.Args{}), set("first_name"), nil},
		{"enable vs disable", op(localstore.OpEnable, localstore.Args{}), set("disabled"), []string{"disabled"}},
		{"disable vs disable", op(localstore.OpDisable, localstore.Args{}), set("disabled"), nil},
		{"adopted record touches all", upd(localstore.Args{LastName: localstore.Str("L")}), set("*"), []string{"last_name"}},
		{"mfa step never conflicts", op(localstore.OpMFAStep, localstore.Args{Step: 9}), set("mfa_step", "mfa"), nil},
		{"password vs password", op(localstore.OpPasswordReset, localstore.Args{}), set("password"), []string{"password"}},
		{"sso other provider merges", op(localstore.OpSSOEnable, localstore.Args{Provider: "github", SSOEmail: "c@example.com"}), set("sso:google"), nil},
		{"sso same provider, same email", op(localstore.OpSSOEnable, localstore.Args{Provider: "google", SSOEmail: "c@example.com"}), set("sso:google"), nil},
		{"sso same provider", op(localstore.OpSSODisable, localstore.Args{Provider: "google"}), set("sso:google"), []string{"sso:google"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Conflicts(u, c.m, c.changed); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Conflicts = %v, want %v", got, c.want)
			}
		})
	}
}

// TestFindMutation: a queued change is named by its id or its number.
func TestFindMutation(t *testing.T) {
	s := newTestStore(t, "find")
	var id string
	err := s.Update(func(tx *localstore.Tx) error {
		for range 3 {
			m := createMutation(localstore.NewMutationID()[:8], true)
			if err := tx.Enqueue(m); err != nil {
				return err
			}
			id = m.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *localstore.Tx) error {
		for _, ref := range []string{"3", id} {
			m, err := FindMutation(tx, ref)
			if err != nil || m.Seq != 3 || m.ID != id {
				t.Errorf("FindMutation(%q) = %+v, %v; want seq 3", ref, m, err)
			}
		}
		if _, err := FindMutation(tx, "4"); account.KindOf(err) != account.KindNotFound {
			t.Errorf("FindMutation(4): %v, want not found", err)
		}
		return nil
	})
}
