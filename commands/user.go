package commands

import (
	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// registerUser adds `airt user` and its subcommands, in help order.
func registerUser(c *cli) {
	user := c.app.Command("user", "A set of commands for managing users and their authentication.")
	registerUserCreate(c, user)
	registerUserDetails(c, user)
	registerUserDisableEnable(c, user)
	registerUserLs(c, user)
	registerUserMFA(c, user)
	registerUserRegisterPhone(c, user)
	registerUserResetPassword(c, user)
	registerUserSSO(c, user)
	registerUserUpdate(c, user)
	registerUserImport(c, user)
	registerUserExport(c, user)
}

// otpFlag is the --otp option of the changing commands.
func otpFlag(cmd *kingpin.CmdClause, dst *string) {
	cmd.Flag("otp", "Dynamically generated six-digit verification code from the authenticator app. Please pass this optional argument only if you have activated the MFA for your account.").
		PlaceHolder("TEXT").StringVar(dst)
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
