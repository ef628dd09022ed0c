// Package otpcheck verifies one-time codes against the store: TOTP codes
// (the current step ±1, a step never accepted twice, wrong codes counted and
// MaxFailures in a row locking the user out for LockDuration, all persisted
// in the user's record) and SMS codes (single use, valid 10 minutes, dead
// after 10 wrong attempts), and sends SMS codes through AIRT_SMS_COMMAND.
//
// The rules themselves are the otp package's pure functions; this package
// applies them to a user in a store transaction. The command line and the
// server both call it, so a code is judged by one rule wherever it is
// entered. It never prints and never reads the environment.
package otpcheck

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// Records is what the checks read and write of a store: the user (its
// record holds the TOTP failure count and lock-out), the sealing key of its
// TOTP secret, and the pending SMS codes with their send times. A
// *localstore.Tx is one; so is a server store's transaction.
type Records interface {
	User(uuid string) (*account.User, error)
	Key() ([]byte, error)
	PutOTPAttempts(uuid string, a otp.Attempts) error
	SMSChallenge(uuid, purpose string) (ch otp.SMSChallenge, ok bool, err error)
	PutSMSChallenge(uuid, purpose string, ch otp.SMSChallenge) error
	DeleteSMSChallenge(uuid, purpose string) error
	SMSSends(uuid string) ([]time.Time, error)
	PutSMSSends(uuid string, sent []time.Time) error
}

