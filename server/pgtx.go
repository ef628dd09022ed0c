package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	usersync "github.com/airt/airt/sync"
)

// pgTx is a Tx over one database transaction. A write transaction holds the
// version row's lock, so nothing it reads changes under it: it reads each
// row at most once, keeps what it writes (users, changes, pushing stores,
// outcomes) in memory, where its own reads find them, and sends all of it
// in one pipelined batch before it commits. A push of hundreds of changes
// then costs a few round trips per change instead of a dozen. A savepoint
// is an undo log over that memory; the database gets a real SAVEPOINT only
// when a mutation writes to it directly (tokens).
type pgTx struct {
	s     *PostgresStore
	tx    pgx.Tx
	ctx   context.Context
	write bool
	// head is the latest revision, counting the ones this transaction took;
	// committed is the one read when it began.
	head, committed uint64
	// err keeps the first failure of a method that cannot return one
	// (HasUsers, EnabledSuperUsers): the transaction then fails.
	err error

	// Read from the database (as committed before this transaction): nil
	// user for "none".
	dbUsers   map[string]*account.User
	dbNames   map[string]string // username key -> uuid ("" none)
	dbEmails  map[string]string
	dbSupers  int // enabled super users; -1 not read yet
	dbAnyUser int // -1 not read, 0 no, 1 yes

	// Written by this transaction.
	users    map[string]*account.User
	order    []string          // uuids of users, first write order
	names    map[string]string // username key -> uuid, over users
	emails   map[string]string
	changes  []change
	devices  map[string]device
	outcomes map[outcomeID]usersync.Result

	// undo restores the memory to the last Savepoint; dbSavepoint: a
	// SAVEPOINT was sent since then (needSavepoint: one is due before the
	// next direct write).
	undo                       []func()
	needSavepoint, dbSavepoint bool
}

type outcomeID struct {
	store string
	seq   uint64
}

func newPgTx(s *PostgresStore, tx pgx.Tx, ctx context.Context, write bool) *pgTx {
	return &pgTx{s: s, tx: tx, ctx: ctx, write: write,
		dbUsers: map[string]*account.User{}, dbNames: map[string]string{}, dbEmails: map[string]string{},
		dbSupers: -1, dbAnyUser: -1,
		users: map[string]*account.User{}, names: map[string]string{}, emails: map[string]string{},
		devices: map[string]device{}, outcomes: map[outcomeID]usersync.Result{}}
}

func (t *pgTx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *pgTx) writable() error {
	if !t.write {
		return errors.New("write in a read transaction")
	}
	return nil
}

// exec writes to the database now (tokens), after the SAVEPOINT a
// rejected mutation would roll back to.
func (t *pgTx) exec(sql string, args ...any) error {
	if err := t.writable(); err != nil {
		return err
	}
	if t.needSavepoint {
		if _, err := t.tx.Exec(t.ctx, `SAVEPOINT mutation`); err != nil {
			return err
		}
		t.needSavepoint, t.dbSavepoint = false, true
	}
	_, err := t.tx.Exec(t.ctx, sql, args...)
	return err
}

func (t *pgTx) Savepoint() error {
	t.undo = t.undo[:0]
	saved := t.head
	t.undo = append(t.undo, func() { t.head = saved })
	t.needSavepoint, t.dbSavepoint = true, false
	return nil
}

func (t *pgTx) RollbackToSavepoint() error {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = t.undo[:0]
	if t.dbSavepoint {
		if _, err := t.tx.Exec(t.ctx, `ROLLBACK TO SAVEPOINT mutation`); err != nil {
			return err
		}
	}
	t.needSavepoint, t.dbSavepoint = false, false
	return nil
}

