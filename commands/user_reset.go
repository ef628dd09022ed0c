package commands

import (
	"errors"
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// resetPassword is `airt user reset-password`.
type resetPassword struct {
	c                       *cli
	username, password, otp string
}

// resetFailedText is the original server's answer to any failed reset.
const resetFailedText = "Something went wrong. The username or OTP you entered is incorrect. Please try again or contact your administrator."

func registerUserResetPassword(c *cli, user *kingpin.CmdClause) {
	r := &resetPassword{c: c}
	cmd := user.Command("reset-password", "Reset the account password.\n\n"+
		"No login is needed: the one-time code proves who you are. Users with MFA can use the code of their authenticator app; anyone with a verified phone number can ask for an OTP by SMS (sent through AIRT_SMS_COMMAND).\n\n"+
		"Missing values are asked for: the username, the new password (hidden, twice, on a terminal; two lines of standard input otherwise) and, without --otp, which code to use. The user's sessions end.\n\n"+
		"Example: airt user reset-password -u alice")
	cmd.Flag("username", "Account username to reset the password of.").Short('u').PlaceHolder("TEXT").StringVar(&r.username)
	cmd.Flag("new-password", "New password to set for the account, at least 8 characters.").PlaceHolder("TEXT").StringVar(&r.password)
	cmd.Flag("otp", "Dynamically generated six-digit verification code from the authenticator app, or the OTP received by SMS.").
		PlaceHolder("TEXT").StringVar(&r.otp)
	c.action(cmd, r.run)
}

func (r *resetPassword) run() error {
	c := r.c
	var err error
	if r.username == "" {
		if r.username, err = c.prompt("Please enter your username: "); err != nil {
			return err
		}
	}
	if r.password == "" {
		if r.password, err = c.promptNewPassword(); err != nil {
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
	if err != nil {
		c.debugf("reset-password failed: %v", err)
		return resetFailed()
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
		var f *codeFailure
		if errors.As(err, &f) {
			c.debugf("reset-password failed: %s", hintedText(f.err))
			f.err = resetFailed()
		}
		return err
	}
	if r.otp != "" {
		err = attempt(proof{code: r.otp, totp: user.MFAActive(), sms: purpose})
	} else {
		// One code, as the original.
		err = c.codeMenu(resetMenu, totpResetPrompt, 1, user, purpose, attempt)
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
