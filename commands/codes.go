package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// One-time codes: checking TOTP and SMS codes inside a command's
// transaction, counting wrong codes so the count survives the failed
// command, the --otp prompt of the changing commands, the original's menus,
// and sending SMS codes through AIRT_SMS_COMMAND.

// otpTries is how many codes a prompt loop checks before giving up. The
// original prompted 3 times but checked only 2 codes (it read the third and
// threw it away); here 3 prompts check 3 codes.
const otpTries = 3

// codeFailure is a wrong one-time code. The command's transaction rolls back
// as for any error; record then runs in a transaction of its own (c.update)
// to commit the failed attempt — the TOTP failure counter and lock-out, or
// the SMS code's wrong-attempt count — so that guessing cannot be repeated
// for free. It is the one deliberate change a failed command leaves behind.
type codeFailure struct {
	err    error
	record func(*localstore.Tx) error
	// final: another code cannot help (locked out, expired, too many).
	final bool
}

func (f *codeFailure) Error() string { return f.err.Error() }
func (f *codeFailure) Unwrap() error { return f.err }

// retryable reports whether a prompt loop should ask for another code.
func retryable(err error) bool {
	var f *codeFailure
	if errors.As(err, &f) {
		return !f.final
	}
	return errors.Is(err, account.ErrOTPRequired)
}

// update runs fn in one read-write transaction of the store. When fn fails
// with a wrong code, the failed attempt is committed afterwards in a small
// transaction of its own (see codeFailure).
func (c *cli) update(fn func(*localstore.Tx) error) error {
	s, err := c.openStore()
	if err != nil {
		return err
	}
	err = s.Update(fn)
	var f *codeFailure
	if errors.As(err, &f) && f.record != nil {
		if rerr := s.Update(f.record); rerr != nil {
			return fmt.Errorf("%w (recording the failed attempt failed too: %v)", err, rerr)
		}
	}
	return err
}

// updateOTP runs fn(tx, code) in one transaction; fn checks the caller's code
// with checkCallerOTP. When the caller has MFA, no --otp was given and stdin
// is a terminal, the whole transaction is run again with a code prompted for
// (as the original's requires_totp decorator did): each failure is printed, then
// "Please enter the OTP displayed in the authenticator app: ", up to 3 codes.
// Off a terminal the "OTP is required" error is returned at once.
func (c *cli) updateOTP(code string, fn func(tx *localstore.Tx, code string) error) error {
	err := c.update(func(tx *localstore.Tx) error { return fn(tx, code) })
	if code != "" || !c.env.StdinTerminal {
		return err
	}
	for i := 0; i < otpTries && retryable(err); i++ {
		c.printError(err)
		answer, perr := c.prompt(totpPrompt)
		if perr != nil {
			return perr
		}
		err = c.update(func(tx *localstore.Tx) error { return fn(tx, answer) })
	}
	return err
}

// checkCallerOTP enforces the one-time-code rule of a changing command (README
// "One-time codes"): a caller without
// MFA must not pass --otp; a caller with MFA must give a valid TOTP code,
// which is then used up (its step recorded, so it is never accepted again).
// A wrong code returns a *codeFailure (see update).
func (c *cli) checkCallerOTP(tx *localstore.Tx, caller *account.User, code string) error {
	if !caller.MFAActive() {
		if code != "" {
			return account.ErrMFANotActive
		}
		return nil
	}
	if code == "" {
		return account.ErrOTPRequired
	}
	return c.checkProof(tx, caller, caller, proof{code: code, totp: true})
}

// proof is a one-time code offered for a user, and what it may be.
type proof struct {
	code string
	// totp: the code may be the user's authenticator code.
	totp bool
	// sms: the purpose of the SMS code it may be ("": none).
	sms string
}

// checkProof checks p as a code of user u inside tx and uses it up: a TOTP
// step is recorded with an mfa.step mutation made by actor (nil for a
// password reset), an SMS code is deleted. When p may be either, the TOTP
// code is tried first and, if it is wrong and an SMS code is pending, the SMS
// code (then only the SMS attempt is counted). Wrong codes return a
// *codeFailure.
func (c *cli) checkProof(tx *localstore.Tx, actor, u *account.User, p proof) error {
	if p.totp && u.MFAActive() {
		step, err := c.verifyTOTP(tx, u, p.code)
		if err == nil {
			m := &localstore.Mutation{Op: localstore.OpMFAStep, Target: u.UUID,
				BaseVersion: u.Version, Args: localstore.Args{Step: step}}
			if _, err := tx.Change(actor, m); err != nil {
				return err
			}
			u.MFA.LastStep = step
			return nil
		}
		if p.sms == "" {
			return err
		}
		if _, pending, perr := tx.SMSChallenge(u.UUID, p.sms); perr != nil || !pending {
			return err
		}
		return bothFailed(err, c.checkSMS(tx, u, p.sms, u.Phone, p.code))
	}
	if p.sms == "" {
		return account.ErrMFANotActive
	}
	return c.checkSMS(tx, u, p.sms, u.Phone, p.code)
}

