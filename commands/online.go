package commands

import (
	"context"
	"fmt"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	usersync "github.com/airt/airt/sync"
)

// Online operations: a non-super user's own security changes (MFA on or
// off, phone verification, SSO links, password reset) on a store bound to a
// server are made on the server, which checks their proof itself, and not
// queued: the server refuses them by push, since a store under its user's
// control could forge the proof. A store bound to no server keeps doing them
// locally, and so does a super user (admin work, which the server validates).

// boundServer returns the URL of the server the store syncs with ("" when
// none).
func (c *cli) boundServer() (string, error) {
	var url string
	err := c.view(func(tx *localstore.Tx) error {
		url = string(tx.GetMeta(usersync.MetaServer))
		return nil
	})
	return url, err
}

// onlineEngine returns the sync engine when a security change of user's own
// account is an online operation (the store is bound to a server and user
// is not a super user); nil when it is made locally.
func (c *cli) onlineEngine(user *account.User) (*usersync.Engine, error) {
	if user == nil || user.SuperUser {
		return nil, nil
	}
	url, err := c.boundServer()
	if err != nil || url == "" {
		return nil, err
	}
	s, err := c.openStore()
	if err != nil {
		return nil, err
	}
	return c.syncEngine(s)
}

// currentUser returns the logged-in user (read only).
func (c *cli) currentUser() (*account.User, error) {
	var u *account.User
	err := c.view(func(tx *localstore.Tx) error {
		var err error
		u, err = c.caller(tx)
		return err
	})
	return u, err
}

// online makes req on the server, then pulls so that this store shows the
// change (and every other store gets it on its next pull).
func (c *cli) online(eng *usersync.Engine, req usersync.OnlineRequest) error {
	ctx := context.Background()
	if _, err := eng.Client.Online(ctx, req); err != nil {
		return err
	}
	c.debugf("%s made on the server %s", req.Op, eng.Client.URL)
	s, err := c.openStore() // a prompt may have closed it meanwhile
	if err == nil {
		eng.Store = s
		_, err = eng.Pull(ctx)
	}
	if err != nil {
		return &account.Error{Kind: account.KindOf(err),
			Text: fmt.Sprintf("%s was made on the server, but this store could not pull it: %v", req.Op, err),
			Hint: "run 'airt sync' to bring it into this store"}
	}
	return nil
}

// callerCode returns the caller's current TOTP code for an online change:
// --otp, or a prompt on a terminal; "" without MFA (a code then is refused,
// as locally).
func (c *cli) callerCode(caller *account.User, code string) (string, error) {
	if !caller.MFAActive() {
		if code != "" {
			return "", account.ErrMFANotActive
		}
		return "", nil
	}
	if code != "" {
		return code, nil
	}
	if !c.env.StdinTerminal {
		return "", account.ErrOTPRequired
	}
	return c.prompt(totpPrompt)
}

// onlineCodeMenu asks, as the original's menu, for the code proving an
// online change of user: [1] the authenticator app's, or [2] an SMS code the
// server sends (purpose) to the user's verified phone.
func (c *cli) onlineCodeMenu(eng *usersync.Engine, m menu, totpText string, user *account.User, username, purpose string) (string, error) {
	opt, err := c.choose(m)
	if err != nil {
		return "", err
	}
	if opt == 1 {
		return c.prompt(totpText)
	}
	if err := eng.Client.SendSMS(context.Background(), usersync.SMSRequest{Purpose: purpose, Username: username}); err != nil {
		return "", err
	}
	fmt.Fprintf(c.env.Stdout, "\n%s\n", smsSentText)
	return c.prompt(smsPrompt)
}

// registerPhoneOnline is register-phone-number as an online operation: the
// server sends the code by its own SMS sender and checks it.
func (r *registerPhone) online(eng *usersync.Engine, caller *account.User, phone string) error {
	c := r.c
	if phone == "" {
		if caller.Phone == "" {
			return account.Errorf(account.KindInvalid, "Please pass a phone number to register.").
				WithHint("pass it with -p, e.g. -p '+44 7911 123456'")
		}
		phone = caller.Phone
	}
	code, err := c.callerCode(caller, r.otp)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := eng.Client.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: phone, OTP: code}); err != nil {
		return err
	}
	for i := 1; ; i++ {
		code, err := c.prompt(fmt.Sprintf("We have sent a One-Time Password (OTP) to the phone number %s. Please enter here: ", phone))
		if err != nil {
			return err
		}
		fmt.Fprint(c.env.Stdout, "\n\n")
		err = c.online(eng, usersync.OnlineRequest{Op: string(localstore.OpPhoneVerified), Phone: phone, OTP: code})
		if err == nil {
			fmt.Fprintf(c.env.Stdout, "The phone number %s is successfully registered. We will send the OTP via SMS to this registered phone number when requested.\n", phone)
			return nil
		}
		if account.KindOf(err) != account.KindOTP || i >= otp.SMSMaxFailures {
			return err
		}
		fmt.Fprintln(c.env.Stdout, err.Error())
	}
}
