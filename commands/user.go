package commands

import (
	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// registerUser adds `airt user` and its subcommands, in help order.
func registerUser(c *cli) {
	user := c.app.Command("user", "A set of commands for managing users and their authentication.")
	registerUserCreate(c, user)
	registerUserDetails(c, user)
	registerUserDisableEnable(c, user)
	registerUserLs(c, user)
	registerUserUpdate(c, user)
	registerUserImport(c, user)
	registerUserExport(c, user)
}

// otpFlag is the --otp option of the changing commands.
func otpFlag(cmd *kingpin.CmdClause, dst *string) {
	cmd.Flag("otp", "Dynamically generated six-digit verification code from the authenticator app. Please pass this optional argument only if you have activated the MFA for your account.").
		PlaceHolder("TEXT").StringVar(dst)
}

// checkCallerOTP enforces DESIGN §5 for a changing command: a caller without
// MFA must not pass --otp; a caller with MFA must pass a valid code, which is
// then used up (its step recorded, so it is never accepted again).
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
	key, err := tx.Key()
	if err != nil {
		return err
	}
	secret, err := otp.Open(key, caller.MFA.SealedSecret, []byte(caller.UUID))
	if err != nil {
		return err
	}
	step, err := otp.Verify(string(secret), code, c.now(), caller.MFA.LastStep)
	if err != nil {
		return account.ErrInvalidOTP
	}
	m := &localstore.Mutation{Op: localstore.OpMFAStep, Target: caller.UUID, Actor: caller.UUID,
		BaseVersion: caller.Version, Args: localstore.Args{Step: step}}
	if _, err := tx.Apply(caller, m); err != nil {
		return err
	}
	caller.MFA.LastStep = step
	return tx.Enqueue(m)
}

// change applies m as caller and queues it, in tx.
func change(tx *localstore.Tx, caller *account.User, m *localstore.Mutation) (*account.User, error) {
	if caller != nil {
		m.Actor = caller.UUID
	}
	u, err := tx.Apply(caller, m)
	if err != nil {
		return nil, err
	}
	if err := tx.Enqueue(m); err != nil {
		return nil, err
	}
	return u, nil
}
