package localstore

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/otp"
)

// NewUUID returns a new uuid of version 7 (RFC 9562): 48 bits of unix
// milliseconds, a 12-bit counter within the millisecond, then 62 random
// bits. Users are keyed by uuid, so uuids that increase make a new user's
// record land at the end of the users bucket, as they do in the ls order
// index: bbolt then writes full pages (schema.go, appendBucket) and a bulk
// import rewrites only the last pages of the bucket in each commit, instead
// of most of its pages. The counter keeps the uuids of one process strictly
// increasing (a key landing just before the last one would split a full
// page again and again).
func NewUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b[8:]); err != nil {
		panic(err)
	}
	ms, seq := uuidClock.next(uint64(time.Now().UnixMilli()))
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = 0x70 | byte(seq>>8)
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// uuidClock hands out (millisecond, counter) pairs that only increase.
var uuidClock monotonic

type monotonic struct {
	mu      sync.Mutex
	ms, seq uint64
}

func (m *monotonic) next(now uint64) (uint64, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now > m.ms {
		m.ms, m.seq = now, 0
	} else if m.seq++; m.seq > 0xfff {
		m.ms, m.seq = m.ms+1, 0 // 4096 in one millisecond: borrow the next
	}
	return m.ms, m.seq
}

// Apply checks and applies mutation m made by actor (nil: no logged-in
// user, allowed only to bootstrap an empty store with a super user and for a
// password reset proven by a one-time code). It enforces the permission rules
// (account/permissions.go), validation and uniqueness, and writes the changed user. It
// does not enqueue m: the caller does, in the same transaction, so the local
// store and the server share this one implementation.
//
// What each op reads from m.Args:
//
//	user.create     every profile field, SuperUser, Created, Secrets.PasswordHash
//	user.update     any of Username, Email, FirstName, LastName (nil: unchanged)
//	user.disable    –            user.enable  –
//	mfa.activate    Secrets.MFASecret, Step      mfa.disable –
//	mfa.step        Step (the last accepted TOTP step; only goes up)
//	phone.verified  Phone (E.164)
//	password.reset  Secrets.PasswordHash
//	sso.enable      Provider, SSOEmail           sso.disable Provider
func (t *Tx) Apply(actor *account.User, m *Mutation) (*account.User, error) {
	return ApplyTo(t, actor, m)
}

// Records is what Apply reads and writes of a store: the users (PutUser
// keeps username and email unique, case-insensitively, answering
// account.ErrUserExists, ErrUsernameTaken or ErrEmailTaken), the count the
// last-super-user guard needs, the sealing key and the sessions a disable or
// a reset revokes. *Tx implements it; so does the server's PostgreSQL store,
// which runs these same rules through ApplyTo.
type Records interface {
	User(uuid string) (*account.User, error)
	PutUser(old, u *account.User) error
	HasUsers() bool
	EnabledSuperUsers() int
	Key() ([]byte, error)
	DeleteSessionsOf(uuid string) error
	Now() time.Time
}

