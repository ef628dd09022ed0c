package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/otpcheck"
	usersync "github.com/airt/airt/sync"
)

// resetPassword is `airt user reset-password`.
type resetPassword struct {
	c                       *cli
	username, password, otp string
	passwordStdin           bool
}

// resetFailedText is the original server's answer to any failed reset.
const resetFailedText = "Something went wrong. The username or OTP you entered is incorrect. Please try again or contact your administrator."

func registerUserResetPassword(c *cli, user *kingpin.CmdClause) {
	r := &resetPassword{c: c}
	cmd := user.Command("reset-password", "Reset the account password.\n\n"+
		"No login is needed: the one-time code proves who you are. Users with MFA can use the code of their authenticator app; anyone with a verified phone number can ask for an OTP by SMS (sent through AIRT_SMS_COMMAND).\n\n"+
		"Missing values are asked for: the username, the new password (hidden, twice; only on a terminal: a script passes --password-stdin, whose first line of standard input is the password) and, without --otp, which code to use. The user's sessions end.\n\n"+
		"Example: airt user reset-password -u alice")
	cmd.Flag("username", "Account username to reset the password of.").Short('u').PlaceHolder("TEXT").StringVar(&r.username)
	cmd.Flag("new-password", "New password to set for the account, at least 8 characters. Visible to other users in ps: prefer the prompt or --password-stdin.").PlaceHolder("TEXT").StringVar(&r.password)
	cmd.Flag("password-stdin", "Read the new password from the first line of standard input (before any answer to the prompts).").BoolVar(&r.passwordStdin)
	cmd.Flag("otp", "Dynamically generated six-digit verification code from the authenticator app, or the OTP received by SMS.").
		PlaceHolder("TEXT").StringVar(&r.otp)
	c.action(cmd, r.run)
}

func (r *resetPassword) run() error {
	c := r.c
	var err error
	spec := secretSpec{what: "new password", flag: "--new-password", value: r.password, stdin: r.passwordStdin,
		prompt: "Please enter your new password: ", confirm: true, promptOut: c.env.Stdout}
	if r.passwordStdin || r.password != "" || !c.env.StdinTerminal {
		// Before any prompt: the first line of --password-stdin is the
		// password, and a missing one off a terminal is a usage error.
		if r.password, err = c.secret(spec); err != nil {
			return err
		}
	}
	if r.username == "" {
		if r.username, err = c.prompt("Please enter your username: "); err != nil {
			return err
		}
	}
	if r.password == "" { // on a terminal: the original's order, username then password
		if r.password, err = c.secret(spec); err != nil {
			return err
		}
	}
	if err := account.ValidatePassword(r.password); err != nil {
		return err
	}
	hash, err := hashPassword(r.password)
	if err != nil {
		return err
	}
	var user *account.User
	err = c.view(func(tx *localstore.Tx) error {
		user, err = tx.UserByUsername(r.username)
		return err
	})
	if url, berr := c.boundServer(); berr == nil && url != "" && (user == nil || !user.SuperUser) {
		return r.online(url)
	}
	if err != nil && r.otp != "" {
		c.debugf("reset-password failed: %v", err)
		return resetFailed()
	}
	if err != nil {
		// No such account: the same menu and prompts as for one, so the
		// answers do not tell a stranger which accounts exist.
		c.debugf("reset-password: %v", err)
		user = nil
	}
	const purpose = otp.PurposeResetPassword
	attempt := func(p proof) error {
		err := c.update(func(tx *localstore.Tx) error {
			u, err := tx.User(user.UUID)
			if err != nil {
				return err
			}
			if err := c.checkProof(tx, nil, u, p); err != nil {
				return err
			}
			// Proven by the one-time code: no actor (Apply allows that for
			// password.reset only). Apply ends the user's sessions.
			_, err = tx.Change(nil, &localstore.Mutation{Op: localstore.OpPasswordReset,
				Target: u.UUID, BaseVersion: u.Version,
				Args: localstore.Args{Secrets: localstore.Secrets{PasswordHash: hash}}})
			return err
		})
		var f *otpcheck.Failure
		if errors.As(err, &f) {
			c.debugf("reset-password failed: %s", hintedText(f.Err))
			f.Err = resetFailed()
		}
		return err
	}
	if r.otp != "" {
		err = attempt(proof{Code: r.otp, TOTP: user.MFAActive(), SMS: purpose})
	} else {
		err = c.resetMenu(user, attempt)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.env.Stdout, "\nPassword reset successful")
	if c.env.Getenv("AIRT_SERVICE_PASSWORD") != "" {
		fmt.Fprintln(c.env.Stdout, "\nPlease don't forget to set the updated password in the `AIRT_SERVICE_PASSWORD` environment variable")
	}
	return nil
}

