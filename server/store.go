package server

import (
	"context"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/server/guard"
	usersync "github.com/airt/airt/sync"
)

// Store is where the server keeps its state: the users, their change
// history, what it knows of each pushing store, the outcomes of pushed
// mutations, tokens and failed logins. The rules (who may do what,
// validation, uniqueness, the last-super-user guard, conflicts, exactly-once)
// live in this package and in localstore.ApplyTo, written once over Tx; a
// Store only stores. Two implementations: a bbolt file in the localstore
// format (OpenBolt, one process) and PostgreSQL (OpenPostgres, any number of
// processes on one database).
type Store interface {
	// Epoch is the id of the server's history (see sync.PullResponse).
	Epoch() string
	// Read runs fn on a consistent snapshot: everything fn sees was
	// committed before it started, and nothing committed later.
	Read(ctx context.Context, fn func(Tx) error) error
	// Write runs fn in one read-write transaction, serialised with every
	// other Write on the same store (across processes too): fn sees the
	// latest state and nobody else writes until it commits. An error from
	// fn rolls everything back.
	Write(ctx context.Context, fn func(Tx) error) error
	// Now is the store's clock (localstore.Options.Now for a bbolt store).
	Now() time.Time
	// Ping answers whether the store is reachable (readiness).
	Ping(ctx context.Context) error

	// The login limiter's attempt counts (package guard), shared by every
	// server process on the store, so a client cannot spread its guesses
	// over several processes, and kept across restarts.
	guard.Store

	Close() error
}

// Tx is one transaction of a Store. Read transactions refuse writes.
type Tx interface {
	// The users, under the rules of localstore.ApplyTo.
	localstore.Records
	UserByUsername(name string) (*account.User, error)

	// One-time codes, under the rules of package otpcheck: the TOTP
	// failure count and lock-out (kept in the user's record), pending SMS
	// codes and their send times.
	PutOTPAttempts(uuid string, a otp.Attempts) error
	SMSChallenge(uuid, purpose string) (ch otp.SMSChallenge, ok bool, err error)
	PutSMSChallenge(uuid, purpose string, ch otp.SMSChallenge) error
	DeleteSMSChallenge(uuid, purpose string) error
	SMSSends(uuid string) ([]time.Time, error)
	PutSMSSends(uuid string, sent []time.Time) error

	// Tokens: kept as their SHA-256 (localstore.TokenHash), bound to a user
	// and expiring after localstore.SessionLifetime; DeleteSessionsOf
	// (Records) revokes a user's.
	NewSession(uuid string) (token string, err error)
	// SessionUser: unknown, expired or revoked tokens give
	// account.ErrBadToken; a disabled user account.ErrAccountDisabled.
	SessionUser(token string) (*account.User, error)
	DeleteSession(token string) error
	SessionsOf(uuid string) (map[string]localstore.Session, error)
	// Tokens revoked because their user was disabled, by token hash, so a
	// later request with one is told that the account is disabled.
	PutDisabledToken(hash string, s localstore.Session) error
	DisabledToken(hash string) (localstore.Session, bool, error)

	// The history: revision n is the n-th change, numbered without gaps,
	// in the order the changes committed.
	// NextRevision reserves the next revision number for a change this
	// transaction is about to make.
	NextRevision() (uint64, error)
	PutChange(rev uint64, ch change) error
	// Head is the latest revision.
	Head() (uint64, error)
	// ChangeAt returns the change at rev (false: none).
	ChangeAt(rev uint64) (change, bool, error)
	// ChangesAfter returns up to limit changes after revision after, in
	// order.
	ChangesAfter(after uint64, limit int) ([]change, error)
	// ChangesOf returns the changes of one user after revision after.
	ChangesOf(uuid string, after uint64) ([]change, error)

	// Pushing stores and the outcomes of their mutations, by (store, seq).
	Device(store string) (device, error)
	PutDevice(store string, d device) error
	Outcome(store string, seq uint64) (usersync.Result, bool, error)
	PutOutcome(store string, res usersync.Result) error

	// Savepoint marks the state before one pushed mutation is decided;
	// RollbackToSavepoint undoes what was written since (a rejected
	// mutation), or fails when the store cannot, and then the whole
	// transaction must be abandoned.
	Savepoint() error
	RollbackToSavepoint() error
}

// change is the record of one applied change.
type change struct {
	// Rev is the change's revision (the key it is stored under, not part
	// of the stored value).
	Rev uint64 `json:"-"`
	// ID is random: a client's cursor names a revision and the ID it saw
	// there, so a server restored from an older copy (which reuses revision
	// numbers) is recognised.
	ID       string   `json:"id"`
	UUID     string   `json:"uuid"`
	Store    string   `json:"store,omitempty"` // pushing store; "" for the server's own changes
	Seq      uint64   `json:"seq,omitempty"`
	Mutation string   `json:"mutation,omitempty"`
	Fields   []string `json:"fields"`
}

// device is what the server knows of a pushing store: the last sequence
// number it processed and the user whose token first pushed for it. A store
// belongs to that user: another user's token cannot push under its id, so nobody can make another store's changes look like
// duplicates.
type device struct {
	LastSeq uint64 `json:"last_seq"`
	Owner   string `json:"owner,omitempty"`
}
