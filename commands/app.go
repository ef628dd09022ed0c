// Package commands is airt's command line: one file per command group, each
// command a struct whose fields are its flags. Commands parse, check, call
// localstore / otp / sync and hand results to render; errors come back to
// Run, the one place that prints them and picks the exit code (exit.go).
package commands

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"golang.org/x/term"

	"github.com/airt/airt/localstore"
)

// Env is everything a command may use from the outside world. Tests build
// one; OSEnv builds the real one.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Now is the clock.
	Now func() time.Time
	// StdinTerminal / StdoutTerminal report whether those streams are
	// terminals (prompts only on a terminal; no escape codes off one).
	StdinTerminal, StdoutTerminal, StderrTerminal bool
	// ReadPassword reads a line from the terminal without echo; nil reads a
	// plain line from Stdin (tests).
	ReadPassword func() (string, error)
	// Width is the width of the terminal on stderr in columns (0: unknown).
	Width func() int
}

// newUserUUID gives a new user's uuid (localstore.NewUUID; see TestHooks).
var newUserUUID = func(string) string { return localstore.NewUUID() }

// TestUserUUID is the uuid the test binary gives a new user: a version-4
// shaped uuid derived from the lower-cased username, so golden files are
// stable. Only the test binary uses it (through TestHooks, and the store
// fixture of main_test.go).
func TestUserUUID(username string) string {
	h := sha256.Sum256([]byte(strings.ToLower(username)))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// TestHooks is set only by the test binary (main_test.go). It lets the
// environment freeze the clock (AIRT_NOW) and makes new uuids derive from
// the username; the
// shipped binary never reads those variables.
var TestHooks bool

// OSEnv returns the Env of the running process.
func OSEnv() *Env {
	env := &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv:         os.Getenv,
		Now:            time.Now,
		StdinTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StdoutTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		StderrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		ReadPassword: func() (string, error) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			return string(b), err
		},
		Width: func() int {
			if w, _, err := term.GetSize(int(os.Stderr.Fd())); err == nil && w > 0 {
				return w
			}
			n, _ := strconv.Atoi(os.Getenv("COLUMNS"))
			return n
		},
	}
	if TestHooks {
		// Golden files need stable uuids: derive them from the username.
		newUserUUID = TestUserUUID
		if at := os.Getenv("AIRT_NOW"); at != "" {
			if t, err := time.Parse(time.RFC3339, at); err == nil {
				env.Now = func() time.Time { return t }
			}
		}
		// AIRT_TEST_TTY=1 (or "stdin") makes the test binary treat stdin as
		// a terminal (prompts instead of "OTP is required"), reading hidden
		// answers as plain lines, so testscript can drive the interactive
		// flows; "stdout" and "stderr" (comma-separated) do the same for
		// those streams (the paging note of user ls, the progress output,
		// COLUMNS wide).
		for _, stream := range strings.Split(os.Getenv("AIRT_TEST_TTY"), ",") {
			switch stream {
			case "1", "stdin":
				env.StdinTerminal = true
				env.ReadPassword = nil
			case "stdout":
				env.StdoutTerminal = true
			case "stderr":
				env.StderrTerminal = true
				env.Width = func() int { n, _ := strconv.Atoi(os.Getenv("COLUMNS")); return n }
			}
		}
	}
	return env
}

// legacyFlags are the original's multi-letter single-dash options. kingpin
// takes one-rune short flags only, so these exact tokens (and -xx=value) are
// rewritten to their long form before parsing, up to a "--".
var legacyFlags = map[string]string{
	"-un": "--username", "-fn": "--first_name", "-ln": "--last_name",
	"-st": "--subscription_type", "-su": "--super_user", "-ph": "--phone_number",
	"-np": "--new-password",
}

func rewriteLegacy(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, val, hasVal := strings.Cut(a, "=")
		if long, ok := legacyFlags[name]; ok {
			if hasVal {
				a = long + "=" + val
			} else {
				a = long
			}
		}
		out = append(out, a)
	}
	return out
}

// exitCode carries kingpin's terminate() out of Parse (help, --version).
type exitCode int

// Run runs airt with args (without the program name) and returns the exit
// code. It never calls os.Exit.
func Run(args []string, env *Env) (code int) {
	kingpin.EnableFileExpansion = false
	c := newCLI(env)
	if len(args) > 0 && args[0] == completeCommand {
		c.complete(args[1:], env.Stdout)
		return ExitOK
	}
	app := c.app
	defer func() {
		if r := recover(); r != nil {
			if ec, ok := r.(exitCode); ok {
				code = int(ec)
				return
			}
			panic(r)
		}
	}()
	cmd, err := app.Parse(rewriteLegacy(args))
	if err != nil {
		return c.usageError(args, err)
	}
	action, ok := c.actions[cmd]
	if !ok {
		app.Usage(args)
		return 0
	}
	err = action()
	c.close()
	if err != nil {
		c.discardNewStore()
	}
	return c.report(err)
}

// requiredFlags matches kingpin's missing-flags error, whose list comes out
// of a map in random order.
var requiredFlags = regexp.MustCompile(`^required flag\(s\) (.*) not provided$`)

// expectedArgument matches kingpin's error for a flag without its value,
// also given when the value starts with "-" (--limit -1).
var expectedArgument = regexp.MustCompile(`^expected argument for flag '(--?[^']+)'$`)

