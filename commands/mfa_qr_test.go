package commands

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/internal/qrtest"
)

// qrTestEnv is an Env for Run over a store in dir, with a frozen clock.
func qrTestEnv(dir, stdin string, vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	all := map[string]string{"AIRT_KEYRING": "file", "HOME": dir, "XDG_DATA_HOME": dir}
	for k, v := range vars {
		all[k] = v
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return all[k] },
		Now:    func() time.Time { return now },
	}, &out, &errb
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// qrBlock returns the QR code printed by `mfa enable` (the lines between the
// heading and the first empty line) and the URI printed as text.
func qrBlock(t *testing.T, out string) (qr []string, uri string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	start := -1
	for i, l := range lines {
		switch {
		case l == "Please open an authenticator app and scan the QR code below:":
			start = i + 1
		case start >= 0 && i >= start && l == "" && qr == nil:
			qr = lines[start:i]
		case strings.HasPrefix(l, "uri: "):
			uri = strings.TrimPrefix(l, "uri: ")
		}
	}
	if qr == nil || uri == "" {
		t.Fatalf("no QR block or uri in:\n%s", out)
	}
	return qr, uri
}

// decodeQR decodes the QR block printed by mfa enable (see internal/qrtest).
func decodeQR(t *testing.T, lines []string) string {
	t.Helper()
	got, err := qrtest.Decode(lines, 4)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestMFAEnableQRDecodes runs `airt user mfa enable` and checks that the QR
// code it prints decodes to the otpauth URI it prints, plain (NO_COLOR) and
// black on white (a terminal without NO_COLOR).
func TestMFAEnableQRDecodes(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, vars map[string]string, terminal bool, args ...string) (int, string, string) {
		env, out, errb := qrTestEnv(dir, stdin, vars)
		env.StdoutTerminal = terminal
		code := Run(append([]string{"--db", filepath.Join(dir, "airt.db")}, args...), env)
		return code, out.String(), errb.String()
	}
	if code, _, errs := run("", nil, false, "user", "create", "-un", "admin", "-fn", "Ada", "-ln", "Admin",
		"-e", "admin@example.com", "-p", "admin password", "-st", "large", "-su"); code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	if code, _, errs := run("", nil, false, "token", "-u", "admin", "-p", "admin password"); code != 0 {
		t.Fatalf("token: exit %d: %s", code, errs)
	}
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		terminal bool
		ansi     bool
	}{
		{"plain, NO_COLOR", map[string]string{"NO_COLOR": "1"}, true, false},
		{"plain, not a terminal", nil, false, false},
		{"black on white on a terminal", nil, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No code on stdin: the command prints the QR code, then stops
			// at the prompt without activating anything.
			code, out, _ := run("", tc.vars, tc.terminal, "user", "mfa", "enable")
			if code != ExitError {
				t.Errorf("exit %d, want %d (no code given)", code, ExitError)
			}
			qr, uri := qrBlock(t, out)
			if !strings.HasPrefix(uri, "otpauth://totp/airt:admin@example.com?") {
				t.Errorf("uri = %q", uri)
			}
			hasANSI := strings.Contains(strings.Join(qr, ""), "\x1b[30;47m")
			if hasANSI != tc.ansi {
				t.Errorf("ANSI colours = %v, want %v", hasANSI, tc.ansi)
			}
			for i := range qr {
				qr[i] = ansiEscape.ReplaceAllString(qr[i], "")
			}
			if got := decodeQR(t, qr); got != uri {
				t.Errorf("QR decodes to %q, printed uri is %q", got, uri)
			}
		})
	}
}
