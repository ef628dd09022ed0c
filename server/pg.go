package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	usersync "github.com/airt/airt/sync"
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
	// prunes counts failed logins recorded, to sweep expired ones now and
	// then.
	prunes atomic.Uint64
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
CREATE UNIQUE INDEX airt_users_username ON airt_users (username_key);
CREATE UNIQUE INDEX airt_users_email ON airt_users (email_key);
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
}

// Meta keys of airt_meta.
const (
	pgMetaEpoch    = "epoch"
	pgMetaKeyCheck = "key_check"
	pgMetaStoreID  = "store_id"
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
		_, err = tx.Exec(ctx, `UPDATE airt_schema SET version = $1`, len(pgMigrations))
		return err
	})
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
	t := &pgTx{s: s, tx: tx, ctx: ctx, write: write}
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

// pgTx is a Tx over one database transaction.
type pgTx struct {
	s     *PostgresStore
	tx    pgx.Tx
	ctx   context.Context
	write bool
	// head is the latest revision, counting the ones this transaction took;
	// committed is the one read when it began; saved is head at the last
	// savepoint.
	head, committed, saved uint64
	// err keeps the first failure of a method that cannot return one
	// (HasUsers, EnabledSuperUsers): the transaction then fails.
	err error
}

func (t *pgTx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *pgTx) exec(sql string, args ...any) error {
	if !t.write {
		return errors.New("write in a read transaction")
	}
	_, err := t.tx.Exec(t.ctx, sql, args...)
	return err
}

func (t *pgTx) Now() time.Time { return t.s.Now() }

func (t *pgTx) Key() ([]byte, error) {
	if t.s.key == nil {
		return nil, errors.New("store key unavailable: no key given for the database (--key-file)")
	}
	return t.s.key, nil
}

func scanUser(row pgx.Row) (*account.User, error) {
	var data []byte
	if err := row.Scan(&data); err != nil {
		return nil, err
	}
	var u account.User
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, fmt.Errorf("decode user: %w", err)
	}
	return &u, nil
}

