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
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"golang.org/x/term"

	"github.com/airt/airt/localstore"
)

// Version is the airt version, set at build time with -ldflags.
var Version = "0.1.0-dev"

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
}

// newUserUUID gives a new user's uuid (localstore.NewUUID; see TestHooks).
var newUserUUID = func(string) string { return localstore.NewUUID() }

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
	}
	if TestHooks {
		// Golden files need stable uuids: derive them from the username.
		newUserUUID = func(username string) string {
			h := sha256.Sum256([]byte(strings.ToLower(username)))
			h[6] = h[6]&0x0f | 0x40
			h[8] = h[8]&0x3f | 0x80
			return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
		}
		if at := os.Getenv("AIRT_NOW"); at != "" {
			if t, err := time.Parse(time.RFC3339, at); err == nil {
				env.Now = func() time.Time { return t }
			}
		}
		// AIRT_TEST_TTY=1 makes the test binary treat stdin as a terminal
		// (prompts instead of "OTP is required"), reading hidden answers as
		// plain lines, so testscript can drive the interactive flows.
		if os.Getenv("AIRT_TEST_TTY") == "1" {
			env.StdinTerminal = true
			env.ReadPassword = nil
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
	return c.report(err)
}

// requiredFlags matches kingpin's missing-flags error, whose list comes out
// of a map in random order.
var requiredFlags = regexp.MustCompile(`^required flag\(s\) (.*) not provided$`)

func (c *cli) usageError(args []string, err error) int {
	msg := err.Error()
	if m := requiredFlags.FindStringSubmatch(msg); m != nil {
		names := strings.Split(m[1], ", ")
		sort.Strings(names)
		msg = "required flag(s) " + strings.Join(names, ", ") + " not provided"
	}
	fmt.Fprintf(c.env.Stderr, "Error: %s\n", msg)
	try := "airt --help"
	if ctx, _ := c.app.ParseContext(rewriteLegacy(args)); ctx != nil && ctx.SelectedCommand != nil {
		try = "airt " + ctx.SelectedCommand.FullCommand() + " --help"
	}
	fmt.Fprintf(c.env.Stderr, "Try '%s' for help.\n", try)
	return ExitUsage
}