// online resets the password on the server the store is bound to, which
// checks the code (a TOTP code, or an SMS code it sent) and hashes the new
// password itself. No login is needed; every failure has the one answer.
func (r *resetPassword) online(url string) error {
	c := r.c
	client, err := c.syncClient(url, "")
	if err != nil {
		return err
	}
	eng := &usersync.Engine{Client: client}
	code := r.otp
	if code == "" {
		// The original's menu, also off a terminal, as locally.
		var err error
		if code, err = c.onlineCodeMenu(eng, resetMenu, totpResetPrompt, nil, r.username, otp.PurposeResetPassword); err != nil {
			return err
		}
	}
	_, err = eng.Client.Online(context.Background(), usersync.OnlineRequest{Op: string(localstore.OpPasswordReset),
		Username: r.username, NewPassword: r.password, OTP: code})
	if account.KindOf(err) == account.KindOTP {
		return resetFailed()
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.env.Stdout, "\nPassword reset successful")
	fmt.Fprintf(c.env.Stdout, "\nThe server %s ended your sessions there: log in again with 'airt token -s %s -u %s'.\n", url, url, r.username)
	return nil
}

// resetMenu is reset-password's menu: one code, as the original. Every
// account sees the same menu, texts and prompts and every failure ends in
// resetFailed, whether the account exists, has MFA, has a verified phone or
// hit the SMS send limit (the reason goes to --debug only): this command
// needs no login, so its answers must not reveal any of that. user is nil
// for an unknown username.
func (c *cli) resetMenu(user *account.User, attempt func(proof) error) error {
	const purpose = otp.PurposeResetPassword
	opt, err := c.choose(resetMenu)
	if err != nil {
		return err
	}
	p, text := proof{TOTP: true}, totpResetPrompt
	why := "" // why the code cannot work, for --debug
	if opt == 2 {
		// A missing sender is the installation's, not the account's: said
		// to everyone alike.
		if strings.TrimSpace(c.env.Getenv("AIRT_SMS_COMMAND")) == "" {
			return otpcheck.ErrNoSMSSender
		}
		switch {
		case user == nil:
			why = "no such account"
		case user.Phone == "" || !user.PhoneVerified:
			why = user.Username + " has no verified phone number to send the OTP to"
		default:
			if err := c.sendSMSCode(user.UUID, user.Phone, purpose); err != nil {
				why = "no SMS sent: " + hintedText(err)
			}
		}
		fmt.Fprintf(c.env.Stdout, "\n%s\n", smsSentText)
		p, text = proof{SMS: purpose}, smsPrompt
	} else {
		switch {
		case user == nil:
			why = "no such account"
		case !user.MFAActive():
			why = account.ErrMFANotActive.Error()
		}
	}
	if p.Code, err = c.prompt(text); err != nil {
		return err
	}
	if why != "" && (opt == 1 || user == nil || !user.PhoneVerified) {
		c.debugf("reset-password failed: %s", why)
		return resetFailed()
	}
	if why != "" {
		c.debugf("reset-password: %s", why) // an older SMS code may still be valid
	}
	return attempt(p)
}

// resetFailed is the answer to every failed reset: the original's one text
// and a hint that says what to check, but not what was wrong. This command
// needs no login, so it must not tell a stranger whether an account exists,
// has MFA, a verified phone, or is locked out.
func resetFailed() error {
	return account.Errorf(account.KindOTP, resetFailedText).WithHint(
		"check the username and the code (from the authenticator app, or the SMS code sent to the verified phone) and run the command again")
}

// hintedText is err's text followed by its hint, if it has one.
func hintedText(err error) string {
	var ae *account.Error
	if errors.As(err, &ae) && ae.Hint != "" {
		return err.Error() + " " + ae.Hint
	}
	return err.Error()
}
