package commands

import (
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	usersync "github.com/airt/airt/sync"
)

// registerUserMFA adds `airt user mfa enable|disable`.
func registerUserMFA(c *cli, user *kingpin.CmdClause) {
	mfa := user.Command("mfa", "Commands for enabling and disabling Multi-Factor Authentication (MFA).")

	e := &mfaEnable{c: c}
	cmd := mfa.Command("enable", "Enable Multi-Factor Authentication (MFA) for the user.\n\n"+
		"Shows a QR code, the otpauth:// URI and the secret: add it to an authenticator app (such as Google Authenticator), then enter the six-digit code the app shows. The code is read from standard input, so a script can answer too.\n\n"+
		"After three invalid codes nothing is changed and the command must be run again for a new QR code. With MFA already active, pass --otp with the current code to replace the secret; the old secret stays in force until the new one is confirmed.\n\n"+
		"Example: airt user mfa enable")
	otpFlag(cmd, &e.otp)
	c.action(cmd, e.run)

	d := &mfaDisable{c: c}
	cmd = mfa.Command("disable", "Disable Multi-Factor Authentication (MFA) for the user.\n\n"+
		"Without --otp it asks which code to use: the authenticator app's, or an OTP sent by SMS (AIRT_SMS_COMMAND) to your verified phone number. The code is always yours, the caller's.\n\n"+
		"Only a super user may disable MFA for other users; a super user without MFA needs no code for that.\n\n"+
		"Example: airt user mfa disable --otp 123456")
	cmd.Flag("user", "Account user_uuid/username to disable MFA for. If not passed, MFA is disabled for the logged-in user.").
		Short('u').PlaceHolder("TEXT").StringVar(&d.user)
	cmd.Flag("otp", "Dynamically generated six-digit verification code from the authenticator app or the OTP you have received via SMS.").
		PlaceHolder("TEXT").StringVar(&d.otp)
	c.action(cmd, d.run)
}

// mfaEnable is `airt user mfa enable`.
type mfaEnable struct {
	c   *cli
	otp string
}

func (e *mfaEnable) run() error {
	c := e.c
	if caller, err := c.currentUser(); err == nil {
		eng, err := c.onlineEngine(caller)
		if err != nil {
			return err
		}
		if eng != nil {
			// Online: the server checks the current code and the new one.
			code, err := c.callerCode(caller, e.otp)
			if err != nil {
				return err
			}
			return e.confirm(caller, func(secret, newCode string, step uint64) (*account.User, error) {
				if err := c.online(eng, usersync.OnlineRequest{Op: string(localstore.OpMFAActivate),
					MFASecret: secret, MFACode: newCode, OTP: code}); err != nil {
					return nil, err
				}
				return c.currentUser()
			})
		}
	}
	// 1. Who is asking; with MFA already active their current code is needed
	// (it is used up here, so the same code cannot confirm the new secret).
	var caller *account.User
	err := c.updateOTP(e.otp, func(tx *localstore.Tx, code string) error {
		var err error
		if caller, err = c.caller(tx); err != nil {
			return err
		}
		return c.checkCallerOTP(tx, caller, code)
	})
	if err != nil {
		return err
	}
	return e.confirm(caller, func(secret, _ string, step uint64) (*account.User, error) {
		var activated *account.User
		err := c.update(func(tx *localstore.Tx) error {
			caller, err := c.caller(tx)
			if err != nil {
				return err
			}
			m := &localstore.Mutation{Op: localstore.OpMFAActivate, Target: caller.UUID,
				BaseVersion: caller.Version, Args: localstore.Args{Step: step,
					Secrets: localstore.Secrets{MFASecret: secret}}}
			activated, err = tx.Change(caller, m)
			return err
		})
		return activated, err
	})
}

