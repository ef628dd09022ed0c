package commands

import (
	"errors"
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/otpcheck"
)

// registerPhone is `airt user register-phone-number`.
type registerPhone struct {
	c          *cli
	phone, otp string
}

func registerUserRegisterPhone(c *cli, user *kingpin.CmdClause) {
	r := &registerPhone{c: c}
	cmd := user.Command("register-phone-number", "Register and validate a phone number.\n\n"+
		"Sends an OTP by SMS (through AIRT_SMS_COMMAND) to the phone number, then asks for it; the code is read from standard input. The number is stored, in E.164 form, only once the code is confirmed.\n\n"+
		"After ten invalid OTPs, or ten minutes, the code is dead and the command must be run again.\n\n"+
		"Example: airt user register-phone-number -p '+44 7911 123456'")
	cmd.Flag("phone-number", "Phone number to register, with its country code: for example 440123456789, +440123456789, 00440123456789, +44 0123456789 and (+44) 012 345 6789 are all valid for a UK number. If not passed, the OTP is sent to the number already on the account.").
		Short('p').PlaceHolder("TEXT").StringVar(&r.phone)
	otpFlag(cmd, &r.otp)
	c.action(cmd, r.run)
}

func (r *registerPhone) run() error {
	c := r.c
	phone := ""
	if r.phone != "" {
		p, err := account.NormalizePhone(r.phone)
		if err != nil {
			return err
		}
		phone = p
	}
	if caller, err := c.currentUser(); err == nil {
		eng, err := c.onlineEngine(caller)
		if err != nil {
			return err
		}
		if eng != nil {
			return r.online(eng, caller, phone)
		}
	}
	// The caller, their TOTP code if they have MFA, and the number.
	var caller *account.User
	err := c.updateOTP(r.otp, func(tx *localstore.Tx, code string) error {
		var err error
		if caller, err = c.caller(tx); err != nil {
			return err
		}
		if err := c.checkCallerOTP(tx, caller, code); err != nil {
			return err
		}
		if phone == "" {
			if caller.Phone == "" {
				return account.Errorf(account.KindInvalid, "Please pass a phone number to register.").
					WithHint("pass it with -p, e.g. -p '+44 7911 123456'")
			}
			phone = caller.Phone
		}
		return nil
	})
	if err != nil {
		return err
	}
	const purpose = otp.PurposeRegisterPhone
	if err := c.sendSMSCode(caller.UUID, phone, purpose); err != nil {
		return err
	}
	// The original's loop: no limit here; the code dies after 10 wrong
	// attempts or 10 minutes, which ends the loop. Each attempt is its own
	// transaction, so the count holds across processes.
	for {
		code, err := c.prompt(fmt.Sprintf("We have sent a One-Time Password (OTP) to the phone number %s. Please enter here: ", phone))
		if err != nil {
			return err
		}
		fmt.Fprint(c.env.Stdout, "\n\n")
		err = c.update(func(tx *localstore.Tx) error {
			caller, err := c.caller(tx)
			if err != nil {
				return err
			}
			if err := c.checkSMS(tx, caller, purpose, phone, code); err != nil {
				return err
			}
			_, err = tx.Change(caller, &localstore.Mutation{Op: localstore.OpPhoneVerified,
				Target: caller.UUID, BaseVersion: caller.Version, Args: localstore.Args{Phone: &phone}})
			return err
		})
		if err == nil {
			fmt.Fprintf(c.env.Stdout, "The phone number %s is successfully registered. We will send the OTP via SMS to this registered phone number when requested.\n", phone)
			return nil
		}
		var f *otpcheck.Failure
		if !errors.As(err, &f) {
			return err
		}
		// The original printed these texts on stdout, without a prefix.
		fmt.Fprintln(c.env.Stdout, f.Err.Error())
		if f.Final {
			// Deviation: the original exited 0 here.
			return account.Errorf(account.KindOTP, "the phone number %s was not registered", phone).
				WithHint("run 'airt user register-phone-number' again to get a new OTP")
		}
	}
}
