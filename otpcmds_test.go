package main

// Custom testscript commands for the one-time code flows (mfa, phone, reset,
// token): they drive a command that asks questions whose answers only exist
// once it has printed something (the new TOTP secret, the SMS code).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/airt/airt/otp"
)

// interactEnv are the variables handed to a program run by interact.
var interactEnv = []string{
	"PATH", "HOME", "XDG_DATA_HOME", "WORK", "TMPDIR", "NO_COLOR", "COLUMNS",
	"DBUS_SESSION_BUS_ADDRESS", "GOCOVERDIR", "SYSTEMROOT",
	"AIRT_NOW", "AIRT_KEYRING", "AIRT_SMS_COMMAND", "AIRT_SERVICE_TOKEN",
	"AIRT_SERVICE_USERNAME", "AIRT_SERVICE_PASSWORD", "AIRT_DB", "AIRT_LOCK_TIMEOUT",
	"AIRT_TEST_TTY",
}

var (
	secretLine = regexp.MustCompile(`(?m)^secret: ([A-Z2-7]+)$`)
	smsCode    = regexp.MustCompile(`\b[0-9]{6}\b`)
	tokenRE    = regexp.MustCompile(`\{(totp|sms)(:[+-]?[0-9]+)?\}`)
)

// promptWatcher collects a program's stdout and signals when it stops at a
// prompt (the output so far ends with ": ").
type promptWatcher struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	answered int
	ch       chan struct{}
}

func (w *promptWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	at := w.buf.Len() > w.answered && bytes.HasSuffix(w.buf.Bytes(), []byte(": "))
	w.mu.Unlock()
	if at {
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// next returns the output so far if it ends at a prompt not yet answered.
func (w *promptWatcher) next() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() <= w.answered || !bytes.HasSuffix(w.buf.Bytes(), []byte(": ")) {
		return "", false
	}
	w.answered = w.buf.Len()
	return w.buf.String(), true
}

// cmdInteract: interact [-exit=N] INPUT PROG ARGS... runs PROG and answers
// each prompt (stdout ending in ": ") with the next line of the file INPUT,
// written only once the prompt is shown; after the last line stdin is
// closed. In a line, {totp} is the TOTP code at AIRT_NOW of the last
// "secret: X" printed so far (else $SECRET), {totp:-60} the code 60 s
// earlier, {sms} the last six-digit code in $WORK/sms.txt at that moment.
// Afterwards $SECRET is the last secret printed. stdout and stderr are
// checked as with exec; -exit=N wants exactly that exit status.
func cmdInteract(ts *testscript.TestScript, neg bool, args []string) {
	wantExit := -1
	if len(args) > 0 && strings.HasPrefix(args[0], "-exit=") {
		n, err := strconv.Atoi(strings.TrimPrefix(args[0], "-exit="))
		ts.Check(err)
		wantExit, args = n, args[1:]
	}
	if len(args) < 2 {
		ts.Fatalf("usage: interact [-exit=N] INPUT PROG [ARGS...]")
	}
	input, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	lines := strings.Split(strings.TrimSuffix(string(input), "\n"), "\n")
	if len(input) == 0 {
		lines = nil
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range interactEnv {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	w := &promptWatcher{ch: make(chan struct{}, 1)}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	stdin, err := cmd.StdinPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if len(lines) == 0 {
		stdin.Close()
	}
	var runErr error
loop:
	for {
		select {
		case runErr = <-done:
			break loop
		case <-w.ch:
			out, ok := w.next()
			if !ok || len(lines) == 0 {
				continue
			}
			line := expandAnswer(ts, lines[0], out)
			lines = lines[1:]
			io.WriteString(stdin, line+"\n")
			if len(lines) == 0 {
				stdin.Close()
			}
		}
	}
	w.mu.Lock()
	out := w.buf.String()
	w.mu.Unlock()
	fmt.Fprint(ts.Stdout(), out)
	fmt.Fprint(ts.Stderr(), stderr.String())
	if m := secretLine.FindAllStringSubmatch(out, -1); m != nil {
		ts.Setenv("SECRET", m[len(m)-1][1])
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(runErr, &ee) {
		code = ee.ExitCode()
	} else if runErr != nil {
		ts.Fatalf("run %s: %v", args[1], runErr)
	}
	switch {
	case wantExit >= 0 && code != wantExit:
		ts.Fatalf("%s exited %d, want %d", args[1], code, wantExit)
	case wantExit < 0 && neg && code == 0:
		ts.Fatalf("unexpected success of %s", args[1])
	case wantExit < 0 && !neg && code != 0:
		ts.Fatalf("%s exited %d", args[1], code)
	}
}

// expandAnswer fills in the {totp} and {sms} tokens of an answer line.
func expandAnswer(ts *testscript.TestScript, line, out string) string {
	return tokenRE.ReplaceAllStringFunc(line, func(tok string) string {
		m := tokenRE.FindStringSubmatch(tok)
		switch m[1] {
		case "sms":
			return lastSMSCode(ts)
		default:
			secret := ts.Getenv("SECRET")
			if s := secretLine.FindAllStringSubmatch(out, -1); s != nil {
				secret = s[len(s)-1][1]
			}
			at, err := time.Parse(time.RFC3339, ts.Getenv("AIRT_NOW"))
			ts.Check(err)
			if m[2] != "" {
				off, err := strconv.Atoi(m[2][1:])
				ts.Check(err)
				at = at.Add(time.Duration(off) * time.Second)
			}
			code, err := otp.Code(secret, at)
			ts.Check(err)
			return code
		}
	})
}

// lastSMSCode returns the last six-digit code in $WORK/sms.txt.
func lastSMSCode(ts *testscript.TestScript) string {
	data, err := os.ReadFile(ts.MkAbs("sms.txt"))
	ts.Check(err)
	codes := smsCode.FindAllString(string(data), -1)
	if codes == nil {
		ts.Fatalf("no SMS code in sms.txt")
	}
	return codes[len(codes)-1]
}

// cmdSMSCode: smscode prints the last six-digit code in $WORK/sms.txt (the
// file the test's AIRT_SMS_COMMAND appends to) and sets $SMSCODE.
func cmdSMSCode(ts *testscript.TestScript, neg bool, args []string) {
	code := lastSMSCode(ts)
	ts.Setenv("SMSCODE", code)
	fmt.Fprintln(ts.Stdout(), code)
}
