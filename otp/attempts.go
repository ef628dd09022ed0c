package otp

import "time"

// Lock-out policy for wrong TOTP codes (RFC 4226 §7.3 asks for a limit across sessions;
// 5 is what Twilio Verify allows before it refuses further checks).
const (
	// MaxFailures is the number of consecutive wrong codes that locks the user out.
	MaxFailures = 5
	// LockDuration is how long a lock-out lasts.
	LockDuration = 5 * time.Minute
)

// Attempts is the failed-attempt state of one user's TOTP credential. The store persists it
// next to the user's last accepted step and updates it in the same transaction as the check.
// The zero value is "no failures, not locked".
//
// Use it as:
//
//	if locked, until := a.Locked(now); locked { refuse until `until` without checking the code }
//	step, err := Verify(...)
//	if err == ErrInvalid { a.Fail(now) } else if err == nil { a.Succeed() }
//
// A replayed code (ErrReplay) is the user's own right code, so it need not count as a failure.
type Attempts struct {
	// Failures counts wrong codes since the last success or lock-out.
	Failures int
	// LockedUntil is the end of the current lock-out; the zero time means never locked.
	LockedUntil time.Time
}

// Locked reports whether the credential is locked at now and, if so, until when. The lock
// ends at LockedUntil exactly: at that instant codes are checked again.
func (a Attempts) Locked(now time.Time) (bool, time.Time) {
	if now.Before(a.LockedUntil) {
		return true, a.LockedUntil
	}
	return false, time.Time{}
}

// Fail records a wrong code at now. The MaxFailures-th consecutive failure locks the
// credential until now+LockDuration and resets the counter, so after the lock-out the user
// has MaxFailures new tries.
func (a *Attempts) Fail(now time.Time) {
	a.Failures++
	if a.Failures >= MaxFailures {
		a.Failures = 0
		a.LockedUntil = now.Add(LockDuration)
	}
}

// Succeed records an accepted code: the failure counter is reset and any lock lifted.
func (a *Attempts) Succeed() {
	*a = Attempts{}
}
