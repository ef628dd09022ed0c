package commands

import (
	"fmt"
	"strings"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otpcheck"
)

// One-time codes at the command line: the --otp prompt of the
// changing commands, the original's menus, and the store plumbing around
// package otpcheck, which holds the rules themselves (the server applies the
// same ones).

// otpTries is how many codes a prompt loop checks before giving up. The
// original prompted 3 times but checked only 2 codes (it read the third and
// threw it away); here 3 prompts check 3 codes.
const otpTries = 3

// proof is a one-time code offered for a user, and what it may be.
type proof = otpcheck.Proof

// update runs fn in one read-write transaction of the store. When fn fails
// with a wrong code, the failed attempt is committed afterwards in a small
// transaction of its own (otpcheck.Update).
func (c *cli) update(fn func(*localstore.Tx) error) error {
	s, err := c.openStore()
	if err != nil {
		return err
	}
	return otpcheck.Update(s, fn)
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
	for i := 0; i < otpTries && otpcheck.Retryable(err); i++ {
		c.printError(err)
		answer, perr := c.prompt(totpPrompt)
		if perr != nil {
			return perr
		}
		err = c.update(func(tx *localstore.Tx) error { return fn(tx, answer) })
	}
	return err
}

// checker returns the code checker at the command's clock; an accepted
// TOTP step is used up with an mfa.step mutation made by actor (nil for a
// password reset), queued like any change.
func (c *cli) checker(actor *account.User) otpcheck.Checker {
	return otpcheck.Checker{Now: c.now(), UseStep: func(r otpcheck.Records, u *account.User, step uint64) error {
		m := &localstore.Mutation{Op: localstore.OpMFAStep, Target: u.UUID,
			BaseVersion: u.Version, Args: localstore.Args{Step: step}}
		_, err := r.(*localstore.Tx).Change(actor, m)
		return err
	}}
}

// checkCallerOTP: see otpcheck.Checker.CallerOTP.
func (c *cli) checkCallerOTP(tx *localstore.Tx, caller *account.User, code string) error {
	return c.checker(caller).CallerOTP(tx, caller, code)
}

// checkProof: see otpcheck.Checker.Proof; actor makes the mfa.step change.
func (c *cli) checkProof(tx *localstore.Tx, actor, u *account.User, p proof) error {
	return c.checker(actor).Proof(tx, u, p)
}

// checkSMS: see otpcheck.Checker.SMS.
func (c *cli) checkSMS(tx *localstore.Tx, u *account.User, purpose, phone, code string) error {
	return c.checker(u).SMS(tx, u, purpose, phone, code)
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
	p, text := proof{TOTP: true}, totpText
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
		p, text = proof{SMS: purpose}, smsPrompt
	}
	for i := 1; ; i++ {
		if p.Code, err = c.prompt(text); err != nil {
			return err
		}
		err = attempt(p)
		if err == nil || !otpcheck.Retryable(err) || i >= tries {
			return err
		}
		c.printError(err)
	}
}

// sendSMSCode makes a new SMS code for user uuid and purpose, sends it to
// phone with AIRT_SMS_COMMAND and, once sent, stores it (replacing any older
// code for that purpose). Nothing is stored when sending fails.
func (c *cli) sendSMSCode(uuid, phone, purpose string) error {
	cmdline := c.env.Getenv("AIRT_SMS_COMMAND")
	if strings.TrimSpace(cmdline) == "" {
		return otpcheck.ErrNoSMSSender
	}
	var out *otpcheck.Outgoing
	err := c.view(func(tx *localstore.Tx) error {
		var err error
		out, err = otpcheck.Prepare(tx, uuid, phone, purpose, c.now())
		return err
	})
	if err != nil {
		return err
	}
	c.close() // the sender may be slow: do not hold the store's lock meanwhile
	if err := out.Send(cmdline); err != nil {
		return err
	}
	c.debugf("SMS code for %s sent to %s", purpose, phone)
	return c.update(func(tx *localstore.Tx) error { return out.Commit(tx) })
}

// view runs fn in a read-only transaction of the store.
func (c *cli) view(fn func(*localstore.Tx) error) error {
	s, err := c.openStore()
	if err != nil {
		return err
	}
	return s.View(fn)
}
