package commands

import (
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// registerUserSSO adds `airt user sso enable|disable`.
func registerUserSSO(c *cli, user *kingpin.CmdClause) {
	sso := user.Command("sso", "Commands for enabling and disabling Single sign-on (SSO).")

	e := &ssoEnable{c: c}
	cmd := sso.Command("enable", "Enable Single sign-on (SSO) for the user.\n\n"+
		"Links the provider (google or github, lower case) to the email you use there. Enabling it again replaces the email.\n\n"+
		"Example: airt user sso enable google -e alice@gmail.com")
	cmd.Arg("sso_provider", "Name of the Single sign-on (SSO) identity provider: google or github.").Required().StringVar(&e.provider)
	cmd.Flag("email", "Email id going to be used for SSO authentication.").Short('e').Required().PlaceHolder("TEXT").StringVar(&e.email)
	otpFlag(cmd, &e.otp)
	c.action(cmd, e.run)

	d := &ssoDisable{c: c}
	cmd = sso.Command("disable", "Disable Single sign-on (SSO) for the user.\n\n"+
		"Please do not pass the user option unless you are a super user. Only a super user can disable SSO for other users.\n\n"+
		"Example: airt user sso disable google")
	cmd.Arg("sso_provider", "Name of the Single sign-on (SSO) identity provider: google or github.").Required().StringVar(&d.provider)
	cmd.Flag("user", "Account user_uuid/username to disable SSO for. If not passed, SSO is disabled for the logged-in user.").
		Short('u').PlaceHolder("TEXT").StringVar(&d.user)
	otpFlag(cmd, &d.otp)
	c.action(cmd, d.run)
}

// ssoEnable is `airt user sso enable`.
type ssoEnable struct {
	c                    *cli
	provider, email, otp string
}

func (e *ssoEnable) run() error {
	c := e.c
	if err := account.ValidateSSOProvider(e.provider); err != nil {
		return err
	}
	if err := account.ValidateEmail(e.email); err != nil {
		return err
	}
	if caller, err := c.currentUser(); err == nil {
		eng, err := c.onlineEngine(caller)
		if err != nil {
			return err
		}
		if eng != nil {
			code, err := c.callerCode(caller, e.otp)
			if err != nil {
				return err
			}
			if err := c.online(eng, usersync.OnlineRequest{Op: string(localstore.OpSSOEnable),
				Provider: e.provider, SSOEmail: e.email, OTP: code}); err != nil {
				return err
			}
			linked, err := c.currentUser()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "Single sign-on (SSO) is successfully enabled for %s. Please use %s as the email address while authenticating with %s.\n",
				e.provider, linked.SSO[e.provider], e.provider)
			return nil
		}
	}
	var linked *account.User
	err := c.updateOTP(e.otp, func(tx *localstore.Tx, code string) error {
		caller, err := c.caller(tx)
		if err != nil {
			return err
		}
		if err := c.checkCallerOTP(tx, caller, code); err != nil {
			return err
		}
		linked, err = tx.Change(caller, &localstore.Mutation{Op: localstore.OpSSOEnable,
			Target: caller.UUID, BaseVersion: caller.Version,
			Args: localstore.Args{Provider: e.provider, SSOEmail: e.email}})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "Single sign-on (SSO) is successfully enabled for %s. Please use %s as the email address while authenticating with %s.\n",
		e.provider, linked.SSO[e.provider], e.provider)
	return nil
}

// ssoDisable is `airt user sso disable`.
type ssoDisable struct {
	c                   *cli
	provider, user, otp string
}

func (d *ssoDisable) run() error {
	c := d.c
	if err := account.ValidateSSOProvider(d.provider); err != nil {
		return err
	}
	if caller, err := c.currentUser(); err == nil && (d.user == "" || !caller.SuperUser) {
		eng, err := c.onlineEngine(caller)
		if err != nil {
			return err
		}
		if eng != nil {
			if err := c.view(func(tx *localstore.Tx) error {
				_, err := resolveTarget(tx, caller, d.user) // only oneself
				return err
			}); err != nil {
				return err
			}
			code, err := c.callerCode(caller, d.otp)
			if err != nil {
				return err
			}
			if err := c.online(eng, usersync.OnlineRequest{Op: string(localstore.OpSSODisable),
				Provider: d.provider, OTP: code}); err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "Single sign-on (SSO) is successfully disabled for %s.\n", d.provider)
			return nil
		}
	}
	err := c.updateOTP(d.otp, func(tx *localstore.Tx, code string) error {
		caller, err := c.caller(tx)
		if err != nil {
			return err
		}
		target, err := resolveTarget(tx, caller, d.user)
		if err != nil {
			return err
		}
		if err := c.checkCallerOTP(tx, caller, code); err != nil {
			return err
		}
		_, err = tx.Change(caller, &localstore.Mutation{Op: localstore.OpSSODisable,
			Target: target.UUID, BaseVersion: target.Version, Args: localstore.Args{Provider: d.provider}})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "Single sign-on (SSO) is successfully disabled for %s.\n", d.provider)
	return nil
}