// flush sends what the transaction wrote, in one batch.
func (t *pgTx) flush() error {
	if !t.write {
		return nil
	}
	b := &pgx.Batch{}
	for _, id := range t.order {
		u := t.users[id]
		data, err := json.Marshal(u)
		if err != nil {
			return fmt.Errorf("encode user %s: %w", u.UUID, err)
		}
		b.Queue(`INSERT INTO airt_users (uuid, username_key, email_key, enabled_super, data) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (uuid) DO UPDATE SET username_key = $2, email_key = $3, enabled_super = $4, data = $5`,
			u.UUID, account.NormalizeKey(u.Username), account.NormalizeKey(u.Email), enabledSuper(u), data)
	}
	for _, ch := range t.changes {
		fields := ch.Fields
		if fields == nil {
			fields = []string{}
		}
		b.Queue(`INSERT INTO airt_changes VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			ch.Rev, ch.ID, ch.UUID, ch.Store, ch.Seq, ch.Mutation, fields)
	}
	for store, d := range t.devices {
		b.Queue(`INSERT INTO airt_devices VALUES ($1, $2, $3) ON CONFLICT (store) DO UPDATE SET last_seq = $2, owner = $3`, store, d.LastSeq, d.Owner)
	}
	for id, res := range t.outcomes {
		data, err := json.Marshal(res)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO airt_outcomes VALUES ($1, $2, $3) ON CONFLICT (store, seq) DO UPDATE SET result = $3`, id.store, id.seq, data)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := t.tx.SendBatch(t.ctx, b).Close(); err != nil {
		return fmt.Errorf("write the transaction's changes: %w", err)
	}
	return nil
}

func enabledSuper(u *account.User) bool { return u.SuperUser && !u.Disabled }

func (t *pgTx) Now() time.Time { return t.s.Now() }

func (t *pgTx) Key() ([]byte, error) {
	if t.s.key == nil {
		return nil, errors.New("store key unavailable: no key given for the database (--key-file)")
	}
	return t.s.key, nil
}

func copyUser(u *account.User) *account.User {
	c := *u
	if u.MFA != nil {
		m := *u.MFA
		c.MFA = &m
	}
	if u.SSO != nil {
		c.SSO = make(map[string]string, len(u.SSO))
		for k, v := range u.SSO {
			c.SSO[k] = v
		}
	}
	return &c
}

// dbUser reads a user as committed (nil: none), once.
func (t *pgTx) dbUser(uuid string) (*account.User, error) {
	if u, ok := t.dbUsers[uuid]; ok {
		return u, nil
	}
	var data []byte
	err := t.tx.QueryRow(t.ctx, `SELECT data FROM airt_users WHERE uuid = $1`, uuid).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		t.dbUsers[uuid] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var u account.User
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, fmt.Errorf("decode user %s: %w", uuid, err)
	}
	t.dbUsers[uuid] = &u
	return &u, nil
}

func (t *pgTx) User(uuid string) (*account.User, error) {
	uuid = normUUID(uuid)
	u := t.users[uuid]
	if u == nil {
		var err error
		if u, err = t.dbUser(uuid); err != nil {
			return nil, err
		}
	}
	if u == nil {
		return nil, account.ErrUnknownUUID
	}
	return copyUser(u), nil
}

// dbOwners reads which users hold a username key and an email key as
// committed, once per key.
func (t *pgTx) dbOwners(nameKey, emailKey string) (string, string, error) {
	_, haveName := t.dbNames[nameKey]
	_, haveEmail := t.dbEmails[emailKey]
	if !haveName || !haveEmail {
		rows, err := t.tx.Query(t.ctx, `SELECT uuid, username_key, email_key FROM airt_users WHERE username_key = $1 OR email_key = $2`, nameKey, emailKey)
		if err != nil {
			return "", "", err
		}
		defer rows.Close()
		t.dbNames[nameKey], t.dbEmails[emailKey] = "", ""
		for rows.Next() {
			var id, n, e string
			if err := rows.Scan(&id, &n, &e); err != nil {
				return "", "", err
			}
			if n == nameKey {
				t.dbNames[nameKey] = id
			}
			if e == emailKey {
				t.dbEmails[emailKey] = id
			}
		}
		if err := rows.Err(); err != nil {
			return "", "", err
		}
	}
	return t.dbNames[nameKey], t.dbEmails[emailKey], nil
}

