// Package storetest holds the store helpers that the tests of sync and
// server share: a frozen clock, a store in a temporary folder, a create
// mutation and a cheap password hash. Only tests import it.
package storetest

import (
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// Now is the frozen clock of the stores Open makes.
var Now = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Run runs a test binary's tests with cheap argon2id parameters
// (account.UseTestArgon2) and returns their exit status, for TestMain to
// pass to os.Exit. Logins verify hashes, and production parameters would
// make up most of the tests' time.
func Run(m *testing.M) int {
	account.UseTestArgon2()
	return m.Run()
}

// PasswordHash is a real argon2id hash of "pw", made once, with the
// parameters in force at its first call (the cheap ones under Main).
var PasswordHash = gosync.OnceValue(func() string {
	h, err := account.HashPassword("pw")
	if err != nil {
		panic(err)
	}
	return h
})

// Open returns a new store named name in a temporary folder, with the clock
// Now and a sealing key derived from name; it is closed when the test ends.
func Open(t testing.TB, name string) *localstore.Store {
	t.Helper()
	key := make([]byte, 32)
	copy(key, name)
	s, err := localstore.Open(filepath.Join(t.TempDir(), name+".db"), localstore.Options{
		Now: func() time.Time { return Now },
		Key: func(string, bool) ([]byte, error) { return key, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// CreateMutation is the creation of user username (email
// username@example.com, password "pw"), a super user when super is set.
func CreateMutation(username string, super bool) *localstore.Mutation {
	return &localstore.Mutation{Op: localstore.OpCreate, Target: localstore.NewUUID(), Args: localstore.Args{
		Username: localstore.Str(username), Email: localstore.Str(username + "@example.com"),
		FirstName: localstore.Str("First"), LastName: localstore.Str("Last"),
		SubscriptionType: localstore.Str("small"), SuperUser: localstore.Bool(super),
		Secrets: localstore.Secrets{PasswordHash: PasswordHash()},
	}}
}
