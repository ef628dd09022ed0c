package commands

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
)

func testEnv() (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) },
	}, &out, &errb
}

// TestEveryCommandAndFlagHasHelp walks the kingpin model: a command, flag or
// argument without help text fails the build of the help page.
func TestEveryCommandAndFlagHasHelp(t *testing.T) {
	env, _, _ := testEnv()
	c := newCLI(env)
	var walk func(cmds []*kingpin.CmdModel)
	checkFlags := func(where string, flags []*kingpin.FlagModel) {
		for _, f := range flags {
			if !f.Hidden && strings.TrimSpace(f.Help) == "" {
				t.Errorf("%s: flag --%s has no help text", where, f.Name)
			}
		}
	}
	walk = func(cmds []*kingpin.CmdModel) {
		for _, cmd := range cmds {
			if cmd.Hidden {
				continue
			}
			if strings.TrimSpace(cmd.Help) == "" {
				t.Errorf("command %q has no help text", cmd.FullCommand)
			}
			checkFlags(cmd.FullCommand, cmd.Flags)
			for _, a := range cmd.Args {
				if strings.TrimSpace(a.Help) == "" {
					t.Errorf("%s: argument %s has no help text", cmd.FullCommand, a.Name)
				}
			}
			walk(cmd.Commands)
		}
	}
	m := c.app.Model()
	checkFlags("airt", m.Flags)
	walk(m.Commands)
}

func TestRewriteLegacy(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"user", "create", "-un", "alice", "-fn", "A"}, []string{"user", "create", "--username", "alice", "--first_name", "A"}},
		{[]string{"-un=alice", "-st=small", "-su", "-ph", "+44"}, []string{"--username=alice", "--subscription_type=small", "--super_user", "--phone_number", "+44"}},
		{[]string{"-u", "alice", "-ualice"}, []string{"-u", "alice", "-ualice"}},
		{[]string{"reset-password", "-np", "secret"}, []string{"reset-password", "--new-password", "secret"}},
		{[]string{"--", "-un"}, []string{"--", "-un"}},
		{[]string{"--username=-un"}, []string{"--username=-un"}},
		{[]string{"-unalice"}, []string{"-unalice"}},
	} {
		if got := rewriteLegacy(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("rewriteLegacy(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"user", "create", "-un", "alice"},
		{"user", "ls", "-o", "abc"},
		{"user", "details", "--nope"},
	} {
		env, out, errb := testEnv()
		if code := Run(args, env); code != ExitUsage {
			t.Errorf("Run(%q) = %d, want %d (stdout %q, stderr %q)", args, code, ExitUsage, out, errb)
		}
		if !strings.HasPrefix(errb.String(), "Error: ") || !strings.Contains(errb.String(), "--help' for help.") {
			t.Errorf("Run(%q) stderr = %q, want an Error line and a help hint", args, errb)
		}
	}
}

func TestHelpGoesToStdoutAndExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"user", "create", "--help"}, {"--version"}} {
		env, out, errb := testEnv()
		if code := Run(args, env); code != ExitOK {
			t.Errorf("Run(%q) = %d, want 0", args, code)
		}
		if out.Len() == 0 || errb.Len() != 0 {
			t.Errorf("Run(%q): stdout %d bytes, stderr %q; want help on stdout only", args, out.Len(), errb)
		}
	}
}