// confirm shows a new secret for caller and reads up to 3 codes of it; the
// first right one is handed to activate (with the step it matched), which
// makes the change.
func (e *mfaEnable) confirm(caller *account.User, activate func(secret, code string, step uint64) (*account.User, error)) error {
	c := e.c
	// 2. A new secret, kept only in this process until it is confirmed: an
	// unconfirmed secret never reaches the store, let alone replaces the
	// active one.
	secret, err := otp.NewSecret()
	if err != nil {
		return err
	}
	uri := otp.URI(secret, caller.Email)
	colour := c.env.StdoutTerminal && c.env.Getenv("NO_COLOR") == ""
	qr, err := otp.QR(uri, colour)
	if err != nil {
		return err
	}
	out := c.env.Stdout
	fmt.Fprintln(out, "Please open an authenticator app and scan the QR code below:")
	fmt.Fprint(out, qr)
	fmt.Fprintln(out)
	fmt.Fprintln(out, "If you cannot scan it, add the account to the app by hand with this URI or secret:")
	fmt.Fprintf(out, "uri: %s\n", uri)
	fmt.Fprintf(out, "secret: %s\n", secret)
	fmt.Fprintln(out)
	// 3. Up to 3 codes of the new secret. Its steps were never used, so
	// replay protection starts afresh (the activation keeps the user's
	// highest step).
	for i := 1; ; i++ {
		code, err := c.prompt(totpPrompt)
		if err != nil {
			return err
		}
		step, verr := otp.Verify(secret, code, c.now(), 0)
		if verr == nil {
			activated, err := activate(secret, code, step)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "Multi-Factor Authentication (MFA) successfully activated.")
			printPhoneNag(out, activated)
			return nil
		}
		// The original printed the server's text on stdout, no prefix.
		fmt.Fprintln(out, account.ErrInvalidOTP.Error())
		if i >= otpTries {
			// Deviation: the original exited 0 here.
			return account.Errorf(account.KindOTP, "MFA was not activated: %d invalid OTPs", otpTries).
				WithHint("run 'airt user mfa enable' again to get a new QR code")
		}
	}
}

// mfaDisable is `airt user mfa disable`.
type mfaDisable struct {
	c         *cli
	user, otp string
}

func (d *mfaDisable) run() error {
	c := d.c
	// Who acts on whom, and whose code is needed: always the caller's (as the
	// original's server); none for a super user without MFA acting on
	// another user (the original's client always asked for a code there, which
	// its server then refused, so that case could never succeed).
	var caller, target *account.User
	err := c.view(func(tx *localstore.Tx) error {
		var err error
		if caller, err = c.caller(tx); err != nil {
			return err
		}
		if target, err = resolveTarget(tx, caller, d.user); err != nil {
			return err
		}
		if !target.MFAActive() {
			return account.Errorf(account.KindConflict, "MFA is already disabled for the user")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if caller.UUID == target.UUID {
		eng, err := c.onlineEngine(caller)
		if err != nil {
			return err
		}
		if eng != nil {
			code := d.otp
			if code == "" {
				// The original's menu, also off a terminal, as locally.
				if code, err = c.onlineCodeMenu(eng, otpMenu, totpPrompt, caller, "", otp.PurposeDisableMFA); err != nil {
					return err
				}
			}
			if err := c.online(eng, usersync.OnlineRequest{Op: string(localstore.OpMFADisable), OTP: code}); err != nil {
				return err
			}
			fmt.Fprintln(c.env.Stdout, "Multi-Factor Authentication (MFA) is successfully deactivated for the user.")
			return nil
		}
	}
	attempt := func(p proof) error {
		return c.update(func(tx *localstore.Tx) error {
			caller, err := c.caller(tx)
			if err != nil {
				return err
			}
			target, err := resolveTarget(tx, caller, d.user)
			if err != nil {
				return err
			}
			if !caller.MFAActive() {
				if p.Code != "" {
					return account.ErrMFANotActive
				}
			} else if err := c.checkProof(tx, caller, caller, p); err != nil {
				return err
			}
			_, err = tx.Change(caller, &localstore.Mutation{Op: localstore.OpMFADisable,
				Target: target.UUID, BaseVersion: target.Version})
			return err
		})
	}
	if d.otp != "" || !caller.MFAActive() {
		err = attempt(proof{Code: d.otp, TOTP: true, SMS: otp.PurposeDisableMFA})
	} else {
		err = c.codeMenu(otpMenu, totpPrompt, otpTries, caller, otp.PurposeDisableMFA, attempt)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.env.Stdout, "Multi-Factor Authentication (MFA) is successfully deactivated for the user.")
	return nil
}
