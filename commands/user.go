package commands

import (
	"github.com/alecthomas/kingpin/v2"
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