// missingValue words kingpin's "expected argument for flag" for the flag
// spelled as given (--limit, -l): a value that looks like a flag ("-1") is
// judged as the value it was meant to be.
func (c *cli) missingValue(args []string, spelled string) string {
	var flag *kingpin.FlagModel
	matches := func(f *kingpin.FlagModel) bool {
		return spelled == "--"+f.Name || (f.Short != 0 && spelled == "-"+string(f.Short))
	}
	var find func(cmds []*kingpin.CmdModel)
	find = func(cmds []*kingpin.CmdModel) {
		for _, cmd := range cmds {
			for _, f := range cmd.Flags {
				if flag == nil && matches(f) {
					flag = f
				}
			}
			find(cmd.Commands)
		}
	}
	// The selected command's flags first: -l may mean another flag elsewhere.
	if ctx, _ := c.app.ParseContext(args); ctx != nil && ctx.SelectedCommand != nil {
		find([]*kingpin.CmdModel{ctx.SelectedCommand.Model()})
	}
	model := c.app.Model()
	for _, f := range model.Flags {
		if flag == nil && matches(f) {
			flag = f
		}
	}
	find(model.Commands)
	name := strings.TrimLeft(spelled, "-")
	if flag != nil {
		name = flag.Name
	}
	for i, a := range args {
		if a != spelled || i+1 >= len(args) || !strings.HasPrefix(args[i+1], "-") {
			continue
		}
		value := args[i+1]
		if flag != nil {
			if cv, ok := flag.Value.(countValue); ok {
				return countValue{new(int), cv.flag}.Set(value).Error()
			}
		}
		return fmt.Sprintf("--%s needs a value; %q looks like a flag: to give a value that starts with '-', write --%s=%s", name, value, name, value)
	}
	return fmt.Sprintf("--%s needs a value", name)
}

func (c *cli) usageError(args []string, err error) int {
	msg := err.Error()
	if m := requiredFlags.FindStringSubmatch(msg); m != nil {
		names := strings.Split(m[1], ", ")
		sort.Strings(names)
		msg = "required flag(s) " + strings.Join(names, ", ") + " not provided"
	}
	if m := expectedArgument.FindStringSubmatch(msg); m != nil {
		msg = c.missingValue(rewriteLegacy(args), m[1])
	}
	try := "airt --help"
	ctx, _ := c.app.ParseContext(rewriteLegacy(args))
	if ctx != nil && ctx.SelectedCommand != nil {
		try = "airt " + ctx.SelectedCommand.FullCommand() + " --help"
	}
	// A word that is no command of a group: name the group and suggest its
	// commands, rather than the help of the group's default subcommand
	// ('airt sync st' is not an argument of 'airt sync now').
	if group, word := c.unknownCommand(ctx, args, msg); group != nil {
		path := strings.TrimSpace("airt " + group.FullCommand)
		msg = fmt.Sprintf("%q is not a command of '%s'", word, path)
		if s := suggestCommands(group.Commands, word); len(s) > 0 {
			msg += "; did you mean '" + path + " " + strings.Join(s, "' or '"+path+" ") + "'?"
		}
		try = path + " --help"
	}
	fmt.Fprintf(c.env.Stderr, "Error: %s\n", msg)
	fmt.Fprintf(c.env.Stderr, "Try '%s' for help.\n", try)
	return ExitUsage
}

var (
	unexpectedWord  = regexp.MustCompile(`^unexpected (\S+)$`)
	expectedCommand = regexp.MustCompile(`^expected command but got "([^"]+)"$`)
)

// unknownCommand finds the command group whose subcommand the word in
// kingpin's message was meant to be, if any.
func (c *cli) unknownCommand(ctx *kingpin.ParseContext, args []string, msg string) (*kingpin.CmdModel, string) {
	if m := expectedCommand.FindStringSubmatch(msg); m != nil {
		if ctx == nil || ctx.SelectedCommand == nil {
			return &kingpin.CmdModel{CmdGroupModel: c.app.Model().CmdGroupModel}, m[1]
		}
		return ctx.SelectedCommand.Model(), m[1]
	}
	m := unexpectedWord.FindStringSubmatch(msg)
	if m == nil || strings.HasPrefix(m[1], "-") || ctx == nil || ctx.SelectedCommand == nil {
		return nil, ""
	}
	sel := ctx.SelectedCommand.Model()
	if !sel.Default || len(sel.Args) > 0 {
		return nil, ""
	}
	// The default subcommand (sync now) was chosen without being named:
	// the word was meant for its group.
	for _, a := range args {
		if a == sel.Name {
			return nil, ""
		}
	}
	parent := strings.TrimSuffix(sel.FullCommand, " "+sel.Name)
	var find func([]*kingpin.CmdModel) *kingpin.CmdModel
	find = func(cmds []*kingpin.CmdModel) *kingpin.CmdModel {
		for _, cmd := range cmds {
			if cmd.FullCommand == parent {
				return cmd
			}
			if g := find(cmd.Commands); g != nil {
				return g
			}
		}
		return nil
	}
	if g := find(c.app.Model().Commands); g != nil {
		return g, m[1]
	}
	return nil, ""
}

// suggestCommands lists the visible commands that word may have meant: a
// prefix of theirs, or within two edits.
func suggestCommands(cmds []*kingpin.CmdModel, word string) []string {
	var out []string
	for _, cmd := range cmds {
		if cmd.Hidden {
			continue
		}
		if strings.HasPrefix(cmd.Name, word) || editDistance(cmd.Name, word) <= 2 {
			out = append(out, cmd.Name)
		}
	}
	return out
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
