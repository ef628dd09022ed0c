package sync

import (
	"os"
	"reflect"
	"testing"

	"github.com/airt/airt/account"
	"github.com/airt/airt/internal/storetest"
	"github.com/airt/airt/localstore"
)

// The helpers shared with the server tests (internal/storetest).
var (
	newTestStore   = storetest.Open
	createMutation = storetest.CreateMutation
)

func TestMain(m *testing.M) { os.Exit(storetest.Run(m)) }

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
