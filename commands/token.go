package commands

import (
	"errors"
	"fmt"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// tokenCmd is `airt token`: log in and keep the session in the keyring.
type tokenCmd struct {
	c                  *cli
	username, password string
	otp, server        string
	quiet              bool
	passwordStdin      bool
}

func registerToken(c *cli) {
	t := &tokenCmd{c: c}
	cmd := c.app.Command("token", "Log in: check the credentials against the local store, keep the session in the OS keyring and print the token.\n\nThe username and password default to AIRT_SERVICE_USERNAME and AIRT_SERVICE_PASSWORD; on a terminal, a missing one is asked for (the password without echo).\n\nExample: airt token -u alice   (asks for the password)\nExample: printf '%s\\n' \"$PASS\" | airt token -u alice --password-stdin -q")
	cmd.Flag("username", "Username (default $AIRT_SERVICE_USERNAME).").Short('u').PlaceHolder("TEXT").StringVar(&t.username)
	cmd.Flag("password", "Password (default $AIRT_SERVICE_PASSWORD). Visible to other users in ps and kept in the shell's history: prefer the prompt, --password-stdin or the variable.").Short('p').PlaceHolder("TEXT").StringVar(&t.password)
	cmd.Flag("password-stdin", "Read the password from the first line of standard input.").BoolVar(&t.passwordStdin)
	cmd.Flag("otp", "For users with MFA: the six-digit code from the authenticator app, or the OTP received by SMS. Without it, on a terminal, a menu offers both.").PlaceHolder("TEXT").StringVar(&t.otp)
	cmd.Flag("server", "Log in to this airt server instead (remembered for airt sync).").Short('s').PlaceHolder("URL").StringVar(&t.server)
	cmd.Flag("quiet", "Print only the token.").Short('q').BoolVar(&t.quiet)
	c.action(cmd, t.run)

	logout := c.app.Command("logout", "Log out: end the session (removed from the keyring and revoked in the store).")
	c.action(logout, c.logout)
}

func (t *tokenCmd) run() error {
	c := t.c
	if t.username == "" {
		t.username = c.env.Getenv("AIRT_SERVICE_USERNAME")
	}
	if t.username == "" && c.env.StdinTerminal && !t.passwordStdin {
		var err error
		if t.username, err = c.promptTo(c.env.Stderr, "Username: "); err != nil {
			return err
		}
	}
	if t.username == "" {
		return usageError{"no username given and standard input is not a terminal to ask on: pass -u USERNAME or set AIRT_SERVICE_USERNAME"}
	}
	var err error
	t.password, err = c.secret(secretSpec{what: "password", flag: "-p", value: t.password,
		env: "AIRT_SERVICE_PASSWORD", stdin: t.passwordStdin, prompt: "Password for " + t.username + ": "})
	if err != nil {
		return err
	}
	if t.server != "" {
		c.mayCreateStore = true // a server login may start a new replica
		return t.serverLogin()
	}
	var token string
	var user *account.User
	attempt := func(p proof) error {
		return c.update(func(tx *localstore.Tx) error {
			u, err := tx.UserByUsername(t.username)
			if err != nil || !account.CheckPassword(u.PasswordHash, t.password) {
				return account.ErrBadCredentials
			}
			if err := account.CheckActive(u); err != nil {
				return err
			}
			user = u
			if err := c.checkLoginOTP(tx, u, p); err != nil {
				return err
			}
			token, err = tx.NewSession(u.UUID)
			return err
		})
	}
	err = attempt(proof{Code: t.otp, TOTP: true, SMS: otp.PurposeGetToken})
	if t.otp == "" && c.env.StdinTerminal && errors.Is(err, account.ErrOTPRequired) {
		// The original's menu: the authenticator app, or an SMS code
		// to the user's verified phone.
		c.printError(err)
		err = c.codeMenu(otpMenu, totpPrompt, otpTries, user, otp.PurposeGetToken, attempt)
	}
	if err != nil {
		return err
	}
	if _, err := c.openStore(); err != nil { // reopened after a prompt
		return err
	}
	c.moveCredentials()
	if err := c.creds.Set(keySession, token); err != nil {
		return fmt.Errorf("keep the session in the keyring: %w", err)
	}
	c.debugf("logged in as %s (%s); session kept in %s", user.Username, user.UUID, c.creds.Backend())
	if t.quiet {
		fmt.Fprintln(c.env.Stdout, token)
		return nil
	}
	fmt.Fprintf(c.env.Stdout, "token: %s\n", token)
	printPhoneNag(c.env.Stdout, user)
	return nil
}

// checkLoginOTP checks the one-time code of a user with MFA at login: their
// TOTP code, or an SMS code sent for a login. Unlike the changing commands, a
// non-MFA user passing --otp is refused with the original's login text.
func (c *cli) checkLoginOTP(tx *localstore.Tx, u *account.User, p proof) error {
	if !u.MFAActive() {
		if p.Code != "" {
			return account.ErrBadCredentials
		}
		return nil
	}
	if p.Code == "" {
		return account.ErrOTPRequired
	}
	return c.checkProof(tx, u, u, p)
}

func (c *cli) logout() error {
	s, err := c.openStore()
	if err != nil {
		return err
	}
	loggedOut := c.serverLogout(s)
	// A token in AIRT_SERVICE_TOKEN is the session in use: it is revoked too,
	// so that "Logged out." is true whichever session the commands were using.
	envToken := c.env.Getenv("AIRT_SERVICE_TOKEN")
	if envToken != "" {
		if err := s.Update(func(tx *localstore.Tx) error { return tx.DeleteSession(envToken) }); err != nil {
			return err
		}
		loggedOut = true
	}
	tok, err := c.creds.Get(keySession)
	switch {
	case err == nil:
		if err := s.Update(func(tx *localstore.Tx) error { return tx.DeleteSession(tok) }); err != nil {
			return err
		}
		if err := c.creds.Delete(keySession); err != nil {
			return err
		}
		loggedOut = true
	case !errors.Is(err, credentials.ErrNotFound):
		return err
	}
	if !loggedOut {
		fmt.Fprintln(c.env.Stdout, "Not logged in.")
		return nil
	}
	fmt.Fprintln(c.env.Stdout, "Logged out.")
	if envToken != "" {
		fmt.Fprintln(c.env.Stdout, "The token in AIRT_SERVICE_TOKEN is revoked; unset the variable.")
	}
	return nil
}