// holder returns the user holding key now: a user this transaction wrote
// with that key, else the committed holder unless this transaction gave
// that user another key.
func (t *pgTx) holder(key string, written map[string]string, committed string, keyOf func(*account.User) string) string {
	if id, ok := written[key]; ok {
		return id
	}
	if committed == "" {
		return ""
	}
	if u := t.users[committed]; u != nil && keyOf(u) != key {
		return ""
	}
	return committed
}

func nameKeyOf(u *account.User) string  { return account.NormalizeKey(u.Username) }
func emailKeyOf(u *account.User) string { return account.NormalizeKey(u.Email) }

func (t *pgTx) UserByUsername(name string) (*account.User, error) {
	key := account.NormalizeKey(name)
	dbName, _, err := t.dbOwners(key, "")
	if err != nil {
		return nil, err
	}
	id := t.holder(key, t.names, dbName, nameKeyOf)
	if id == "" {
		return nil, account.ErrUnknownUsername
	}
	return t.User(id)
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
	if err := t.writable(); err != nil {
		return err
	}
	u.UUID = normUUID(u.UUID)
	nameKey, emailKey := nameKeyOf(u), emailKeyOf(u)
	dbName, dbEmail, err := t.dbOwners(nameKey, emailKey)
	if err != nil {
		return err
	}
	nameTaken := t.holder(nameKey, t.names, dbName, nameKeyOf)
	emailTaken := t.holder(emailKey, t.emails, dbEmail, emailKeyOf)
	switch {
	case nameTaken != "" && nameTaken != u.UUID && old == nil, emailTaken != "" && emailTaken != u.UUID && old == nil:
		return account.ErrUserExists
	case nameTaken != "" && nameTaken != u.UUID:
		return account.ErrUsernameTaken
	case emailTaken != "" && emailTaken != u.UUID:
		return account.ErrEmailTaken
	}
	// The committed state of u, for EnabledSuperUsers.
	if _, err := t.dbUser(u.UUID); err != nil {
		return err
	}
	prev, had := t.users[u.UUID]
	// The key entries this write may touch, as they are, for the undo.
	type entry struct {
		m      map[string]string
		k, v   string
		exists bool
	}
	var saved []entry
	save := func(m map[string]string, k string) {
		v, ok := m[k]
		saved = append(saved, entry{m, k, v, ok})
	}
	save(t.names, nameKey)
	save(t.emails, emailKey)
	if had {
		save(t.names, nameKeyOf(prev))
		save(t.emails, emailKeyOf(prev))
	}
	t.undo = append(t.undo, func() {
		for i := len(saved) - 1; i >= 0; i-- {
			restore(saved[i].m, saved[i].k, saved[i].v, saved[i].exists)
		}
		if had {
			t.users[u.UUID] = prev
		} else {
			delete(t.users, u.UUID)
			t.order = t.order[:len(t.order)-1]
		}
	})
	if had {
		if k := nameKeyOf(prev); k != nameKey && t.names[k] == u.UUID {
			delete(t.names, k)
		}
		if k := emailKeyOf(prev); k != emailKey && t.emails[k] == u.UUID {
			delete(t.emails, k)
		}
	} else {
		t.order = append(t.order, u.UUID)
	}
	t.users[u.UUID] = copyUser(u)
	t.names[nameKey], t.emails[emailKey] = u.UUID, u.UUID
	return nil
}

// restore puts m[k] back as it was before a write: v if it was there
// (had), else no entry.
func restore[K comparable, V any](m map[K]V, k K, v V, had bool) {
	if had {
		m[k] = v
	} else {
		delete(m, k)
	}
}

// setUndoable sets m[k] = v in the transaction's memory and records how
// to take it back at RollbackToSavepoint.
func setUndoable[K comparable, V any](t *pgTx, m map[K]V, k K, v V) {
	prev, had := m[k]
	t.undo = append(t.undo, func() { restore(m, k, prev, had) })
	m[k] = v
}