// Failure is a wrong one-time code. The transaction that checked it rolls
// back as for any error; Record then runs in a transaction of its own (see
// Update) to commit the failed attempt — the TOTP failure counter and
// lock-out, or the SMS code's wrong-attempt count — so that guessing cannot
// be repeated for free. It is the one deliberate change a failed command
// leaves behind.
type Failure struct {
	Err    error
	Record func(Records) error
	// Final: another code cannot help (locked out, expired, too many).
	Final bool
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Retryable reports whether asking for another code may help: a wrong code
// with tries left, or no code given where one is needed.
func Retryable(err error) bool {
	var f *Failure
	if errors.As(err, &f) {
		return !f.Final
	}
	return errors.Is(err, account.ErrOTPRequired)
}

// Update runs fn in one read-write transaction of s. When fn fails with a
// *Failure, the failed attempt is committed afterwards in a small
// transaction of its own.
func Update(s *localstore.Store, fn func(*localstore.Tx) error) error {
	err := s.Update(fn)
	var f *Failure
	if errors.As(err, &f) && f.Record != nil {
		if rerr := s.Update(func(tx *localstore.Tx) error { return f.Record(tx) }); rerr != nil {
			return fmt.Errorf("%w (recording the failed attempt failed too: %v)", err, rerr)
		}
	}
	return err
}

// Proof is a one-time code offered for a user, and what it may be.
type Proof struct {
	Code string
	// TOTP: the code may be the user's authenticator code.
	TOTP bool
	// SMS: the purpose of the SMS code it may be ("": none).
	SMS string
}

// Checker checks codes at one instant.
type Checker struct {
	// Now is the clock reading the codes are checked at.
	Now time.Time
	// UseStep records that TOTP step of u was accepted, in tx, so it is
	// never accepted again: the command line queues an mfa.step mutation,
	// the server records it as a change. nil: the step is only kept in the
	// record read by the caller (u.MFA.LastStep), which must write it.
	UseStep func(tx Records, u *account.User, step uint64) error
}

// CallerOTP enforces the rule of the changing commands: a caller without MFA
// must not pass a code; a caller with MFA must give a valid TOTP code, which
// is then used up. A wrong code returns a *Failure.
func (c Checker) CallerOTP(tx Records, caller *account.User, code string) error {
	if !caller.MFAActive() {
		if code != "" {
			return account.ErrMFANotActive
		}
		return nil
	}
	if code == "" {
		return account.ErrOTPRequired
	}
	return c.Proof(tx, caller, Proof{Code: code, TOTP: true})
}

// Proof checks p as a code of user u inside tx and uses it up: a TOTP step
// is recorded with UseStep, an SMS code is deleted. When p may be either,
// the TOTP code is tried first and, if it is wrong and an SMS code is
// pending, the SMS code. Wrong codes return a *Failure.
func (c Checker) Proof(tx Records, u *account.User, p Proof) error {
	if p.TOTP && u.MFAActive() {
		step, err := c.TOTP(tx, u, p.Code)
		if err == nil {
			if c.UseStep != nil {
				if err := c.UseStep(tx, u, step); err != nil {
					return err
				}
			}
			u.MFA.LastStep = step
			return nil
		}
		if p.SMS == "" {
			return err
		}
		if _, pending, perr := tx.SMSChallenge(u.UUID, p.SMS); perr != nil || !pending {
			return err
		}
		return bothFailed(err, c.SMS(tx, u, p.SMS, u.Phone, p.Code))
	}
	if p.SMS == "" {
		return account.ErrMFANotActive
	}
	return c.SMS(tx, u, p.SMS, u.Phone, p.Code)
}

// bothFailed combines the failure of a code checked as a TOTP code (totpErr)
// and then as a pending SMS code (smsErr). A code wrong for both counts
// against both, so a pending SMS code never lets TOTP guesses go uncounted.
// The lock-out, when there is one, is what the user is told.
func bothFailed(totpErr, smsErr error) error {
	if smsErr == nil {
		return nil // the SMS code was right: the TOTP miss does not count
	}
	f1, ok1 := totpErr.(*Failure)
	f2, ok2 := smsErr.(*Failure)
	if !ok1 || !ok2 {
		return smsErr
	}
	both := &Failure{Err: f2.Err, Final: f1.Final && f2.Final}
	both.Record = func(tx Records) error {
		for _, f := range []*Failure{f1, f2} {
			if f.Record != nil {
				if err := f.Record(tx); err != nil {
					return err
				}
			}
		}
		if f1.Final {
			both.Err = f1.Err
		}
		both.Final = f1.Final && f2.Final
		return nil
	}
	if f1.Final {
		both.Err = f1.Err
	}
	return both
}

// TOTP checks code against u's TOTP secret and returns the step it matched.
// A locked-out user is refused without a check. Wrong codes are counted
// (otp.Attempts: otp.MaxFailures in a row lock the user out for
// otp.LockDuration; the count is committed by the Failure's Record); a
// replayed code is refused but not counted. A right code clears the count,
// in tx.
func (c Checker) TOTP(tx Records, u *account.User, code string) (uint64, error) {
	now := c.Now
	att := localstore.OTPAttempts(u)
	if locked, until := att.Locked(now); locked {
		return 0, &Failure{Final: true, Err: account.Errorf(account.KindOTP,
			"Too many invalid OTPs: one-time codes for %s are locked until %s.", u.Username, until.Format(time.RFC3339)).
			WithHint("wait until then and try again; the lock ends by itself")}
	}
	key, err := tx.Key()
	if err != nil {
		return 0, err
	}
	secret, err := otp.Open(key, u.MFA.SealedSecret, []byte(u.UUID))
	if err != nil {
		return 0, fmt.Errorf("MFA secret of %s: %w", u.Username, err)
	}
	step, err := otp.Verify(string(secret), code, now, u.MFA.LastStep)
	switch {
	case errors.Is(err, otp.ErrReplay):
		return 0, &Failure{Err: account.ErrInvalidOTP.WithHint(otp.ErrReplay.Error())}
	case errors.Is(err, otp.ErrInvalid):
		f := &Failure{Err: account.ErrInvalidOTP}
		uuid := u.UUID
		f.Record = func(tx Records) error {
			fresh, err := tx.User(uuid)
			if err != nil {
				return err
			}
			a := localstore.OTPAttempts(fresh)
			a.Fail(now)
			if locked, until := a.Locked(now); locked {
				f.Final = true
				f.Err = account.ErrInvalidOTP.WithHint(fmt.Sprintf(
					"%d invalid OTPs in a row: one-time codes for %s are locked until %s",
					otp.MaxFailures, fresh.Username, until.Format(time.RFC3339)))
			}
			return tx.PutOTPAttempts(uuid, a)
		}
		return 0, f
	case err != nil:
		return 0, err
	}
	if att != (otp.Attempts{}) {
		if err := tx.PutOTPAttempts(u.UUID, otp.Attempts{}); err != nil {
			return 0, err
		}
		u.MFA.Failures, u.MFA.LockedUntil = 0, time.Time{}
	}
	return step, nil
}

// SMS checks code against the SMS code pending for u and purpose, sent to
// phone, and deletes it when right. Wrong codes are counted in the pending
// record (otp.SMSMaxFailures, then the flow starts over).
func (c Checker) SMS(tx Records, u *account.User, purpose, phone, code string) error {
	ch, ok, err := tx.SMSChallenge(u.UUID, purpose)
	if err != nil {
		return err
	}
	if !ok || !ch.Matches(phone, purpose) {
		return &Failure{Final: true, Err: account.Errorf(account.KindOTP,
			"No OTP was sent by SMS for this, or it was already used.").
			WithHint("request a new one: run the command again without --otp and choose the SMS option")}
	}
	now := c.Now
	err = ch.Check(code, now)
	if err == nil {
		return tx.DeleteSMSChallenge(u.UUID, purpose)
	}
	f := &Failure{Err: smsError(err, purpose), Final: !errors.Is(err, otp.ErrSMSIncorrect)}
	uuid := u.UUID
	f.Record = func(tx Records) error {
		fresh, ok, err := tx.SMSChallenge(uuid, purpose)
		if err != nil || !ok || !bytes.Equal(fresh.Salt, ch.Salt) {
			return err // a newer code replaced it meanwhile
		}
		_ = fresh.Check(code, now) // counts the wrong code on the stored copy
		return tx.PutSMSChallenge(uuid, purpose, fresh)
	}
	return f
}

// smsError maps an otp SMS error to what the user sees: phone registration
// keeps the original's texts; the other flows say "Invalid OTP" as the
// original's server did, with a hint when the code is dead.
func smsError(err error, purpose string) error {
	if purpose == otp.PurposeRegisterPhone {
		return account.Errorf(account.KindOTP, "%s", err)
	}
	switch {
	case errors.Is(err, otp.ErrSMSExpired):
		return account.Errorf(account.KindOTP, "%s", err).
			WithHint("request a new OTP by SMS: run the command again and choose the SMS option")
	case errors.Is(err, otp.ErrSMSTooMany):
		return account.ErrInvalidOTP.WithHint(fmt.Sprintf(
			"%d wrong OTPs: this SMS code is dead; request a new one to start over", otp.SMSMaxFailures))
	}
	return account.ErrInvalidOTP
}
