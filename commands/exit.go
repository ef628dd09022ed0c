package commands

import (
	"errors"
	"fmt"

	"github.com/airt/airt/account"
	"github.com/airt/airt/render"
)

// Exit codes, documented in the README and in `airt --help`.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitSyncPartial = 3 // sync finished, but changes were rejected or are in conflict
	ExitAuth        = 4 // not logged in, or credentials refused
	ExitForbidden   = 5 // permission denied
	ExitUnreachable = 6 // the server could not be reached
)

const exitCodeHelp = `Exit codes: 0 success; 1 error; 2 usage error; 3 sync finished but some changes were rejected or are in conflict; 4 not logged in or credentials refused; 5 permission denied; 6 server unreachable.`

// exitError is an error that already printed what it had to say and only
// carries an exit code (interactive flows that print the original's texts).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a usage mistake found after parsing (flags that cannot go
// together): exit 2, as kingpin's own usage errors.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// report prints err (if any) to stderr as the original did and returns the
// exit code for it. It is the one place errors become exit codes.
func (c *cli) report(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.env.Stderr, "Error: %s\n", ue.msg)
		return ExitUsage
	}
	var fe *render.FormatError
	if errors.As(err, &fe) {
		// The original printed -f errors without the "Error: " prefix,
		// through click, which dropped ANSI sequences off a terminal.
		st := render.Stream{Terminal: c.env.StderrTerminal, NoColor: c.env.Getenv("NO_COLOR") != ""}
		fmt.Fprint(c.env.Stderr, st.Text(fe.Error()+"\n"))
		return ExitError
	}
	c.printError(err)
	switch account.KindOf(err) {
	case account.KindUnauthenticated:
		return ExitAuth
	case account.KindForbidden:
		return ExitForbidden
	case account.KindUnreachable:
		return ExitUnreachable
	}
	return ExitError
}

// printError prints err as "Error: <text>" and its hint line, on stderr.
func (c *cli) printError(err error) {
	fmt.Fprintf(c.env.Stderr, "Error: %s\n", err)
	var ae *account.Error
	if errors.As(err, &ae) && ae.Hint != "" {
		fmt.Fprintf(c.env.Stderr, "Hint: %s\n", ae.Hint)
	}
}
