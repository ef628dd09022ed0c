package commands

import (
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// userCreate is `airt user create`.
type userCreate struct {
	c                                              *cli
	username, firstName, lastName, email, password string
	subscription, phone, otp                       string
	superUser, passwordStdin                       bool
	out                                            outputFlags
}

func registerUserCreate(c *cli, user *kingpin.CmdClause) {
	u := &userCreate{c: c}
	cmd := user.Command("create", "Create a new user.\n\nThe very first user of an empty store is created without a login and must be a super user (-su).\n\nThe password is asked for twice, without echo, on a terminal; a script passes it on standard input with --password-stdin (or with -p, which other users can see in ps).\n\nExample: airt user create -un alice -fn Alice -ln Liddell -e alice@example.com -st small")
	cmd.Flag("username", "The username for the new user.").Required().PlaceHolder("TEXT").StringVar(&u.username)
	cmd.Flag("first_name", "The first name for the new user.").Required().PlaceHolder("TEXT").StringVar(&u.firstName)
	cmd.Flag("last_name", "The last name for the new user.").Required().PlaceHolder("TEXT").StringVar(&u.lastName)
	cmd.Flag("email", "The email for the new user.").Short('e').Required().PlaceHolder("TEXT").StringVar(&u.email)
	cmd.Flag("password", "The password for the new user (at least 8 characters). Visible to other users in ps: prefer the prompt or --password-stdin.").Short('p').PlaceHolder("TEXT").StringVar(&u.password)
	cmd.Flag("password-stdin", "Read the password from the first line of standard input.").BoolVar(&u.passwordStdin)
	cmd.Flag("subscription_type", "User subscription type: small, medium or large.").Required().PlaceHolder("TEXT").StringVar(&u.subscription)
	cmd.Flag("super_user", "Give the new user super user privileges.").BoolVar(&u.superUser)
	cmd.Flag("phone_number", "Phone number with its country code, e.g. 440123456789, +44 0123456789 or (+44) 012 345 6789; stored as E.164.").PlaceHolder("TEXT").StringVar(&u.phone)
	otpFlag(cmd, &u.otp)
	u.out.register(cmd, "Output user uuid only.")
	c.action(cmd, u.run)
}

func (u *userCreate) run() error {
	c := u.c
	c.mayCreateStore = true // the first super user bootstraps a new store
	if err := u.out.check(); err != nil {
		return err
	}
	// Validate everything and hash the password before the store is opened,
	// so the file lock is held for milliseconds, not for the hashing.
	profile := account.User{Username: u.username, FirstName: u.firstName, LastName: u.lastName,
		Email: u.email, SubscriptionType: u.subscription}
	if err := localstore.ValidateProfile(&profile); err != nil {
		return err
	}
	if u.phone != "" {
		p, err := account.NormalizePhone(u.phone)
		if err != nil {
			return err
		}
		u.phone = p
	}
	var err error
	u.password, err = c.secret(secretSpec{what: "password", flag: "-p", value: u.password, stdin: u.passwordStdin,
		prompt: "Password for " + u.username + ": ", confirm: true})
	if err != nil {
		return err
	}
	if err := account.ValidatePassword(u.password); err != nil {
		return err
	}
	start := time.Now()
	hash, err := hashPassword(u.password)
	if err != nil {
		return err
	}
	c.debugf("password hashed in %s", time.Since(start).Round(time.Millisecond))
	m := &localstore.Mutation{Op: localstore.OpCreate, Target: newUserUUID(u.username), Args: localstore.Args{
		Username: &u.username, Email: &u.email, FirstName: &u.firstName, LastName: &u.lastName,
		SubscriptionType: &u.subscription, SuperUser: localstore.Bool(u.superUser),
		Secrets: localstore.Secrets{PasswordHash: hash},
	}}
	if u.phone != "" {
		m.Args.Phone = &u.phone
	}
	var out []byte
	err = c.updateOTP(u.otp, func(tx *localstore.Tx, code string) error {
		var caller *account.User
		if tx.HasUsers() {
			var err error
			if caller, err = c.caller(tx); err != nil {
				return err
			}
			if err := c.checkCallerOTP(tx, caller, code); err != nil {
				return err
			}
		} else {
			c.debugf("empty store: bootstrapping the first super user")
		}
		created, err := tx.Change(caller, m)
		if err != nil {
			return err
		}
		out, err = c.renderUsers(&u.out, []account.User{*created}, true)
		return err
	})
	if err != nil {
		return err
	}
	_, err = c.env.Stdout.Write(out)
	return err
}

// hashPassword hashes a new password: user create, user import (its Hash) and
// reset-password all hash through this one function.
var hashPassword = account.HashPassword
