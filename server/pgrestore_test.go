package server

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/internal/pgtest"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// The README's backup of a PostgreSQL server, restored: pg_dump
// --format=custom of the running server's database, pg_restore into a new
// database, a server on it with the same key. A client that had synced
// when the dump was taken goes on syncing (its token too) and sees the
// history as it was; a client that synced later is told that the server's
// history went back, and nothing is merged.
func TestPostgresDumpRestore(t *testing.T) {
	testStoreKind = "postgres"
	defer func() { testStoreKind = "bolt" }()
	dump, err := pgtest.Bin("pg_dump")
	if err != nil {
		t.Skip(err)
	}
	restore, err := pgtest.Bin("pg_restore")
	if err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	ts := newTestServer(t)
	pg := ts.st.(*PostgresStore)
	after := ts.client(t, "after", "admin")
	before := ts.client(t, "before", "admin")
	setLast := func(e *usersync.Engine, last string) {
		t.Helper()
		localChange(t, e.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str(last)}})
		if _, err := e.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	setLast(after, "one")
	if _, err := before.Pull(ctx); err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "airt.dump")
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
	}
	run(dump, "--format=custom", "--file="+file, pg.pool.Config().ConnString())
	setLast(after, "two") // after the dump: lost by the restore

	newURL, drop, err := pgtest.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	run(restore, "--dbname="+newURL, file)
	restored, err := OpenPostgres(ctx, newURL, PostgresOptions{Key: pg.key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if restored.Epoch() != pg.Epoch() {
		t.Errorf("restored epoch %q, want the dumped database's %q", restored.Epoch(), pg.Epoch())
	}
	url := httptestServer(t, NewServer(restored, Options{}))
	before.Client.URL, after.Client.URL = url, url

	var reset *usersync.HistoryResetError
	if _, err := after.Pull(ctx); !errors.As(err, &reset) || !strings.Contains(err.Error(), "history went back") {
		t.Errorf("pull of a store that synced after the dump: %v, want the history went back", err)
	}
	if u := localUser(t, after.Store, ts.bob); u.LastName != "two" {
		t.Errorf("the store that synced after the dump now has bob %q, want its own %q kept", u.LastName, "two")
	}

	if n, err := before.Pull(ctx); err != nil || n != 0 {
		t.Fatalf("pull of a store that synced before the dump: %d changes, %v", n, err)
	}
	if u := localUser(t, before.Store, ts.bob); u.LastName != "one" {
		t.Errorf("bob is %q in the store that synced before the dump, want %q", u.LastName, "one")
	}
	// It goes on syncing with the restored server, with its old token.
	setLast(before, "three")
	var got string
	_ = restored.Read(ctx, func(tx Tx) error {
		u, err := tx.User(ts.bob)
		if err == nil {
			got = u.LastName
		}
		return err
	})
	if got != "three" {
		t.Errorf("bob on the restored server after a push: %q, want %q", got, "three")
	}
}

// localUser reads a user from a client store.
func localUser(t *testing.T, s *localstore.Store, uuid string) *account.User {
	t.Helper()
	var u *account.User
	if err := s.View(func(tx *localstore.Tx) error {
		var err error
		u, err = tx.User(uuid)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}
