package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airt/airt/account"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/server/guard"
)

// PostgresOptions configure OpenPostgres.
type PostgresOptions struct {
	// Key seals the users' TOTP secrets: the key of the bbolt store the
	// database was migrated from. Every process on one database needs the
	// same key; the database keeps only a check value, so a dump of it does
	// not give the secrets away.
	Key []byte
	// Now is the store clock (nil: time.Now).
	Now func() time.Time
}

// PostgresStore is a Store in PostgreSQL. Any number of server processes may share
// one database: writes serialise on the one row of airt_version, locked
// first thing in every write transaction, so revisions are handed out in
// commit order without gaps and a pull (REPEATABLE READ) sees a prefix of
// the history: its cursor can never pass a change that commits later.
type PostgresStore struct {
	pool  *pgxpool.Pool
	key   []byte
	now   func() time.Time
	epoch string
	// sealed: the database has a key check (it was migrated with a key).
	sealed bool
}

// pgSchemaLock is the advisory lock key under which a process creates or
// migrates the schema, so several processes starting at once do it once.
const pgSchemaLock = 0x61697274 // "airt"

// pgMigrations are the schema versions, in order; airt_schema holds how many
// were applied. Append, never edit.
var pgMigrations = []string{
	`CREATE TABLE airt_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE airt_version (id int PRIMARY KEY CHECK (id = 1), rev bigint NOT NULL);
INSERT INTO airt_version VALUES (1, 0);
CREATE TABLE airt_users (
	uuid text PRIMARY KEY,
	username_key text NOT NULL,
	email_key text NOT NULL,
	enabled_super boolean NOT NULL,
	data jsonb NOT NULL
);
-- A backstop: the rules check uniqueness first and answer with their own
-- error; these make a bug unable to store two users under one name.
-- Deferred to the commit: a push writes its final states, and two users
-- swapping names pass through a moment where both hold one.
ALTER TABLE airt_users ADD CONSTRAINT airt_users_username UNIQUE (username_key) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE airt_users ADD CONSTRAINT airt_users_email UNIQUE (email_key) DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX airt_users_enabled_super ON airt_users (enabled_super) WHERE enabled_super;
CREATE TABLE airt_changes (
	rev bigint PRIMARY KEY,
	id text NOT NULL,
	uuid text NOT NULL,
	store text NOT NULL,
	seq bigint NOT NULL,
	mutation text NOT NULL,
	fields text[] NOT NULL
);
CREATE INDEX airt_changes_uuid ON airt_changes (uuid, rev);
CREATE TABLE airt_devices (store text PRIMARY KEY, last_seq bigint NOT NULL, owner text NOT NULL);
CREATE TABLE airt_outcomes (store text NOT NULL, seq bigint NOT NULL, result jsonb NOT NULL, PRIMARY KEY (store, seq));
CREATE TABLE airt_sessions (token_hash text PRIMARY KEY, user_uuid text NOT NULL, created timestamptz NOT NULL, expires timestamptz NOT NULL);
CREATE INDEX airt_sessions_user ON airt_sessions (user_uuid);
CREATE TABLE airt_disabled_tokens (token_hash text PRIMARY KEY, user_uuid text NOT NULL, created timestamptz NOT NULL, expires timestamptz NOT NULL);
CREATE TABLE airt_login_failures (key text NOT NULL, at timestamptz NOT NULL);
CREATE INDEX airt_login_failures_key ON airt_login_failures (key, at);`,
	// 2: pending SMS codes (sealed otp.SMSChallenge, see pgTx.PutSMSChallenge)
	// and the times codes were sent (the send limit).
	`CREATE TABLE airt_sms_codes (user_uuid text NOT NULL, purpose text NOT NULL, sealed bytea NOT NULL, PRIMARY KEY (user_uuid, purpose));
CREATE TABLE airt_sms_sends (user_uuid text NOT NULL, at timestamptz NOT NULL);
CREATE INDEX airt_sms_sends_user ON airt_sms_sends (user_uuid, at);`,
}

// Meta keys of airt_meta.
const (
	pgMetaEpoch    = "epoch"
	pgMetaKeyCheck = "key_check"
	pgMetaStoreID  = "store_id"
	// pgMetaNameKeys: the account.NameKeyVersion the username_key and
	// email_key columns were made with (see rekeyNames).
	pgMetaNameKeys = "name_keys"
)

