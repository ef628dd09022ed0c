package commands

import (
	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/bulk"
	"github.com/airt/airt/localstore"
)

// userExport is `airt user export`.
type userExport struct {
	c      *cli
	output string
}

func registerUserExport(c *cli, user *kingpin.CmdClause) {
	e := &userExport{c: c}
	cmd := user.Command("export", "Write every user, enabled and disabled, to stdout, for spreadsheets, scripts and 'airt user import'.\n\nNo secret is written (no password hash, no MFA secret). The columns are those of 'airt user ls'; created is exact (RFC 3339 with nanoseconds) and uuid and created are kept by an import into another store. CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or CR, such as an E.164 phone number) get a leading apostrophe, which import removes.\n\nIt needs a super user.\n\nExample: airt user export > users.csv")
	cmd.Flag("output", "csv (the default), json (an array) or jsonl (JSON Lines, one user per line).").
		Default("csv").PlaceHolder("csv|json|jsonl").EnumVar(&e.output, "csv", "json", "jsonl")
	c.action(cmd, e.run)
}

func (e *userExport) run() error {
	c := e.c
	s, err := c.openStore()
	if err != nil {
		return err
	}
	return s.View(func(tx *localstore.Tx) error {
		caller, err := c.caller(tx)
		if err != nil {
			return err
		}
		if err := account.CheckActive(caller); err != nil {
			return err
		}
		if err := account.RequireSuperUser(caller); err != nil {
			return err
		}
		n, err := bulk.Export(c.env.Stdout, tx, e.output)
		c.debugf("exported %d users", n)
		return err
	})
}
