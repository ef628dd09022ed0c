// Package account holds the domain of airt: the user record, the rules that
// validate it, the permission rules (permissions.go) and the typed errors that
// every layer (local store, server, commands) shares. It does no I/O.
package account

import "time"

// Columns are the 12 public columns of a user, in the order the original
// client printed them, so its tables and -f templates keep working. Tables,
// -f, --output json|csv use them.
var Columns = []string{
	"uuid", "username", "email", "super_user", "is_mfa_active", "disabled",
	"created", "subscription_type", "first_name", "last_name", "phone_number",
	"is_phone_number_verified",
}

// SubscriptionTypes are the subscription types airt offers.
var SubscriptionTypes = []string{"small", "medium", "large"}

// LegacySubscriptionTypes are the other types the original server accepted.
// They are kept so that its users can be imported and synced unchanged; like
// every subscription type they are a label and grant nothing ("superuser"
// is not super_user).
var LegacySubscriptionTypes = []string{"infobip", "captn", "test", "superuser", "captn_trial"}

// SSOProviders are the single sign-on providers a user may link.
var SSOProviders = []string{"google", "github"}

// User is one account as the local store and the server keep it. Secrets
// (password hash, TOTP secret) never leave through the public columns.
type User struct {
	UUID             string    `json:"uuid"`
	Username         string    `json:"username"`
	Email            string    `json:"email"`
	FirstName        string    `json:"first_name"`
	LastName         string    `json:"last_name"`
	SubscriptionType string    `json:"subscription_type"`
	SuperUser        bool      `json:"super_user"`
	Disabled         bool      `json:"disabled"`
	Created          time.Time `json:"created"`
	// Phone is E.164 ("+447911123456") or empty.
	Phone         string `json:"phone_number,omitempty"`
	PhoneVerified bool   `json:"is_phone_number_verified"`

	// PasswordHash is an argon2id PHC string or a bcrypt $2a$/$2b$ hash.
	PasswordHash string `json:"password_hash,omitempty"`

	// MFA is the TOTP state; nil when MFA was never set up.
	MFA *MFA `json:"mfa,omitempty"`

	// SSO maps a provider ("google", "github") to the linked email.
	SSO map[string]string `json:"sso,omitempty"`

	// Version is the server's version of this record that the local copy is
	// based on (0: never seen by a server). Sync uses it as the lease.
	Version uint64 `json:"version,omitempty"`
	// Updated is when the record last changed (UTC).
	Updated time.Time `json:"updated"`
}

// MFA is a user's TOTP state. Secrets are sealed (authenticated encryption
// with the per-store key) before they reach the store; the fields here hold
// the sealed bytes, never the base32 secret in clear.
type MFA struct {
	Active bool `json:"active"`
	// SealedSecret is the active secret, sealed.
	SealedSecret []byte `json:"sealed_secret,omitempty"`
	// LastStep is the highest TOTP time step ever accepted for this user. It
	// only goes up (a max-register): a code is never accepted twice.
	LastStep uint64 `json:"last_step,omitempty"`
	// Failures counts consecutive wrong codes; LockedUntil is set when they
	// reach the limit.
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitempty"`
}

// MFAActive reports whether the user has confirmed MFA.
func (u *User) MFAActive() bool { return u.MFA != nil && u.MFA.Active }

// Public returns a copy of u without any secret: what may be shown, exported
// or sent to another user.
func (u *User) Public() User {
	c := *u
	c.PasswordHash = ""
	if u.MFA != nil {
		c.MFA = &MFA{Active: u.MFA.Active}
	}
	if u.SSO != nil {
		c.SSO = make(map[string]string, len(u.SSO))
		for k, v := range u.SSO {
			c.SSO[k] = v
		}
	}
	return c
}
