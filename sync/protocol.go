// Package sync is airt's sync protocol and its client: the wire format and
// the field rules both sides share (Fields, Conflicts), and the client engine
// (Engine: push the outbox, then pull and rebase). The server is package
// server. Import this package as usersync where the standard library's sync
// is needed too. It never prints and never exits; commands/sync.go drives it.
//
// # Wire protocol (version 1)
//
// JSON over HTTP(S). Every request carries the header
//
//	Airt-Protocol: 1
//
// and a request with another version (or none) is answered 400 with the error
// code "version_not_supported": the CLI then says to upgrade airt. Every error
// answer has the body
//
//	{"error": "<text for a human>", "code": "<machine code>", "hint": "…"}
//
// with status 400 (invalid request), 401 (token missing, unknown, expired or
// revoked, or credentials refused: code "unauthenticated"; a one-time code
// missing or wrong at login: code "otp"), 403
// (code "account_disabled": the token's user is disabled, also when the
// token was revoked by that disable; "forbidden": another refusal), 409 (code "history_reset" or "out_of_order"), 413 (a
// body over the route's bound), 429 (too many failed logins or one-time codes;
// Retry-After gives the seconds to wait), 503 (code "busy": every
// password-hashing slot is taken; Retry-After: 1, the client retries) or 5xx.
//
// POST /v1/token, body LoginRequest {"username","password","otp"} → 200
// LoginResponse {"token","expires","user","epoch"}. The token is 256 random bits,
// kept on the server only as its SHA-256, bound to the user's uuid, expiring
// (localstore.SessionLifetime) and revoked when the user is disabled or resets
// the password. Every attempt is counted before it is checked (package
// server/guard: 5 per username and client address, 10 per username, 50 per
// client address, in 5 minutes; a success is taken back), and past a limit
// the answer is 429 until the window has passed; 5 wrong TOTP codes lock the
// user's codes for 5 minutes (otp.Attempts). The password is checked
// before anything about MFA is said, so the answer never tells whether an
// account exists or has MFA.
//
// The other routes need "Authorization: Bearer <token>". POST /v1/logout
// revokes that token (answer: {}).
//
// POST /v1/push, body PushRequest → 200 PushResponse. The request names the
// pushing store (StoreID), After (the highest sequence number of that store
// the client knows the server has processed) and up to MaxBatch mutations in
// increasing Seq order, with their secrets (password hash, TOTP secret) in
// clear; TLS protects them in transit and the server seals them again with
// its own key. Epoch and Cursor/CursorID say which history the client has
// pulled so far: a server whose history does not contain them answers 409
// "history_reset" and applies nothing. The server keeps, per store, the last
// sequence number it processed; if that is below After, some of the client's
// mutations were lost (409 "out_of_order", nothing applied). Then each
// mutation, in order, in the one transaction of the request, which also
// records the new last sequence number (a failure applies none of them; the
// client retries the batch):
//
//   - Seq ≤ last: "duplicate" (or the rejection or conflict stored the first
//     time, so a lost answer never turns a rejection into a silent drop);
//   - made by another user than the token's (Actor): "rejected", saying
//     whether that user exists on the server at all (a store bootstrapped
//     offline has users of its own);
//   - a conflict (see Conflicts): "conflict" listing only the conflicting
//     fields, with the server's value and the mutation's for each profile
//     field; the mutation's other fields are applied (they merge) in the
//     same transaction that records the conflict as its outcome, so a
//     retried push gets the conflict again and applies nothing twice. The
//     client keeps the mutation trimmed to the conflicting fields;
//   - every field it sets already has that value: "applied" (nothing changes);
//   - otherwise localstore.Tx.Apply under the token's identity, the same
//     permission, validation and uniqueness rules as the local store: an error
//     is "rejected" with its text (a taken username or email, permission
//     denied, a disabled actor); success is "applied": the server bumps its
//     revision, sets the user's Version to it and records the change.
//
// When the request's Cursor was the server's latest revision (the client had
// pulled everything), every change after it is the push's own: the answer
// then carries the users they changed (as a pull would) and the position
// after them (Cursor, CursorID), and the client takes them instead of pulling
// its own changes back. The client may send that position as the Cursor of
// its next batch before storing it.
//
// GET /v1/pull?after=REV&after_id=ID&limit=N&store=ID → 200 PullResponse: the users
// changed after revision REV (at most N change records scanned, default 500,
// at most 1000), each as its current server state with Version = the revision
// of its last change; Cursor/CursorID are the position to ask from next, Head
// the server's latest revision and More whether there is more to pull. A super
// user receives every user; another user only themself. Secrets travel only
// in the authenticated user's own record: their password hash and TOTP
// secret, so they can log in and verify codes offline; a store never holds
// another user's secrets. STORE names the pulling store: a user whose every
// change in the page that store pushed itself comes with "own": true.
//
// # Conflicts
//
// Each mutation carries BaseVersion, the server version of the record the
// admin saw when making the change. When the record changed since (changes of
// other stores after BaseVersion; the pushing store's own earlier changes
// were seen by the admin), the fields the mutation sets are compared with the
// fields those changes touched: the same field on both sides is a conflict,
// unless the server already holds the value the mutation sets; different
// fields merge, also within one mutation (a user.update of first_name and
// last_name when the server changed only first_name applies last_name and
// answers a conflict on first_name alone). Fields are the profile columns, "disabled", "mfa",
// "phone_number", "password" and "sso:<provider>"; mfa.step (the highest TOTP
// step used) never conflicts, it only goes up.
//
// Disable against edit: they touch different fields, so they merge (the user
// ends disabled and edited). A disable beats the disabled user's own edits:
// once the server has the user disabled, mutations that user made offline are
// rejected ("Your account has been disabled…"). Disable against enable is a
// conflict on "disabled". Nothing is ever deleted, so there is no delete
// precedence to declare.
package sync

