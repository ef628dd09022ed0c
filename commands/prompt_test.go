package commands

import (
	"bytes"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader, which
// signals every write.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	select {
	case s.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPromptReleasesStoreLock checks that while `mfa enable` waits for the
// code, another process can open the store (the lock is not held while a
// person types), and that the answer given afterwards still activates MFA.
func TestPromptReleasesStoreLock(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "airt.db")
	run := func(args ...string) {
		env, _, errb := qrTestEnv(dir, "", nil)
		if code := Run(append([]string{"--db", db}, args...), env); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb)
		}
	}
	run("user", "create", "-un", "admin", "-fn", "Ada", "-ln", "Admin", "-e", "admin@example.com", "-p", "admin password", "-st", "large", "-su")
	run("token", "-u", "admin", "-p", "admin password")

	env, _, _ := qrTestEnv(dir, "", nil)
	out := &syncBuffer{wrote: make(chan struct{}, 1)}
	stdinR, stdinW := io.Pipe()
	env.Stdout, env.Stdin = out, stdinR
	done := make(chan int, 1)
	go func() { done <- Run([]string{"--db", db, "user", "mfa", "enable"}, env) }()

	for !strings.HasSuffix(out.String(), totpPrompt) {
		select {
		case <-out.wrote:
		case code := <-done:
			t.Fatalf("mfa enable ended (exit %d) before its prompt:\n%s", code, out)
		}
	}
	// At the prompt: the store opens at once.
	s, err := localstore.Open(db, localstore.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("store locked while mfa enable waits at its prompt: %v", err)
	}
	s.Close()

	secret := regexp.MustCompile(`(?m)^secret: ([A-Z2-7]+)$`).FindStringSubmatch(out.String())
	if secret == nil {
		t.Fatalf("no secret printed:\n%s", out)
	}
	code, err := otp.Code(secret[1], env.Now())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdinW, code+"\n")
	if exit := <-done; exit != 0 {
		t.Fatalf("mfa enable exit %d:\n%s", exit, out)
	}
	if !strings.Contains(out.String(), "Multi-Factor Authentication (MFA) successfully activated.") {
		t.Errorf("not activated:\n%s", out)
	}
	// The activation is queued like every change (its secret sealed).
	s, err = localstore.Open(db, localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ops []string
	_ = s.View(func(tx *localstore.Tx) error {
		return tx.Outbox(0, false, func(m *localstore.Mutation) error {
			ops = append(ops, string(m.Op))
			if m.Op == localstore.OpMFAActivate && (m.Args.Step == 0 || !m.Args.Secrets.IsZero()) {
				t.Errorf("mfa.activate read without secrets: %+v", m.Args)
			}
			return nil
		})
	})
	if got := strings.Join(ops, " "); got != "user.create mfa.activate" {
		t.Errorf("outbox = %q, want user.create mfa.activate", got)
	}
}
