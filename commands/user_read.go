package commands

import (
	"fmt"
	"math"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// userDetails is `airt user details`.
type userDetails struct {
	c    *cli
	user string
	out  outputFlags
}

func registerUserDetails(c *cli, user *kingpin.CmdClause) {
	d := &userDetails{c: c}
	cmd := user.Command("details", "Get user details.\n\nPlease do not pass the optional 'user' option unless you are a super user. Only a super user can view details for other users.")
	cmd.Flag("user", "Account user_uuid/username to get details. If not passed, the logged-in user's details are returned.").
		Short('u').PlaceHolder("TEXT").StringVar(&d.user)
	d.out.register(cmd, "Output user uuid only.")
	c.action(cmd, d.run)
}

func (d *userDetails) run() error {
	c := d.c
	if err := d.out.check(); err != nil {
		return err
	}
	s, err := c.openStore()
	if err != nil {
		return err
	}
	var target *account.User
	err = s.View(func(tx *localstore.Tx) error {
		caller, err := c.caller(tx)
		if err != nil {
			return err
		}
		target, err = resolveTarget(tx, caller, d.user)
		return err
	})
	if err != nil {
		return err
	}
	return c.printUsers(&d.out, []account.User{*target}, false)
}

// resolveTarget finds the user named by ref (the caller when ref is empty)
// and checks that caller may access them. The permission check comes first,
// as in the original, so a non-super user cannot probe which names exist.
func resolveTarget(tx *localstore.Tx, caller *account.User, ref string) (*account.User, error) {
	if ref == "" {
		return caller, nil
	}
	if !caller.SuperUser {
		u, err := tx.Resolve(ref)
		if err != nil || u.UUID != caller.UUID {
			return nil, account.ErrOtherUsersData
		}
		return u, nil
	}
	return tx.Resolve(ref)
}

// userLs is `airt user ls`.
type userLs struct {
	c             *cli
	offset, limit int
	disabled, all bool
	out           outputFlags
}

func registerUserLs(c *cli, user *kingpin.CmdClause) {
	l := &userLs{c: c}
	cmd := user.Command("ls", "Return the list of users, oldest first (creation time, then username), so --offset/--limit pages never skip or repeat a user.\n\n"+
		"At most 100 users by default: on a terminal, a note on stderr says when more exist and how to see them (the next page with -o, or --all).")
	cmd.Flag("offset", "The number of users to skip at the beginning.").Short('o').Default("0").SetValue(countValue{&l.offset, "offset"})
	cmd.Flag("limit", "The maximum number of users to return (0 returns none; --all for every user).").Short('l').Default("100").SetValue(countValue{&l.limit, "limit"})
	cmd.Flag("all", "Return every user (after --offset), however many.").BoolVar(&l.all)
	cmd.Flag("disabled", "List only the disabled users (by default only the enabled ones).").BoolVar(&l.disabled)
	l.out.register(cmd, "Output only user uuids, one per line.")
	c.action(cmd, l.run)
}

func (l *userLs) run() error {
	c := l.c
	if err := l.out.check(); err != nil {
		return err
	}
	s, err := c.openStore()
	if err != nil {
		return err
	}
	var users []account.User
	err = s.View(func(tx *localstore.Tx) error {
		caller, err := c.caller(tx)
		if err != nil {
			return err
		}
		if err := account.RequireSuperUser(caller); err != nil {
			return err
		}
		limit := l.limit + 1 // one more tells whether more exist
		if l.all {
			limit = math.MaxInt
		}
		users, err = tx.ListUsers(l.disabled, l.offset, limit)
		return err
	})
	if err != nil {
		return err
	}
	more := !l.all && len(users) > l.limit
	if more {
		users = users[:l.limit]
	}
	if err := c.printUsers(&l.out, users, true); err != nil {
		return err
	}
	if more && c.env.StdoutTerminal && l.limit > 0 {
		// Off a terminal the output is the page asked for, nothing else: a
		// script pages with -o/-l itself.
		next := fmt.Sprintf("airt user ls -o %d", l.offset+len(users))
		if l.limit != 100 {
			next += fmt.Sprintf(" -l %d", l.limit)
		}
		fmt.Fprintf(c.env.Stderr, "Showing users %d to %d; more exist. Next page: '%s'; every user: 'airt user ls --all'\n",
			l.offset+1, l.offset+len(users), next)
	}
	return nil
}