func (t *pgTx) HasUsers() bool {
	if len(t.users) > 0 {
		return true
	}
	if t.dbAnyUser < 0 {
		var ok bool
		if err := t.tx.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM airt_users)`).Scan(&ok); err != nil {
			t.fail(err)
			return false
		}
		t.dbAnyUser = 0
		if ok {
			t.dbAnyUser = 1
		}
	}
	return t.dbAnyUser == 1
}

func (t *pgTx) EnabledSuperUsers() int {
	if t.dbSupers < 0 {
		if err := t.tx.QueryRow(t.ctx, `SELECT count(*) FROM airt_users WHERE enabled_super`).Scan(&t.dbSupers); err != nil {
			t.fail(err)
			return 0
		}
	}
	n := t.dbSupers
	for id, u := range t.users {
		if enabledSuper(u) {
			n++
		}
		if old := t.dbUsers[id]; old != nil && enabledSuper(old) {
			n--
		}
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

// NextRevision counts on the version row this transaction locked; Write
// stores the new value before it commits.
func (t *pgTx) NextRevision() (uint64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	t.head++
	return t.head, nil
}

func (t *pgTx) PutChange(rev uint64, ch change) error {
	if err := t.writable(); err != nil {
		return err
	}
	ch.Rev = rev
	n := len(t.changes)
	t.undo = append(t.undo, func() { t.changes = t.changes[:n] })
	t.changes = append(t.changes, ch)
	return nil
}

func (t *pgTx) Head() (uint64, error) { return t.head, nil }

const changeColumns = `rev, id, uuid, store, seq, mutation, fields`

func scanChanges(rows pgx.Rows) ([]change, error) {
	defer rows.Close()
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
	if rev > t.committed {
		for _, ch := range t.changes {
			if ch.Rev == rev {
				return ch, true, nil
			}
		}
		return change{}, false, nil
	}
	rows, err := t.tx.Query(t.ctx, `SELECT `+changeColumns+` FROM airt_changes WHERE rev = $1`, rev)
	if err != nil {
		return change{}, false, err
	}
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
	out, err := scanChanges(rows)
	if err != nil {
		return nil, err
	}
	for _, ch := range t.changes {
		if ch.Rev > after && len(out) < limit {
			out = append(out, ch)
		}
	}
	return out, nil
}

func (t *pgTx) ChangesOf(uuid string, after uint64) ([]change, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+changeColumns+` FROM airt_changes WHERE uuid = $1 AND rev > $2 ORDER BY rev`, uuid, after)
	if err != nil {
		return nil, err
	}
	out, err := scanChanges(rows)
	if err != nil {
		return nil, err
	}
	for _, ch := range t.changes {
		if ch.UUID == uuid && ch.Rev > after {
			out = append(out, ch)
		}
	}
	return out, nil
}

func (t *pgTx) Device(store string) (device, error) {
	if d, ok := t.devices[store]; ok {
		return d, nil
	}
	var d device
	err := t.tx.QueryRow(t.ctx, `SELECT last_seq, owner FROM airt_devices WHERE store = $1`, store).Scan(&d.LastSeq, &d.Owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return device{}, nil
	}
	return d, err
}

func (t *pgTx) PutDevice(store string, d device) error {
	if err := t.writable(); err != nil {
		return err
	}
	setUndoable(t, t.devices, store, d)
	return nil
}

func (t *pgTx) Outcome(store string, seq uint64) (usersync.Result, bool, error) {
	if r, ok := t.outcomes[outcomeID{store, seq}]; ok {
		return r, true, nil
	}
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
	if err := t.writable(); err != nil {
		return err
	}
	setUndoable(t, t.outcomes, outcomeID{store, res.Seq}, res)
	return nil
}

// PutOTPAttempts keeps the TOTP failure count and lock-out in the user's
// record, as the bbolt store does.
func (t *pgTx) PutOTPAttempts(uuid string, a otp.Attempts) error {
	u, err := t.User(uuid)
	if err != nil {
		return err
	}
	updated, ok := localstore.WithOTPAttempts(u, a)
	if !ok {
		return nil
	}
	return t.PutUser(u, updated)
}

// Pending SMS codes live in airt_sms_codes, sealed with the store key
// exactly as the bbolt store seals them (additional data: uuid "/" purpose),
// so the database shows neither a code's hash nor the phone number, and a
// migration copies the sealed bytes as they are. Send times live in
// airt_sms_sends, one row per send. Both are written only in write
// transactions, which hold the version row's lock: a code's wrong-attempt
// count read, checked and written back by one process cannot interleave with
// another's.

func smsAD(uuid, purpose string) []byte { return []byte(uuid + "/" + purpose) }

func (t *pgTx) SMSChallenge(uuid, purpose string) (otp.SMSChallenge, bool, error) {
	var ch otp.SMSChallenge
	var sealed []byte
	err := t.tx.QueryRow(t.ctx, `SELECT sealed FROM airt_sms_codes WHERE user_uuid = $1 AND purpose = $2`, uuid, purpose).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return ch, false, nil
	}
	if err != nil {
		return ch, false, fmt.Errorf("read the pending sms code: %w", err)
	}
	key, err := t.Key()
	if err != nil {
		return ch, false, err
	}
	clear, err := otp.Open(key, sealed, smsAD(uuid, purpose))
	if err != nil {
		return ch, false, fmt.Errorf("pending sms code: %w", err)
	}
	if err := json.Unmarshal(clear, &ch); err != nil {
		return ch, false, fmt.Errorf("decode pending sms code: %w", err)
	}
	return ch, true, nil
}

// PutSMSChallenge replaces the pending code of uuid for purpose (only the
// latest code counts).
func (t *pgTx) PutSMSChallenge(uuid, purpose string, ch otp.SMSChallenge) error {
	if err := t.writable(); err != nil {
		return err
	}
	clear, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	key, err := t.Key()
	if err != nil {
		return err
	}
	sealed, err := otp.Seal(key, clear, smsAD(uuid, purpose))
	if err != nil {
		return fmt.Errorf("seal sms code: %w", err)
	}
	return t.exec(`INSERT INTO airt_sms_codes VALUES ($1, $2, $3)
ON CONFLICT (user_uuid, purpose) DO UPDATE SET sealed = $3`, uuid, purpose, sealed)
}

func (t *pgTx) DeleteSMSChallenge(uuid, purpose string) error {
	return t.exec(`DELETE FROM airt_sms_codes WHERE user_uuid = $1 AND purpose = $2`, uuid, purpose)
}

func (t *pgTx) SMSSends(uuid string) ([]time.Time, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT at FROM airt_sms_sends WHERE user_uuid = $1 ORDER BY at`, uuid)
	if err != nil {
		return nil, fmt.Errorf("read sms send times: %w", err)
	}
	var sent []time.Time
	var at time.Time
	if _, err := pgx.ForEachRow(rows, []any{&at}, func() error {
		sent = append(sent, at.UTC())
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read sms send times: %w", err)
	}
	return sent, nil
}

// PutSMSSends replaces the send times of uuid (otpcheck keeps only those
// inside the limit's window).
func (t *pgTx) PutSMSSends(uuid string, sent []time.Time) error {
	if err := t.exec(`DELETE FROM airt_sms_sends WHERE user_uuid = $1`, uuid); err != nil {
		return fmt.Errorf("store sms send times: %w", err)
	}
	if len(sent) == 0 {
		return nil
	}
	if err := t.exec(`INSERT INTO airt_sms_sends SELECT $1, unnest($2::timestamptz[])`, uuid, sent); err != nil {
		return fmt.Errorf("store sms send times: %w", err)
	}
	return nil
}