func (t *pgTx) User(uuid string) (*account.User, error) {
	u, err := scanUser(t.tx.QueryRow(t.ctx, `SELECT data FROM airt_users WHERE uuid = $1`, normUUID(uuid)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, account.ErrUnknownUUID
	}
	return u, err
}

func (t *pgTx) UserByUsername(name string) (*account.User, error) {
	u, err := scanUser(t.tx.QueryRow(t.ctx, `SELECT data FROM airt_users WHERE username_key = $1`, account.NormalizeKey(name)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, account.ErrUnknownUsername
	}
	return u, err
}

func normUUID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// PutUser answers a taken username or email as localstore's PutUser does
// (the same errors, from the same normalised keys).
func (t *pgTx) PutUser(old, u *account.User) error {
	u.UUID = normUUID(u.UUID)
	nameKey, emailKey := account.NormalizeKey(u.Username), account.NormalizeKey(u.Email)
	rows, err := t.tx.Query(t.ctx, `SELECT username_key, email_key FROM airt_users WHERE (username_key = $1 OR email_key = $2) AND uuid <> $3`, nameKey, emailKey, u.UUID)
	if err != nil {
		return err
	}
	defer rows.Close()
	nameTaken, emailTaken := false, false
	for rows.Next() {
		var n, e string
		if err := rows.Scan(&n, &e); err != nil {
			return err
		}
		nameTaken = nameTaken || n == nameKey
		emailTaken = emailTaken || e == emailKey
	}
	if err := rows.Err(); err != nil {
		return err
	}
	switch {
	case nameTaken && old == nil, emailTaken && old == nil:
		return account.ErrUserExists
	case nameTaken:
		return account.ErrUsernameTaken
	case emailTaken:
		return account.ErrEmailTaken
	}
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encode user %s: %w", u.UUID, err)
	}
	return t.exec(`INSERT INTO airt_users (uuid, username_key, email_key, enabled_super, data) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (uuid) DO UPDATE SET username_key = $2, email_key = $3, enabled_super = $4, data = $5`,
		u.UUID, nameKey, emailKey, u.SuperUser && !u.Disabled, data)
}

func (t *pgTx) HasUsers() bool {
	var ok bool
	if err := t.tx.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM airt_users)`).Scan(&ok); err != nil {
		t.fail(err)
	}
	return ok
}

func (t *pgTx) EnabledSuperUsers() int {
	var n int
	if err := t.tx.QueryRow(t.ctx, `SELECT count(*) FROM airt_users WHERE enabled_super`).Scan(&n); err != nil {
		t.fail(err)
		return 0
	}
	return n
}

// NewSession makes a token like localstore's: 256 random bits, kept as
// localstore.TokenHash.
func (t *pgTx) NewSession(uuid string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := "airt_" + base64.RawURLEncoding.EncodeToString(b)
	now := t.Now()
	return token, t.exec(`INSERT INTO airt_sessions VALUES ($1, $2, $3, $4)`,
		localstore.TokenHash(token), uuid, now, now.Add(localstore.SessionLifetime))
}

func (t *pgTx) SessionUser(token string) (*account.User, error) {
	var uuid string
	var expires time.Time
	err := t.tx.QueryRow(t.ctx, `SELECT user_uuid, expires FROM airt_sessions WHERE token_hash = $1`, localstore.TokenHash(token)).Scan(&uuid, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, account.ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	if !t.Now().Before(expires) {
		return nil, account.ErrBadToken
	}
	u, err := t.User(uuid)
	if errors.Is(err, account.ErrUnknownUUID) {
		return nil, account.ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	if err := account.CheckActive(u); err != nil {
		return nil, err
	}
	return u, nil
}

func (t *pgTx) DeleteSession(token string) error {
	return t.exec(`DELETE FROM airt_sessions WHERE token_hash = $1`, localstore.TokenHash(token))
}

func (t *pgTx) DeleteSessionsOf(uuid string) error {
	return t.exec(`DELETE FROM airt_sessions WHERE user_uuid = $1`, uuid)
}

func (t *pgTx) SessionsOf(uuid string) (map[string]localstore.Session, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT token_hash, created, expires FROM airt_sessions WHERE user_uuid = $1`, uuid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]localstore.Session{}
	for rows.Next() {
		var h string
		s := localstore.Session{UserUUID: uuid}
		if err := rows.Scan(&h, &s.Created, &s.Expires); err != nil {
			return nil, err
		}
		out[h] = s
	}
	return out, rows.Err()
}

func (t *pgTx) PutDisabledToken(hash string, s localstore.Session) error {
	return t.exec(`INSERT INTO airt_disabled_tokens VALUES ($1, $2, $3, $4)
ON CONFLICT (token_hash) DO UPDATE SET user_uuid = $2, created = $3, expires = $4`, hash, s.UserUUID, s.Created, s.Expires)
}

func (t *pgTx) DisabledToken(hash string) (localstore.Session, bool, error) {
	var s localstore.Session
	err := t.tx.QueryRow(t.ctx, `SELECT user_uuid, created, expires FROM airt_disabled_tokens WHERE token_hash = $1`, hash).Scan(&s.UserUUID, &s.Created, &s.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, false, nil
	}
	return s, err == nil, err
}

// NextRevision counts on the version row this transaction locked;
// Write stores the new value before it commits.
func (t *pgTx) NextRevision() (uint64, error) {
	if !t.write {
		return 0, errors.New("write in a read transaction")
	}
	t.head++
	return t.head, nil
}

