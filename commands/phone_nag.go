package commands

import (
	"fmt"
	"io"

	"github.com/airt/airt/account"
)

// The original's reminders to register a phone number, printed after a
// successful `airt token` (not with -q) and `airt user mfa enable`. The
// original also told the user to put the token in AIRT_SERVICE_TOKEN; airt
// keeps the session in the keyring, so that clause is left out.
const (
	phoneNotRegistered = "\n\nPlease take a moment to register and verify your phone number. If you forget your password or cannot access your account, you can request the OTP to your registered phone number to regain access. \nTo register a new phone number, please execute the below command with your phone number and follow the on-screen instructions:\n\nairt user register-phone-number --phone-number"
	phoneNotVerified   = "\n\nYour phone number is added to your account but not yet verified. Please take a moment to register and verify your phone number. If you forget your password or cannot access your account, you can request the OTP to your registered phone number to regain access. \nTo register a new phone number, please execute the below command with your phone number and follow the on-screen instructions:\n\nairt user register-phone-number\n\nIn case you want to register a new number, please execute the below command with your new phone number:\n\nairt user register-phone-number --phone-number"
)

// printPhoneNag prints the reminder that fits u's phone state, if any.
func printPhoneNag(w io.Writer, u *account.User) {
	switch {
	case u.Phone == "":
		fmt.Fprintln(w, phoneNotRegistered)
	case !u.PhoneVerified:
		fmt.Fprintln(w, phoneNotVerified)
	}
}
