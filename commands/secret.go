package commands

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// A password reaches airt in one of four ways, in this order:
//
//  1. its flag (-p, --new-password): kept for scripts, but visible in ps and
//     in the shell's history;
//  2. an environment variable where the command has one (AIRT_SERVICE_PASSWORD
//     for token);
//  3. --password-stdin: the first line of standard input (docker login's
//     convention), for scripts and secret managers;
//  4. a prompt without echo, only when standard input is a terminal; a
//     password being set is asked twice.
//
// With none of them and no terminal to ask on, the command line is
// incomplete: a usage error (exit 2), not a failed login.

// secretSpec describes one password a command needs.
type secretSpec struct {
	// what names it in messages: "password", "new password".
	what string
	// flag is its flag's spelling for messages ("-p", "--new-password").
	flag string
	// value is the flag's value; env the variable read when it is empty
	// ("" for none).
	value, env string
	// stdin is set by --password-stdin.
	stdin bool
	// prompt is the terminal prompt; confirm asks again and compares.
	prompt  string
	confirm bool
	// promptOut is where the prompt goes (stderr unless the command keeps
	// the original's prompt on stdout).
	promptOut io.Writer
}

// secret returns the password that spec describes.
func (c *cli) secret(spec secretSpec) (string, error) {
	if spec.stdin && spec.value != "" {
		return "", usageError{fmt.Sprintf("%s and --password-stdin cannot go together: give the %s one way", spec.flag, spec.what)}
	}
	if spec.value != "" {
		return spec.value, nil
	}
	if spec.stdin {
		line, err := c.readLine()
		if errors.Is(err, errNoAnswer) {
			return "", usageError{fmt.Sprintf("--password-stdin: standard input is empty; pipe the %s in, such as: printf '%%s\\n' \"$SECRET\" | airt …", spec.what)}
		}
		if err != nil {
			return "", err
		}
		if line == "" {
			return "", usageError{fmt.Sprintf("--password-stdin: the first line of standard input is empty; it must hold the %s", spec.what)}
		}
		return line, nil
	}
	if spec.env != "" {
		if v := c.env.Getenv(spec.env); v != "" {
			return v, nil
		}
	}
	if !c.env.StdinTerminal {
		ways := spec.flag + " or --password-stdin"
		if spec.env != "" {
			ways = "--password-stdin, " + spec.env + " or " + spec.flag
		}
		return "", usageError{fmt.Sprintf("no %s given and standard input is not a terminal to ask on: pass %s", spec.what, ways)}
	}
	out := spec.promptOut
	if out == nil {
		out = c.env.Stderr
	}
	for {
		p, err := c.readHidden(out, spec.prompt)
		if err != nil {
			return "", err
		}
		if !spec.confirm {
			return p, nil
		}
		again, err := c.readHidden(out, "Repeat for confirmation: ")
		if err != nil {
			return "", err
		}
		if p == again {
			return p, nil
		}
		fmt.Fprintln(out, "Error: The two entered values do not match.")
	}
}

// readHidden prints text to out and reads a non-empty answer without echo
// on a terminal (env.ReadPassword), or a plain line under the test hook.
func (c *cli) readHidden(out io.Writer, text string) (string, error) {
	c.close() // never hold the store's lock while waiting for a person
	for {
		fmt.Fprint(out, text)
		var a string
		var err error
		if c.env.ReadPassword != nil {
			a, err = c.env.ReadPassword()
			fmt.Fprintln(out) // the terminal did not echo the Enter
			if errors.Is(err, io.EOF) {
				err = errNoAnswer
			}
		} else {
			a, err = c.readLine()
		}
		if err != nil {
			return "", err
		}
		if a = strings.TrimRight(a, "\r\n"); a != "" {
			return a, nil
		}
	}
}
