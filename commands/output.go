package commands

import (
	"bytes"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/render"
)

// outputFlags are the output options of the table commands (README "Output").
type outputFlags struct {
	format string
	quiet  bool
	output string
	parsed *render.Format
}

func (o *outputFlags) register(cmd *kingpin.CmdClause, quietHelp string) {
	cmd.Flag("format", "Format output and show only the given column(s) values: a dict literal such as \"{'username': '{}', 'uuid': '{}'}\" or a column list such as username,uuid.").
		Short('f').PlaceHolder("TEXT").StringVar(&o.format)
	cmd.Flag("quiet", quietHelp).Short('q').BoolVar(&o.quiet)
	cmd.Flag("output", "Output as a table (default), json or csv; json and csv use the 12 column names as fields.").
		PlaceHolder("table|json|csv").EnumVar(&o.output, "table", "json", "csv")
}

// check parses -f; called before any change so a bad -f changes nothing.
func (o *outputFlags) check() error {
	if (o.output == "json" || o.output == "csv") && (o.quiet || o.format != "") {
		return usageError{"--output " + o.output + " cannot be combined with -q/--quiet or -f/--format: choose one output mode"}
	}
	if o.format == "" {
		return nil
	}
	f, err := render.ParseFormat(o.format)
	if err != nil {
		return err
	}
	o.parsed = f
	return nil
}

// printUsers renders users; humanize selects the humanized `created`.
func (c *cli) printUsers(o *outputFlags, users []account.User, humanize bool) error {
	return render.Users(c.env.Stdout, users, c.renderOptions(o, humanize))
}

// renderUsers renders users into memory. The changing commands call it
// inside their transaction, so that a -f template that fails only on the
// changed values (a spec on a missing phone number, an index past the end
// of a name) rolls the change back instead of failing after it.
func (c *cli) renderUsers(o *outputFlags, users []account.User, humanize bool) ([]byte, error) {
	var b bytes.Buffer
	if err := render.Users(&b, users, c.renderOptions(o, humanize)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (c *cli) renderOptions(o *outputFlags, humanize bool) render.Options {
	return render.Options{
		Format: o.parsed, Quiet: o.quiet, Output: o.output,
		Humanize: humanize, Now: c.now(),
		Stream: render.Stream{Terminal: c.env.StdoutTerminal, NoColor: c.env.Getenv("NO_COLOR") != ""},
	}
}