// ApplyTo is Apply over any Records.
func ApplyTo(t Records, actor *account.User, m *Mutation) (*account.User, error) {
	if actor != nil {
		if err := account.CheckActive(actor); err != nil {
			return nil, err
		}
	}
	if err := ValidateMutation(m, t.Now()); err != nil {
		return nil, err
	}
	if m.Op == OpCreate {
		return applyCreate(t, actor, m)
	}
	target, err := t.User(m.Target)
	if err != nil {
		return nil, err
	}
	if err := authorize(actor, target, m.Op); err != nil {
		return nil, err
	}
	old := *target
	u := target
	switch m.Op {
	case OpUpdate:
		if err := applyUpdate(u, &m.Args); err != nil {
			return nil, err
		}
	case OpDisable:
		if u.Disabled {
			return nil, account.ErrAlreadyDisabled
		}
		if u.SuperUser && t.EnabledSuperUsers() <= 1 {
			return nil, account.ErrLastSuperUser
		}
		u.Disabled = true
	case OpEnable:
		if !u.Disabled {
			return nil, account.ErrAlreadyEnabled
		}
		u.Disabled = false
	case OpMFAActivate:
		key, err := t.Key()
		if err != nil {
			return nil, err
		}
		sealed, err := otp.Seal(key, []byte(m.Args.Secrets.MFASecret), []byte(u.UUID))
		if err != nil {
			return nil, err
		}
		last := uint64(0)
		if u.MFA != nil {
			last = u.MFA.LastStep
		}
		u.MFA = &account.MFA{Active: true, SealedSecret: sealed, LastStep: max(last, m.Args.Step)}
	case OpMFADisable:
		if !u.MFAActive() {
			return nil, account.Errorf(account.KindConflict, "MFA is already disabled for the user")
		}
		u.MFA = nil
	case OpMFAStep:
		if u.MFA != nil && m.Args.Step > u.MFA.LastStep {
			u.MFA.LastStep = m.Args.Step
		}
	case OpPhoneVerified:
		u.Phone, u.PhoneVerified = *m.Args.Phone, true
	case OpPasswordReset:
		u.PasswordHash = m.Args.Secrets.PasswordHash
	case OpSSOEnable:
		if err := account.ValidateSSOProvider(m.Args.Provider); err != nil {
			return nil, err
		}
		email, err := account.CanonicalEmail(m.Args.SSOEmail)
		if err != nil {
			return nil, err
		}
		if u.SSO == nil {
			u.SSO = map[string]string{}
		}
		u.SSO[m.Args.Provider] = email
	case OpSSODisable:
		if err := account.ValidateSSOProvider(m.Args.Provider); err != nil {
			return nil, err
		}
		if _, ok := u.SSO[m.Args.Provider]; !ok {
			return nil, account.Errorf(account.KindConflict, "SSO is not enabled for the provider.")
		}
		delete(u.SSO, m.Args.Provider)
	default:
		return nil, fmt.Errorf("unknown operation %q", m.Op)
	}
	u.Updated = t.Now()
	if err := t.PutUser(&old, u); err != nil {
		return nil, err
	}
	if m.Op == OpDisable || m.Op == OpPasswordReset {
		// A disabled user's sessions stop working; a reset ends them.
		if err := t.DeleteSessionsOf(u.UUID); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// ValidateMutation checks m's arguments with the rules of the command that
// makes it, without reading the store: names, emails and phones (E.164) as
// account validates them, password hashes of airt's own parameters only, a
// TOTP secret airt could have made, a TOTP step not ahead of the clock now.
// Apply calls it first; the server calls it (through Apply) on every pushed
// mutation, and before any conflict check, so an invalid change is refused
// rather than offered for resolution.
func ValidateMutation(m *Mutation, now time.Time) error {
	a := &m.Args
	checkName := func(field string, v *string) error {
		if v == nil {
			return nil
		}
		return account.ValidateName(field, *v)
	}
	switch m.Op {
	case OpCreate, OpUpdate:
		if a.Username != nil {
			if err := account.ValidateUsername(*a.Username); err != nil {
				return err
			}
		}
		if a.Email != nil {
			if err := account.ValidateEmail(*a.Email); err != nil {
				return err
			}
		}
		if err := checkName("first_name", a.FirstName); err != nil {
			return err
		}
		if err := checkName("last_name", a.LastName); err != nil {
			return err
		}
		if m.Op == OpCreate {
			// (A create's phone number is parsed once, by applyCreate, which
			// stores its E.164 form: parsing is the costliest rule of an
			// import row.)
			if a.Secrets.PasswordHash == "" {
				return account.Errorf(account.KindInvalid, "user.create without a password hash")
			}
			return account.ValidatePasswordHash(a.Secrets.PasswordHash)
		}
	case OpPasswordReset:
		if a.Secrets.PasswordHash == "" {
			return account.Errorf(account.KindInvalid, "password.reset without a hash")
		}
		return account.ValidatePasswordHash(a.Secrets.PasswordHash)
	case OpPhoneVerified:
		if a.Phone == nil {
			return account.Errorf(account.KindInvalid, "phone.verified without a number")
		}
		// The command stores the E.164 form; anything else did not come
		// from it.
		if p, err := account.NormalizePhone(*a.Phone); err != nil || p != *a.Phone {
			return account.Errorf(account.KindInvalid, "phone number %s is not in E.164 form (+447911123456)", account.Quote(*a.Phone))
		}
	case OpMFAActivate:
		if a.Secrets.MFASecret == "" {
			return account.Errorf(account.KindInvalid, "mfa.activate without a secret")
		}
		if len(a.Secrets.MFASecret) > maxSecretLength || otp.CheckSecret(a.Secrets.MFASecret) != nil {
			return account.Errorf(account.KindInvalid, "mfa.activate: the TOTP secret is not one airt makes (base32, 128 to 512 bits)")
		}
		fallthrough
	case OpMFAStep:
		// A step is a code accepted already, so it cannot lie far ahead of
		// the clock; a far-future one would make every later code a replay.
		// The replica that accepted it may run ahead of this clock, hence
		// an hour's tolerance rather than the skew.
		if a.Step > otp.Step(now)+maxStepsAhead {
			return account.Errorf(account.KindInvalid, "%s: TOTP step %d lies in the future (now %d)", m.Op, a.Step, otp.Step(now))
		}
	case OpSSOEnable:
		if err := account.ValidateSSOProvider(a.Provider); err != nil {
			return err
		}
		return account.ValidateEmail(a.SSOEmail)
	case OpSSODisable:
		return account.ValidateSSOProvider(a.Provider)
	case OpDisable, OpEnable, OpMFADisable:
	default:
		return account.Errorf(account.KindInvalid, "unknown operation %s", account.Quote(string(m.Op)))
	}
	return nil
}

// maxStepsAhead is how far (an hour of 30-second steps) a pushed TOTP step
// may lie ahead of the clock.
const maxStepsAhead = 120

// maxSecretLength bounds a TOTP secret (base32 of 512 bits; airt makes 160).
const maxSecretLength = 104

// authorize applies the permission rules (account/permissions.go) to a change
// of target by actor.
func authorize(actor, target *account.User, op Op) error {
	if actor == nil {
		if op == OpPasswordReset || op == OpMFAStep {
			return nil // proven by a one-time code, checked by the caller
		}
		return account.ErrNotLoggedIn
	}
	switch op {
	case OpDisable, OpEnable:
		return account.RequireSuperUser(actor)
	}
	return account.CanAccess(actor, target)
}

func applyCreate(t Records, actor *account.User, m *Mutation) (*account.User, error) {
	a := &m.Args
	if actor == nil {
		if t.HasUsers() {
			return nil, account.ErrNotLoggedIn
		}
		if a.SuperUser == nil || !*a.SuperUser {
			return nil, account.Errorf(account.KindInvalid, "the first user of an empty store must be a super user").
				WithHint("pass -su (--super_user) to bootstrap the store")
		}
	} else if err := account.RequireSuperUser(actor); err != nil {
		return nil, err
	}
	u := &account.User{UUID: strings.ToLower(m.Target)}
	if u.UUID == "" || !account.LooksLikeUUID(u.UUID) {
		return nil, fmt.Errorf("user.create: target %q is not a uuid", m.Target)
	}
	if _, err := t.User(u.UUID); err == nil {
		return nil, account.ErrUserExists
	}
	for _, f := range []struct {
		p   *string
		dst *string
	}{{a.Username, &u.Username}, {a.Email, &u.Email}, {a.FirstName, &u.FirstName},
		{a.LastName, &u.LastName}, {a.SubscriptionType, &u.SubscriptionType}} {
		if f.p != nil {
			*f.dst = *f.p
		}
	}
	if a.Phone != nil {
		u.Phone = *a.Phone
	}
	if a.SuperUser != nil {
		u.SuperUser = *a.SuperUser
	}
	if err := ValidateProfile(u); err != nil {
		return nil, err
	}
	if u.Phone != "" {
		p, err := account.NormalizePhone(u.Phone)
		if err != nil {
			return nil, err
		}
		u.Phone = p
	}
	u.PasswordHash = m.Args.Secrets.PasswordHash
	u.Created = t.Now()
	if a.Created != nil {
		u.Created = a.Created.UTC()
	}
	u.Updated = u.Created
	if err := t.PutUser(nil, u); err != nil {
		return nil, err
	}
	return u, nil
}

// ValidateProfile checks the profile fields of u (create and import) and
// puts the username and email in the form they are stored in (PRECIS:
// width folded, NFC; see account.CanonicalUsername).
func ValidateProfile(u *account.User) error {
	name, err := account.CanonicalUsername(u.Username)
	if err != nil {
		return err
	}
	if err := account.ValidateName("first_name", u.FirstName); err != nil {
		return err
	}
	if err := account.ValidateName("last_name", u.LastName); err != nil {
		return err
	}
	email, err := account.CanonicalEmail(u.Email)
	if err != nil {
		return err
	}
	if err := account.ValidateSubscription(u.SubscriptionType); err != nil {
		return err
	}
	u.Username, u.Email = name, email
	return nil
}

func applyUpdate(u *account.User, a *Args) error {
	if a.Username != nil {
		name, err := account.CanonicalUsername(*a.Username)
		if err != nil {
			return err
		}
		u.Username = name
	}
	if a.FirstName != nil {
		if err := account.ValidateName("first_name", *a.FirstName); err != nil {
			return err
		}
		u.FirstName = *a.FirstName
	}
	if a.LastName != nil {
		if err := account.ValidateName("last_name", *a.LastName); err != nil {
			return err
		}
		u.LastName = *a.LastName
	}
	if a.Email != nil {
		email, err := account.CanonicalEmail(*a.Email)
		if err != nil {
			return err
		}
		u.Email = email
	}
	return nil
}

// Authorize checks that actor may make a change of kind op to target (the
// rules Apply enforces before it changes anything), without changing it. The
// server uses it before answering a no-op mutation as applied.
func (t *Tx) Authorize(actor, target *account.User, op Op) error {
	return Authorize(actor, target, op)
}

// Authorize is Tx.Authorize without a store: the rules need none.
func Authorize(actor, target *account.User, op Op) error {
	if actor != nil {
		if err := account.CheckActive(actor); err != nil {
			return err
		}
	}
	if op == OpCreate {
		if actor == nil {
			return account.ErrNotLoggedIn
		}
		return account.RequireSuperUser(actor)
	}
	return authorize(actor, target, op)
}
