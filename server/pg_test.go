package server

import (
	"context"
	"testing"
	"time"

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
