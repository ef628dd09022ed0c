package commands

import (
	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// userUpdate is `airt user update`.
type userUpdate struct {
	c                                    *cli
	user                                 string
	username, firstName, lastName, email string
	otp                                  string
	out                                  outputFlags
	set                                  map[string]bool
}

func registerUserUpdate(c *cli, user *kingpin.CmdClause) {
	u := &userUpdate{c: c, set: map[string]bool{}}
	cmd := user.Command("update", "Update existing user details.\n\nPlease do not pass the optional user option unless you are a super user. Only a super user can update details for other users.")
	cmd.Flag("user", "Account user_uuid/username to update. If not passed, the logged-in user is updated.").PlaceHolder("TEXT").StringVar(&u.user)
	track := func(name string) func(*kingpin.ParseContext) error {
		return func(*kingpin.ParseContext) error { u.set[name] = true; return nil }
	}
	cmd.Flag("username", "New username for the user.").PlaceHolder("TEXT").Action(track("username")).StringVar(&u.username)
	cmd.Flag("first_name", "New first name for the user.").PlaceHolder("TEXT").Action(track("first_name")).StringVar(&u.firstName)
	cmd.Flag("last_name", "New last name for the user.").PlaceHolder("TEXT").Action(track("last_name")).StringVar(&u.lastName)
	cmd.Flag("email", "New email for the user.").Short('e').PlaceHolder("TEXT").Action(track("email")).StringVar(&u.email)
	otpFlag(cmd, &u.otp)
	u.out.register(cmd, "Output user uuid only.")
	c.action(cmd, u.run)
}

func (u *userUpdate) run() error {
	c := u.c
	if err := u.out.check(); err != nil {
		return err
	}
	var args localstore.Args
	if u.set["username"] {
		args.Username = &u.username
	}
	if u.set["first_name"] {
		args.FirstName = &u.firstName
	}
	if u.set["last_name"] {
		args.LastName = &u.lastName
	}
	if u.set["email"] {
		args.Email = &u.email
	}
	var out []byte
	err := c.updateOTP(u.otp, func(tx *localstore.Tx, code string) error {
		var updated *account.User
		caller, err := c.caller(tx)
		if err != nil {
			return err
		}
		target, err := resolveTarget(tx, caller, u.user)
		if err != nil {
			return err
		}
		if err := c.checkCallerOTP(tx, caller, code); err != nil {
			return err
		}
		if len(u.set) == 0 {
			// Nothing to change: print the user as it is, queue nothing.
			updated = target
		} else if updated, err = tx.Change(caller, &localstore.Mutation{Op: localstore.OpUpdate,
			Target: target.UUID, BaseVersion: target.Version, Args: args}); err != nil {
			return err
		}
		out, err = c.renderUsers(&u.out, []account.User{*updated}, true)
		return err
	})
	if err != nil {
		return err
	}
	_, err = c.env.Stdout.Write(out)
	return err
}

// userSetDisabled is `airt user disable` and `airt user enable`.
type userSetDisabled struct {
	c     *cli
	op    localstore.Op
	users []string
	otp   string
	out   outputFlags
}

func registerUserDisableEnable(c *cli, user *kingpin.CmdClause) {
	for _, d := range []struct {
		name, help, arg string
		op              localstore.Op
	}{
		{"disable", "Disable users.\n\nAll the users named are checked first; then all of them are disabled in one transaction, or none is. A disabled user cannot log in and their sessions stop working. Nobody may disable the last enabled super user.",
			"user_uuid/username to disable. To disable several users, pass them separated by spaces.", localstore.OpDisable},
		{"enable", "Enable disabled users.\n\nAll the users named are checked first; then all of them are enabled in one transaction, or none is.",
			"user_uuid/username to enable. To enable several users, pass them separated by spaces.", localstore.OpEnable},
	} {
		x := &userSetDisabled{c: c, op: d.op}
		cmd := user.Command(d.name, d.help)
		cmd.Arg("users", d.arg).Required().StringsVar(&x.users)
		otpFlag(cmd, &x.otp)
		x.out.register(cmd, "Output user uuid only.")
		c.action(cmd, x.run)
	}
}

func (x *userSetDisabled) run() error {
	c := x.c
	if err := x.out.check(); err != nil {
		return err
	}
	var out []byte
	err := c.updateOTP(x.otp, func(tx *localstore.Tx, code string) error {
		var changed []account.User
		caller, err := c.caller(tx)
		if err != nil {
			return err
		}
		if !caller.SuperUser {
			// The original looked each user up first, and a non-super
			// user may only look up themselves.
			for _, ref := range x.users {
				if ref != caller.UUID && ref != caller.Username {
					return account.ErrOtherUsersData
				}
			}
		}
		if err := account.RequireSuperUser(caller); err != nil {
			return err
		}
		if err := c.checkCallerOTP(tx, caller, code); err != nil {
			return err
		}
		// With several users, an error names the one it is about (the
		// original's text, which does not, is kept for a single user).
		which := func(ref string, err error) error {
			if len(x.users) == 1 {
				return err
			}
			return account.Errorf(account.KindOf(err), "%s: %s", ref, err).WithHint("nothing was changed")
		}
		seen := map[string]bool{}
		for _, ref := range x.users {
			target, err := tx.Resolve(ref)
			if err != nil {
				return which(ref, err)
			}
			if seen[target.UUID] {
				continue
			}
			seen[target.UUID] = true
			u, err := tx.Change(caller, &localstore.Mutation{Op: x.op, Target: target.UUID, BaseVersion: target.Version})
			if err != nil {
				// One failure rolls back the whole transaction: none changed.
				return which(ref, err)
			}
			changed = append(changed, *u)
		}
		out, err = c.renderUsers(&x.out, changed, true)
		return err
	})
	if err != nil {
		return err
	}
	_, err = c.env.Stdout.Write(out)
	return err
}