func (t *pgTx) PutChange(rev uint64, ch change) error {
	fields := ch.Fields
	if fields == nil {
		fields = []string{}
	}
	return t.exec(`INSERT INTO airt_changes VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		rev, ch.ID, ch.UUID, ch.Store, ch.Seq, ch.Mutation, fields)
}

func (t *pgTx) Head() (uint64, error) { return t.head, nil }

const changeColumns = `rev, id, uuid, store, seq, mutation, fields`

func scanChanges(rows pgx.Rows) ([]change, error) {
	var out []change
	for rows.Next() {
		var ch change
		if err := rows.Scan(&ch.Rev, &ch.ID, &ch.UUID, &ch.Store, &ch.Seq, &ch.Mutation, &ch.Fields); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

func (t *pgTx) ChangeAt(rev uint64) (change, bool, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+changeColumns+` FROM airt_changes WHERE rev = $1`, rev)
	if err != nil {
		return change{}, false, err
	}
	defer rows.Close()
	chs, err := scanChanges(rows)
	if err != nil || len(chs) == 0 {
		return change{}, false, err
	}
	return chs[0], true, nil
}

func (t *pgTx) ChangesAfter(after uint64, limit int) ([]change, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+changeColumns+` FROM airt_changes WHERE rev > $1 ORDER BY rev LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanChanges(rows)
}

func (t *pgTx) ChangesOf(uuid string, after uint64) ([]change, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+changeColumns+` FROM airt_changes WHERE uuid = $1 AND rev > $2 ORDER BY rev`, uuid, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanChanges(rows)
}

func (t *pgTx) Device(store string) (device, error) {
	var d device
	err := t.tx.QueryRow(t.ctx, `SELECT last_seq, owner FROM airt_devices WHERE store = $1`, store).Scan(&d.LastSeq, &d.Owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return device{}, nil
	}
	return d, err
}

func (t *pgTx) PutDevice(store string, d device) error {
	return t.exec(`INSERT INTO airt_devices VALUES ($1, $2, $3) ON CONFLICT (store) DO UPDATE SET last_seq = $2, owner = $3`, store, d.LastSeq, d.Owner)
}

func (t *pgTx) Outcome(store string, seq uint64) (usersync.Result, bool, error) {
	var r usersync.Result
	var data []byte
	err := t.tx.QueryRow(t.ctx, `SELECT result FROM airt_outcomes WHERE store = $1 AND seq = $2`, store, seq).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, false, fmt.Errorf("decode outcome %s/%d: %w", store, seq, err)
	}
	return r, true, nil
}

func (t *pgTx) PutOutcome(store string, res usersync.Result) error {
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return t.exec(`INSERT INTO airt_outcomes VALUES ($1, $2, $3) ON CONFLICT (store, seq) DO UPDATE SET result = $3`, store, res.Seq, data)
}

func (t *pgTx) Savepoint() error {
	t.saved = t.head
	return t.exec(`SAVEPOINT mutation`)
}

func (t *pgTx) RollbackToSavepoint() error {
	t.head = t.saved
	return t.exec(`ROLLBACK TO SAVEPOINT mutation`)
}

// Login limits: rows of airt_login_failures, shared by every process.

func (s *PostgresStore) LoginFailures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT at FROM airt_login_failures WHERE key = $1 AND at > $2 ORDER BY at`, key, since)
	if err != nil {
		return nil, fmt.Errorf("read failed logins: %w", err)
	}
	defer rows.Close()
	return pgx.CollectRows(rows, pgx.RowTo[time.Time])
}

func (s *PostgresStore) RecordLoginFailure(ctx context.Context, key string, at, forgetBefore time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO airt_login_failures VALUES ($1, $2)`, key, at); err != nil {
		return fmt.Errorf("record a failed login: %w", err)
	}
	// Now and then sweep every key's expired failures, so names guessed
	// once do not pile up.
	where := `key = $1 AND at <= $2`
	if s.prunes.Add(1)%256 == 0 {
		where = `at <= $2 AND $1::text IS NOT NULL`
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM airt_login_failures WHERE `+where, key, forgetBefore)
	return err
}

func (s *PostgresStore) ResetLoginFailures(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM airt_login_failures WHERE key = $1`, key)
	return err
}
