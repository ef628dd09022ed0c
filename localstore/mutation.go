package localstore

import (
	"time"
)

// Op names a kind of change. Mutations carry intents ("set first_name to
// X"), not whole records, so that sync can merge changes to different
// fields.
type Op string

// The operations. Their arguments are in Args; which fields each one reads is
// documented in apply.go.
const (
	OpCreate        Op = "user.create"
	OpUpdate        Op = "user.update"
	OpDisable       Op = "user.disable"
	OpEnable        Op = "user.enable"
	OpMFAActivate   Op = "mfa.activate"
	OpMFADisable    Op = "mfa.disable"
	OpMFAStep       Op = "mfa.step"
	OpPhoneVerified Op = "phone.verified"
	OpPasswordReset Op = "password.reset"
	OpSSOEnable     Op = "sso.enable"
	OpSSODisable    Op = "sso.disable"
)

// Mutation is one queued change, made by one user in one store.
type Mutation struct {
	// ID is a random 128-bit hex id; StoreID and Seq (1, 2, 3, … per store)
	// let the server apply each mutation once.
	ID      string `json:"id"`
	StoreID string `json:"store_id"`
	Seq     uint64 `json:"seq"`
	Op      Op     `json:"op"`
	// Target is the uuid of the user changed; Actor the uuid of the user who
	// made the change ("" for a self-service reset proven by a one-time code,
	// and for the bootstrap of an empty store).
	Target string `json:"target"`
	Actor  string `json:"actor"`
	// BaseVersion is the server version of the target that the admin saw
	// (0: the record was never synced). Sync's lease for conflict detection.
	BaseVersion uint64    `json:"base_version"`
	Args        Args      `json:"args"`
	Created     time.Time `json:"created"`

	// State is the outbox bookkeeping: "" pending, StateRejected or
	// StateConflict, with Reason from the server.
	State  string `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Outbox states of a mutation that the server did not apply.
const (
	StateRejected = "rejected"
	StateConflict = "conflict"
)

// Args are a mutation's arguments. Pointer fields are "set this field" when
// non-nil. Secrets are in Secrets, which is sealed with the store key before
// the mutation is written (see outbox.go) and never serialised in clear.
type Args struct {
	Username         *string    `json:"username,omitempty"`
	Email            *string    `json:"email,omitempty"`
	FirstName        *string    `json:"first_name,omitempty"`
	LastName         *string    `json:"last_name,omitempty"`
	SubscriptionType *string    `json:"subscription_type,omitempty"`
	SuperUser        *bool      `json:"super_user,omitempty"`
	Phone            *string    `json:"phone_number,omitempty"`
	Created          *time.Time `json:"created,omitempty"`
	// Step is the TOTP step accepted (mfa.step, mfa.activate).
	Step uint64 `json:"step,omitempty"`
	// Provider and SSOEmail are for sso.enable / sso.disable.
	Provider string `json:"provider,omitempty"`
	SSOEmail string `json:"sso_email,omitempty"`

	Secrets Secrets `json:"-"`
}

// Secrets are the secret arguments of a mutation.
type Secrets struct {
	// PasswordHash is the new password hash (user.create, password.reset).
	PasswordHash string `json:"password_hash,omitempty"`
	// MFASecret is the base32 TOTP secret (mfa.activate).
	MFASecret string `json:"mfa_secret,omitempty"`
}

// IsZero reports whether there is no secret.
func (s Secrets) IsZero() bool { return s == Secrets{} }

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

// Str returns a pointer to s, for building Args.
func Str(s string) *string { return strp(s) }

// Bool returns a pointer to b, for building Args.
func Bool(b bool) *bool { return boolp(b) }
