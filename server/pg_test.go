package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/internal/pgtest"
)

// TestPostgresSchemaOnce: several processes opening one new database at
// once create its schema once (the advisory lock), all at the current
// version; the unique constraints on the normalised names refuse a second
// user under a taken key even when the rules are bypassed.
func TestPostgresSchemaOnce(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	const n = 6
	errs := make(chan error, n)
	stores := make(chan *PostgresStore, n)
	for range n {
		go func() {
			s, err := OpenPostgres(ctx, url, PostgresOptions{Now: func() time.Time { return testNow }})
			errs <- err
			stores <- s
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("open at once: %v", err)
		}
		if s := <-stores; s != nil {
			defer s.Close()
		}
	}
	s, err := OpenPostgres(ctx, url, PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var version, rows int
	if err := s.pool.QueryRow(ctx, `SELECT max(version), count(*) FROM airt_schema`).Scan(&version, &rows); err != nil {
		t.Fatal(err)
	}
	if version != len(pgMigrations) || rows != 1 {
		t.Errorf("schema version %d in %d rows, want %d in 1", version, rows, len(pgMigrations))
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO airt_users VALUES ('a', 'same', 'a@example.com', false, '{}'), ('b', 'same', 'b@example.com', false, '{}')`)
	if err == nil {
		t.Error("two users under one username key were stored")
	}
}

// A database whose name keys were made by an older key function (or before
// the version was recorded) is re-keyed when a server opens it: every user
// is found by name again, a look-alike that an older function let coexist
// loses the name to the user first in `ls` order and stays reachable by
// uuid, and the current version is recorded. A version this airt does not
// know is refused.
func TestPostgresNameKeysRekeyed(t *testing.T) {
	testStoreKind = "postgres"
	defer func() { testStoreKind = "bolt" }()
	ts := newTestServer(t)
	pg := ts.st.(*PostgresStore)
	ctx := context.Background()
	url := pg.pool.Config().ConnString()
	var version string
	if err := pg.pool.QueryRow(ctx, `SELECT value FROM airt_meta WHERE key = 'name_keys'`).Scan(&version); err != nil || version != account.NameKeyVersion {
		t.Fatalf("migrated database records name keys %q (%v), want %q", version, err, account.NameKeyVersion)
	}
	// An older key function's keys, a look-alike of bob created after him
	// that it let coexist, and no version.
	late := testNow.Add(time.Hour)
	lookAlike := fmt.Sprintf(`{"uuid":"00000000-0000-4000-8000-00000000000b","username":"BOB","email":"BOB@example.com","first_name":"B","last_name":"B","created":%q,"version":1}`, late.Format(time.RFC3339))
	for _, q := range []string{
		`UPDATE airt_users SET username_key = 'old-' || username_key, email_key = 'old-' || email_key`,
		`INSERT INTO airt_users VALUES ('00000000-0000-4000-8000-00000000000b', 'old2-bob', 'old2-bob@example.com', false, '` + lookAlike + `')`,
		`DELETE FROM airt_meta WHERE key = 'name_keys'`,
	} {
		if _, err := pg.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	again, err := OpenPostgres(ctx, url, PostgresOptions{Key: pg.key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	err = again.Read(ctx, func(tx Tx) error {
		for name, want := range map[string]string{"bob": ts.bob, "BOB": ts.bob, "admin": ts.admin, "ＡＤＭＩＮ": ts.admin} {
			u, err := tx.UserByUsername(name)
			if err != nil || u.UUID != want {
				t.Errorf("user %q after re-keying: %v %v, want %s", name, u, err, want)
			}
		}
		if u, err := tx.User("00000000-0000-4000-8000-00000000000b"); err != nil || u.Username != "BOB" {
			t.Errorf("the look-alike by uuid: %v %v", u, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.pool.QueryRow(ctx, `SELECT value FROM airt_meta WHERE key = 'name_keys'`).Scan(&version); err != nil || version != account.NameKeyVersion {
		t.Errorf("re-keyed database records %q (%v), want %q", version, err, account.NameKeyVersion)
	}
	// The look-alike cannot keep its name: its next change must rename it.
	err = again.Write(ctx, func(tx Tx) error {
		u, err := tx.User("00000000-0000-4000-8000-00000000000b")
		if err != nil {
			return err
		}
		old := copyUser(u)
		u.FirstName = "Changed"
		if err := tx.PutUser(old, u); !errors.Is(err, account.ErrUsernameTaken) {
			t.Errorf("a change of the look-alike keeping its name: %v, want username taken", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.pool.Exec(ctx, `UPDATE airt_meta SET value = 'precis-99' WHERE key = 'name_keys'`); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenPostgres(ctx, url, PostgresOptions{Key: pg.key}); err == nil || !strings.Contains(err.Error(), "precis-99") {
		t.Errorf("open a database keyed by an unknown version: %v, want refused", err)
		if s != nil {
			s.Close()
		}
	}
}
