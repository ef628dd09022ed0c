package account

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that one place (commands/exit.go) can map it to
// an exit code (the table is in commands/exit.go and the README) and the
// server to an HTTP status.
type Kind int

const (
	// KindFailed is a plain failure: exit 1.
	KindFailed Kind = iota
	// KindInvalid is bad input detected by a rule (email, phone, …): exit 1.
	KindInvalid
	// KindNotFound names a user or record that does not exist: exit 1.
	KindNotFound
	// KindConflict is a uniqueness or state conflict: exit 1.
	KindConflict
	// KindUnauthenticated means not logged in or credentials refused: exit 4.
	KindUnauthenticated
	// KindForbidden means the caller may not do this: exit 5.
	KindForbidden
	// KindOTP means a one-time code is required or was wrong: exit 1.
	KindOTP
	// KindUnreachable means the server could not be reached: exit 6.
	KindUnreachable
)

// Error is an error whose text is meant for the user. Hint, when set, is one
// line that tells the user what to do next.
type Error struct {
	Kind Kind
	Text string
	Hint string
	// code is set when the error is one of the Codes below (or a copy of
	// one with a hint), so errors.Is still finds it.
	code Code
}

func (e *Error) Error() string { return e.Text }

// Is reports whether e is the coded error target, with or without a hint:
// errors.Is(account.ErrInvalidOTP.WithHint("…"), account.ErrInvalidOTP) holds.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && e.code != 0 && e.code == c
}

// Errorf builds an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Text: fmt.Sprintf(format, args...)}
}

// WithHint returns a copy of e carrying a hint line.
func (e *Error) WithHint(hint string) *Error {
	c := *e
	c.Hint = hint
	return &c
}

// KindOf returns the Kind of err (KindFailed when err carries none).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindFailed
}

// Code names one of the errors that callers test for with errors.Is. The
// codes are constants, so no package can reassign them, and each is an error
// itself: return account.ErrInvalidOTP as it is, or
// account.ErrInvalidOTP.WithHint("…") to add a hint; errors.Is finds the code
// in both, and errors.As turns either into an *Error (a fresh copy, so the
// texts below cannot be changed through it).
type Code uint8

// The errors below reuse the original client's and service's texts, word for
// word, where the situation is the same, so scripts that matched them keep
// working; the goldens in testdata/script pin them.
const (
	// ErrNotLoggedIn: no AIRT_SERVICE_TOKEN and no session in the keyring.
	ErrNotLoggedIn Code = iota + 1
	// ErrBadToken: the token is unknown, expired or revoked.
	ErrBadToken
	// ErrBadCredentials: wrong username or password at login.
	ErrBadCredentials
	// ErrAccountDisabled: a disabled user tried to log in or act.
	ErrAccountDisabled
	// ErrOtherUsersData: a non-super user named another user.
	ErrOtherUsersData
	// ErrSuperUserOnly: the route needs a super user.
	ErrSuperUserOnly
	// ErrLastSuperUser: the change would leave no enabled super user.
	ErrLastSuperUser
	// ErrUserExists: username or email taken on create.
	ErrUserExists
	// ErrUsernameTaken: username taken on update.
	ErrUsernameTaken
	// ErrEmailTaken: email taken on update.
	ErrEmailTaken
	// ErrUnknownUUID: a uuid that names no user.
	ErrUnknownUUID
	// ErrUnknownUsername: a username that names no user.
	ErrUnknownUsername
	// ErrAlreadyDisabled / ErrAlreadyEnabled: disable or enable had nothing to do.
	ErrAlreadyDisabled
	ErrAlreadyEnabled
	// ErrMFANotActive: the caller passed --otp without MFA.
	ErrMFANotActive
	// ErrOTPRequired: the caller has MFA and gave no code.
	ErrOTPRequired
	// ErrInvalidOTP: the code was wrong.
	ErrInvalidOTP
	// ErrInvalidEmail: an email that is not an address.
	ErrInvalidEmail
)

// coded holds the kind, text and default hint of each Code.
var coded = [...]Error{
	ErrNotLoggedIn:     {Kind: KindUnauthenticated, Text: "not logged in", Hint: "run 'airt token -u USERNAME' to log in, or set AIRT_SERVICE_TOKEN"},
	ErrBadToken:        {Kind: KindUnauthenticated, Text: "Your credentials could not be validated. The developer token/apikey is invalid or expired.", Hint: "run 'airt token' to log in again"},
	ErrBadCredentials:  {Kind: KindUnauthenticated, Text: "Incorrect username or password. Please try again."},
	ErrAccountDisabled: {Kind: KindUnauthenticated, Text: "Your account has been disabled. Please contact your administrator for assistance."},
	ErrOtherUsersData:  {Kind: KindForbidden, Text: "Insufficient permission to access other user's data"},
	ErrSuperUserOnly:   {Kind: KindForbidden, Text: "You do not have sufficient permission to access this route. Please contact your administrator for help."},
	ErrLastSuperUser:   {Kind: KindForbidden, Text: "cannot disable the last enabled super user", Hint: "make another user a super user first"},
	ErrUserExists:      {Kind: KindConflict, Text: "The requested username or email already exists. Try another."},
	ErrUsernameTaken:   {Kind: KindConflict, Text: "The requested username is already taken. Try another."},
	ErrEmailTaken:      {Kind: KindConflict, Text: "The requested Email is already taken. Try another."},
	ErrUnknownUUID:     {Kind: KindNotFound, Text: "The user uuid is incorrect. Please try again."},
	ErrUnknownUsername: {Kind: KindNotFound, Text: "Incorrect username. Please try again."},
	ErrAlreadyDisabled: {Kind: KindConflict, Text: "The user has already been disabled."},
	ErrAlreadyEnabled:  {Kind: KindConflict, Text: "The user has already been enabled."},
	ErrMFANotActive:    {Kind: KindOTP, Text: "MFA is not activated for the account. Please pass the OTP only after activating the MFA for your account."},
	ErrOTPRequired:     {Kind: KindOTP, Text: "OTP is required. Please enter the OTP generated by the authenticator app or the one you requested via SMS."},
	ErrInvalidOTP:      {Kind: KindOTP, Text: "Invalid OTP. Please try again."},
	ErrInvalidEmail:    {Kind: KindInvalid, Text: "Invalid email format. Please try again."},
}

// err returns a new *Error for c.
func (c Code) err() *Error {
	if c == 0 || int(c) >= len(coded) {
		return &Error{Kind: KindFailed, Text: fmt.Sprintf("account error %d", uint8(c)), code: c}
	}
	e := coded[c]
	e.code = c
	return &e
}

func (c Code) Error() string { return c.err().Text }

// WithHint returns c as an *Error carrying a hint line instead of its own.
func (c Code) WithHint(hint string) *Error { return c.err().WithHint(hint) }

// As lets errors.As(err, &e) with e an *Error see a Code as an *Error, so one
// place (KindOf, the printing of hints) handles both.
func (c Code) As(target any) bool {
	p, ok := target.(**Error)
	if ok {
		*p = c.err()
	}
	return ok
}