import (
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// ProtocolVersion is sent in the Airt-Protocol header of every request.
const ProtocolVersion = "1"

// HeaderProtocol is the name of the protocol version header.
const HeaderProtocol = "Airt-Protocol"

// MaxBatch is the largest number of mutations one push may carry.
const MaxBatch = 500

// DefaultPageSize and MaxPageSize bound the change records one pull scans.
const (
	DefaultPageSize = 500
	MaxPageSize     = 1000
)

// Outcomes of a pushed mutation.
const (
	Applied   = "applied"
	Duplicate = "duplicate"
	Rejected  = "rejected"
	Conflict  = "conflict"
)

// Error codes of the error body.
const (
	CodeVersion         = "version_not_supported"
	CodeUnauthenticated = "unauthenticated"
	CodeOTP             = "otp" // a one-time code is required or was wrong (401)
	CodeForbidden       = "forbidden"
	CodeDisabled        = "account_disabled" // the token's user is disabled (403)
	CodeHistoryReset    = "history_reset"
	CodeOutOfOrder      = "out_of_order"
	CodeRateLimited     = "rate_limited"
	CodeBusy            = "busy" // every password-hashing slot taken (503, Retry-After)
	CodeInvalid         = "invalid"
	CodeInternal        = "internal"
)

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	Hint  string `json:"hint,omitempty"`
}

// LoginRequest is the body of POST /v1/token.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	OTP      string `json:"otp,omitempty"`
}

// LoginResponse answers a successful login.
type LoginResponse struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
	User    WireUser  `json:"user"`
	// Epoch is the server's history id: a store that synced with a server
	// at another URL moves to this URL only when the epochs are the same
	// (the same server, moved).
	Epoch string `json:"epoch"`
}

// WireMutation is a mutation as pushed: the outbox entry plus its secrets in
// clear (the outbox keeps them sealed; localstore.Args.Secrets is never
// serialised by itself).
type WireMutation struct {
	localstore.Mutation
	Secrets *localstore.Secrets `json:"secrets,omitempty"`
}

// PushRequest is the body of POST /v1/push.
type PushRequest struct {
	StoreID   string         `json:"store_id"`
	After     uint64         `json:"after"`
	Epoch     string         `json:"epoch,omitempty"`
	Cursor    uint64         `json:"cursor,omitempty"`
	CursorID  string         `json:"cursor_id,omitempty"`
	Mutations []WireMutation `json:"mutations"`
}

// Result is the outcome of one pushed mutation.
type Result struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"seq"`
	Outcome string `json:"outcome"`
	// Reason says why a mutation was rejected or conflicts.
	Reason string `json:"reason,omitempty"`
	// Fields are the conflicting fields (only those: the mutation's other
	// fields were merged). Server and Local hold, for the conflicting
	// profile fields, the server's value and the mutation's.
	Fields []string          `json:"fields,omitempty"`
	Server map[string]string `json:"server_values,omitempty"`
	Local  map[string]string `json:"local_values,omitempty"`
	// Version is the user's server version after an applied change, or
	// after the merged part of a conflicting one.
	Version uint64 `json:"version,omitempty"`
}

// PushResponse answers a push: one Result per mutation, in order.
type PushResponse struct {
	Results []Result `json:"results"`
	// LastSeq is the highest sequence number of the store the server has
	// processed after this push.
	LastSeq uint64 `json:"last_seq"`
	Epoch   string `json:"epoch"`
	Head    uint64 `json:"head"`
	// Cursor, CursorID and Users are set when every change after the
	// request's Cursor is this push's own (the client had pulled all before
	// it): the position after them and the users they changed, as a pull
	// would send them. The client takes them in place of pulling its own
	// changes back.
	Cursor   uint64     `json:"cursor,omitempty"`
	CursorID string     `json:"cursor_id,omitempty"`
	Users    []WireUser `json:"users,omitempty"`
}

// UserSecrets are the secrets of the authenticated user, in their own record
// of a pull or a login answer only.
type UserSecrets struct {
	PasswordHash string `json:"password_hash,omitempty"`
	MFASecret    string `json:"mfa_secret,omitempty"`
	MFALastStep  uint64 `json:"mfa_last_step,omitempty"`
}

// WireUser is a user as the server sends it: the public record (no password
// hash, no TOTP secret) and, for the authenticated user only, Secrets.
type WireUser struct {
	account.User
	Secrets *UserSecrets `json:"secrets,omitempty"`
	// Own: every change of this user in this page of a pull was pushed by
	// the pulling store (the pull's store parameter). The client still
	// takes the record (its server version) but does not count it as
	// news.
	Own bool `json:"own,omitempty"`
}

// PullResponse answers GET /v1/pull.
type PullResponse struct {
	Epoch    string     `json:"epoch"`
	Head     uint64     `json:"head"`
	Cursor   uint64     `json:"cursor"`
	CursorID string     `json:"cursor_id"`
	More     bool       `json:"more"`
	Users    []WireUser `json:"users"`
}