// bothFailed combines the failure of a code checked as a TOTP code (totpErr)
// and then as a pending SMS code (smsErr). A code wrong for both counts
// against both, so a pending SMS code never lets TOTP guesses go uncounted.
// The lock-out, when there is one, is what the user is told.
func bothFailed(totpErr, smsErr error) error {
	if smsErr == nil {
		return nil // the SMS code was right: the TOTP miss does not count
	}
	f1, ok1 := totpErr.(*codeFailure)
	f2, ok2 := smsErr.(*codeFailure)
	if !ok1 || !ok2 {
		return smsErr
	}
	both := &codeFailure{err: f2.err, final: f1.final && f2.final}
	both.record = func(tx *localstore.Tx) error {
		for _, f := range []*codeFailure{f1, f2} {
			if f.record != nil {
				if err := f.record(tx); err != nil {
					return err
				}
			}
		}
		if f1.final {
			both.err = f1.err
		}
		both.final = f1.final && f2.final
		return nil
	}
	if f1.final {
		both.err = f1.err
	}
	return both
}

// verifyTOTP checks code against u's TOTP secret at the store clock and
// returns the step it matched. A locked-out user is refused without a check.
// Wrong codes are counted (otp.Attempts: MaxFailures in a row lock the user
// out for LockDuration); a replayed code is refused but not counted.
func (c *cli) verifyTOTP(tx *localstore.Tx, u *account.User, code string) (uint64, error) {
	now := c.now()
	att := localstore.OTPAttempts(u)
	if locked, until := att.Locked(now); locked {
		return 0, &codeFailure{final: true, err: account.Errorf(account.KindOTP,
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
		return 0, &codeFailure{err: account.ErrInvalidOTP.WithHint(otp.ErrReplay.Error())}
	case errors.Is(err, otp.ErrInvalid):
		f := &codeFailure{err: account.ErrInvalidOTP}
		uuid := u.UUID
		f.record = func(tx *localstore.Tx) error {
			fresh, err := tx.User(uuid)
			if err != nil {
				return err
			}
			a := localstore.OTPAttempts(fresh)
			a.Fail(now)
			if locked, until := a.Locked(now); locked {
				f.final = true
				f.err = account.ErrInvalidOTP.WithHint(fmt.Sprintf(
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

// checkSMS checks code against the SMS code pending for u and purpose, sent
// to phone, and deletes it when right. Wrong codes are counted in the
// pending record (otp.SMSMaxFailures, then the flow starts over).
func (c *cli) checkSMS(tx *localstore.Tx, u *account.User, purpose, phone, code string) error {
	ch, ok, err := tx.SMSChallenge(u.UUID, purpose)
	if err != nil {
		return err
	}
	if !ok || !ch.Matches(phone, purpose) {
		return &codeFailure{final: true, err: account.Errorf(account.KindOTP,
			"No OTP was sent by SMS for this, or it was already used.").
			WithHint("request a new one: run the command again without --otp and choose the SMS option")}
	}
	now := c.now()
	err = ch.Check(code, now)
	if err == nil {
		return tx.DeleteSMSChallenge(u.UUID, purpose)
	}
	f := &codeFailure{err: smsError(err, purpose), final: !errors.Is(err, otp.ErrSMSIncorrect)}
	uuid := u.UUID
	f.record = func(tx *localstore.Tx) error {
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

// codeMenu runs the original's option menu (prompt.go) for the codes of
// user who: [1] the authenticator app, [2] an SMS code sent to who's verified
// phone for purpose. attempt runs the command's transaction with the code;
// up to tries codes are checked, each failure printed before the next prompt.
func (c *cli) codeMenu(m menu, totpText string, tries int, who *account.User, purpose string, attempt func(proof) error) error {
	opt, err := c.choose(m)
	if err != nil {
		return err
	}
	p, text := proof{totp: true}, totpText
	if opt == 1 && !who.MFAActive() {
		return account.ErrMFANotActive.WithHint("choose [2] to get an OTP by SMS instead")
	}
	if opt == 2 {
		if who.Phone == "" || !who.PhoneVerified {
			return account.Errorf(account.KindFailed, "%s has no verified phone number to send the OTP to", who.Username).
				WithHint("use the authenticator app, or ask an administrator")
		}
		if err := c.sendSMSCode(who.UUID, who.Phone, purpose); err != nil {
			return err
		}
		fmt.Fprintf(c.env.Stdout, "\n%s\n", smsSentText)
		p, text = proof{sms: purpose}, smsPrompt
	}
	for i := 1; ; i++ {
		if p.code, err = c.prompt(text); err != nil {
			return err
		}
		err = attempt(p)
		if err == nil || !retryable(err) || i >= tries {
			return err
		}
		c.printError(err)
	}
}

// smsTimeout bounds a run of AIRT_SMS_COMMAND.
const smsTimeout = time.Minute

// errNoSMSSender: AIRT_SMS_COMMAND is not set.
var errNoSMSSender = &account.Error{Kind: account.KindFailed,
	Text: "no SMS sender configured: set AIRT_SMS_COMMAND to a shell command that sends the text on its standard input to the number in $AIRT_SMS_TO",
	Hint: `for example: export AIRT_SMS_COMMAND='my-sms-gateway --to "$AIRT_SMS_TO"'`}

// sendSMSCode makes a new SMS code for user uuid and purpose, sends it to
// phone with AIRT_SMS_COMMAND and, once sent, stores it (replacing any older
// code for that purpose). Nothing is stored when sending fails.
func (c *cli) sendSMSCode(uuid, phone, purpose string) error {
	cmdline := c.env.Getenv("AIRT_SMS_COMMAND")
	if strings.TrimSpace(cmdline) == "" {
		return errNoSMSSender
	}
	var sent []time.Time
	err := c.view(func(tx *localstore.Tx) error {
		var err error
		sent, err = tx.SMSSends(uuid)
		return err
	})
	if err != nil {
		return err
	}
	sent, next, err := otp.SendAllowed(sent, c.now())
	if err != nil {
		return account.Errorf(account.KindFailed, "%s: at most %d in %d minutes", err, otp.SMSMaxSends, int(otp.SMSSendWindow.Minutes())).
			WithHint("use the last code you received, or try again after " + next.UTC().Format("15:04:05 UTC"))
	}
	code, ch, err := otp.NewSMSChallenge(phone, purpose, c.now())
	if err != nil {
		return err
	}
	c.close() // the sender may be slow: do not hold the store's lock meanwhile
	if err := runSMSCommand(cmdline, phone, otp.SMSMessage(code, purpose)); err != nil {
		return err
	}
	c.debugf("SMS code for %s sent to %s", purpose, phone)
	return c.update(func(tx *localstore.Tx) error {
		if err := tx.PutSMSSends(uuid, append(sent, c.now())); err != nil {
			return err
		}
		return tx.PutSMSChallenge(uuid, purpose, ch)
	})
}

// runSMSCommand runs cmdline with `sh -c`, the number in AIRT_SMS_TO and
// msg on stdin. A failure names the exit status and the end of stderr.
func runSMSCommand(cmdline, to, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), smsTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", cmdline)
	cmd.Env = append(os.Environ(), "AIRT_SMS_TO="+to)
	cmd.Stdin = strings.NewReader(msg + "\n")
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	what := err.Error()
	if ctx.Err() != nil {
		what = fmt.Sprintf("no answer after %s", smsTimeout)
	}
	tail := strings.TrimSpace(stderr.String())
	if len(tail) > 300 {
		tail = "…" + tail[len(tail)-300:]
	}
	if tail != "" {
		what += ": " + strings.ReplaceAll(tail, "\n", " | ")
	}
	return account.Errorf(account.KindFailed, "sending the SMS failed (AIRT_SMS_COMMAND %s)", what).
		WithHint("check the command in AIRT_SMS_COMMAND; no OTP was sent")
}

// view runs fn in a read-only transaction of the store.
func (c *cli) view(fn func(*localstore.Tx) error) error {
	s, err := c.openStore()
	if err != nil {
		return err
	}
	return s.View(fn)
}