// OpenPostgres connects to the database at url (postgres://…), creates or
// migrates its schema and checks opts.Key against the database's check
// value. A database without data (Epoch "") is only good as the target of
// Migrate.
func OpenPostgres(ctx context.Context, url string, opts PostgresOptions) (*PostgresStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	s := &PostgresStore{pool: pool, key: opts.Key, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrateSchema(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.loadMeta(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *PostgresStore) migrateSchema(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgSchemaLock); err != nil {
			return fmt.Errorf("lock the schema: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS airt_schema (version int NOT NULL)`); err != nil {
			return fmt.Errorf("create the schema table: %w", err)
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM airt_schema`).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			_, err = tx.Exec(ctx, `INSERT INTO airt_schema VALUES (0)`)
		}
		if err != nil {
			return fmt.Errorf("read the schema version: %w", err)
		}
		if version > len(pgMigrations) {
			return account.Errorf(account.KindFailed, "the database's schema is version %d, newer than this airt knows (%d)", version, len(pgMigrations)).
				WithHint("run the same airt version as the other server processes")
		}
		for i := version; i < len(pgMigrations); i++ {
			if _, err := tx.Exec(ctx, pgMigrations[i]); err != nil {
				return fmt.Errorf("schema migration %d: %w", i+1, err)
			}
		}
		if _, err = tx.Exec(ctx, `UPDATE airt_schema SET version = $1`, len(pgMigrations)); err != nil {
			return err
		}
		return rekeyNames(ctx, tx)
	})
}

// nameKeyLookAlike prefixes the key of a user whose name, under a new key
// function, is the key of a user earlier in the order. No key
// account.NormalizeKey makes holds an upper-case letter, so no lookup finds
// it: the user stays reachable by uuid and must be renamed before its next
// change (the rules then find the name taken), as on a bbolt store.
const nameKeyLookAlike = "LOOKALIKE:"

// rekeyNames makes the username_key and email_key columns again with
// today's account.NormalizeKey when the database records another key
// version (or none: a database made before the version was recorded), and
// records the current one; the bbolt store does the same on open
// (localstore's meta/name_keys). It runs under the schema lock, so
// processes starting at once do it once, and holds the version row, so no
// write of a running process interleaves. Two users whose names now share
// a key (look-alikes an older airt let coexist): the first in the order of
// `airt user ls` (enabled first, then by creation) keeps the key. An empty
// database is left alone: Migrate records the version with the data.
func rekeyNames(ctx context.Context, tx pgx.Tx) error {
	var version string
	err := tx.QueryRow(ctx, `SELECT value FROM airt_meta WHERE key = $1`, pgMetaNameKeys).Scan(&version)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read the name key version: %w", err)
	}
	if version == account.NameKeyVersion {
		return nil
	}
	if version != "" {
		// Not one this airt made: a newer airt's, whose keys it cannot
		// judge.
		return account.Errorf(account.KindFailed, "the database's usernames and emails are keyed by %s, which this airt does not know (it uses %s)",
			account.Quote(version), account.NameKeyVersion).
			WithHint("run the same airt version as the other server processes")
	}
	var used bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM airt_meta) OR EXISTS (SELECT 1 FROM airt_users)`).Scan(&used); err != nil {
		return fmt.Errorf("read the database's meta: %w", err)
	}
	if !used {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT rev FROM airt_version WHERE id = 1 FOR UPDATE`); err != nil {
		return fmt.Errorf("lock the history's version: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT uuid, data FROM airt_users`)
	if err != nil {
		return fmt.Errorf("read the users to re-key: %w", err)
	}
	var users []*account.User
	var uuid string
	var data []byte
	if _, err := pgx.ForEachRow(rows, []any{&uuid, &data}, func() error {
		var u account.User
		if err := json.Unmarshal(data, &u); err != nil {
			return fmt.Errorf("decode user %s: %w", uuid, err)
		}
		u.UUID = uuid
		users = append(users, &u)
		return nil
	}); err != nil {
		return fmt.Errorf("read the users to re-key: %w", err)
	}
	sort.Slice(users, func(i, j int) bool {
		a, b := users[i], users[j]
		if a.Disabled != b.Disabled {
			return !a.Disabled
		}
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.UUID < b.UUID
	})
	taken := map[string]bool{}
	key := func(s, uuid string) string {
		k := account.NormalizeKey(s)
		if taken[k] {
			return nameKeyLookAlike + uuid
		}
		taken[k] = true
		return k
	}
	uuids := make([]string, len(users))
	names := make([]string, len(users))
	emails := make([]string, len(users))
	for i, u := range users {
		uuids[i] = u.UUID
		names[i] = key(u.Username, u.UUID)
	}
	taken = map[string]bool{}
	for i, u := range users {
		emails[i] = key(u.Email, u.UUID)
	}
	// The unique constraints are deferred to the commit: two users
	// trading keys pass through a moment where both hold one.
	if _, err := tx.Exec(ctx, `UPDATE airt_users SET username_key = k.name, email_key = k.email
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(uuid, name, email) WHERE airt_users.uuid = k.uuid`, uuids, names, emails); err != nil {
		return fmt.Errorf("re-key the users: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO airt_meta VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`,
		pgMetaNameKeys, account.NameKeyVersion); err != nil {
		return fmt.Errorf("record the name key version: %w", err)
	}
	return nil
}

func (s *PostgresStore) loadMeta(ctx context.Context) error {
	meta := map[string]string{}
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM airt_meta`)
	if err != nil {
		return fmt.Errorf("read the database's meta: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		meta[k] = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.epoch = meta[pgMetaEpoch]
	if check := meta[pgMetaKeyCheck]; check != "" {
		sealed, err := base64.StdEncoding.DecodeString(check)
		if err != nil {
			return fmt.Errorf("the database's key check is damaged: %w", err)
		}
		s.sealed = true
		if s.key == nil {
			return nil // RequiresKey tells; Key fails
		}
		if _, err := otp.Open(s.key, sealed, []byte(meta[pgMetaStoreID])); err != nil {
			return account.Errorf(account.KindInvalid, "the key given does not match the database's").
				WithHint("pass the key file written by 'airt server migrate' for this database (--key-file)")
		}
	}
	return nil
}

func (s *PostgresStore) Epoch() string { return s.epoch }

// RequiresKey reports whether the database was opened without the key its
// data is sealed with (a server cannot run so; migrate need not).
func (s *PostgresStore) RequiresKey() bool { return s.sealed && s.key == nil }

func (s *PostgresStore) Now() time.Time { return s.now().UTC() }
func (s *PostgresStore) Close() error   { s.pool.Close(); return nil }

func (s *PostgresStore) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Read runs fn in a read-only REPEATABLE READ transaction: one snapshot.
func (s *PostgresStore) Read(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn)
}

// Write runs fn after locking the version row: every write transaction of
// every process waits for the one before it to end.
func (s *PostgresStore) Write(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, true, fn)
}

func (s *PostgresStore) run(ctx context.Context, opts pgx.TxOptions, write bool, fn func(Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin a database transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	t := newPgTx(s, tx, ctx, write)
	lock := `SELECT rev FROM airt_version WHERE id = 1`
	if write {
		lock += ` FOR UPDATE`
	}
	if err := tx.QueryRow(ctx, lock).Scan(&t.head); err != nil {
		return fmt.Errorf("read the history's version: %w", err)
	}
	t.committed = t.head
	if err := fn(t); err != nil {
		return err
	}
	if t.err != nil {
		return t.err
	}
	if err := t.flush(); err != nil {
		return err
	}
	if write && t.head != t.committed {
		if _, err := tx.Exec(ctx, `UPDATE airt_version SET rev = $1 WHERE id = 1`, t.head); err != nil {
			return fmt.Errorf("advance the history's version: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Login attempts (guard.Store): rows (key, at) of airt_login_failures, one
// per counted attempt, shared by every process.

// pgAttemptsLock is the advisory lock key that serialises the counting of
// login attempts across processes: a burst spread over several processes
// still gets exactly the limit.
const pgAttemptsLock = 0x61697274_6c6f67 // "airt" "log"

// UpdateAttempts implements guard.Store in one transaction under
// pgAttemptsLock.
func (s *PostgresStore) UpdateAttempts(keys []string, fn func([]*guard.Record) error) error {
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("count a login attempt: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgAttemptsLock)); err != nil {
		return fmt.Errorf("count a login attempt: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT key, at FROM airt_login_failures WHERE key = ANY($1) ORDER BY at`, keys)
	if err != nil {
		return fmt.Errorf("read login attempts: %w", err)
	}
	byKey := map[string]*guard.Record{}
	recs := make([]*guard.Record, len(keys))
	for i, k := range keys {
		recs[i] = &guard.Record{}
		byKey[k] = recs[i]
	}
	var key string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&key, &at}, func() error {
		if r := byKey[key]; r != nil {
			r.Times = append(r.Times, at.UTC())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read login attempts: %w", err)
	}
	if err := fn(recs); err != nil {
		return err
	}
	var ks []string
	var ats []time.Time
	for i, k := range keys {
		for _, t := range recs[i].Times {
			ks, ats = append(ks, k), append(ats, t)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM airt_login_failures WHERE key = ANY($1)`, keys); err != nil {
		return fmt.Errorf("store login attempts: %w", err)
	}
	if len(ks) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO airt_login_failures SELECT * FROM unnest($1::text[], $2::timestamptz[])`, ks, ats); err != nil {
			return fmt.Errorf("store login attempts: %w", err)
		}
	}
	return tx.Commit(ctx)
}

// DeleteAttemptsBefore implements guard.Store: attempts older than t are
// outside every rule's window.
func (s *PostgresStore) DeleteAttemptsBefore(t time.Time) error {
	_, err := s.pool.Exec(context.Background(), `DELETE FROM airt_login_failures WHERE at < $1`, t)
	return err
}
