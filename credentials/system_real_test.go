package credentials

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// realKeyringEnv marks the child process in which TestSystemKeyringReal talks to the real
// keyring: other tests call keyring.MockInit, which cannot be undone within a process.
const realKeyringEnv = "AIRT_CREDENTIALS_REAL_KEYRING_CHILD"

const skipNoSecretService = "no Secret Service: system keyring test skipped (file backend covered)"

// requireKeyringEnv is a test hook set by .ci/run once it has seen the Secret Service on its
// bus: TestSystemKeyringReal then fails instead of skipping, so a broken CI recipe shows.
const requireKeyringEnv = "AIRT_TEST_REQUIRE_KEYRING"

// noSecretService skips t, or fails it when the CI demands a real keyring.
func noSecretService(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(requireKeyringEnv) != "" {
		t.Fatalf("%s is set but the Secret Service cannot be used: %s", requireKeyringEnv, why)
	}
	t.Skip(skipNoSecretService + ": " + why)
}

// TestSystemKeyringReal exercises the system backend against a real Secret Service (run the
// tests under dbus-run-session with gnome-keyring unlocked, as .ci/run does), with a unique
// store id, and removes its entries. Without one it is skipped.
func TestSystemKeyringReal(t *testing.T) {
	if os.Getenv(realKeyringEnv) == "" {
		runRealKeyringChild(t)
		return
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" || addr == "autolaunch:" {
		noSecretService(t, "DBUS_SESSION_BUS_ADDRESS is not set")
	}
	id := fmt.Sprintf("test-%d-%s", os.Getpid(), rand.Text())
	s := mustOpen(t, Config{StoreID: id, Mode: "system", Timeout: 10 * time.Second, Getenv: os.Getenv})
	if err := s.Set("probe", "p"); err != nil {
		noSecretService(t, err.Error())
	}
	t.Cleanup(func() {
		for _, name := range []string{"probe", "session", "key"} {
			if err := s.Delete(name); err != nil {
				t.Errorf("cleanup Delete(%q): %v", name, err)
			}
		}
	})
	if v, err := s.Get("probe"); v != "p" || err != nil {
		noSecretService(t, fmt.Sprintf("Get after Set = %q, %v", v, err))
	}

	roundTrip(t, s)
	if err := s.Set("session", "labelled"); err != nil {
		t.Fatal(err)
	}
	checkRealLabel(t, "airt:"+id, "session", "airt session for store "+id)
	other := mustOpen(t, Config{StoreID: id + "-other", Mode: "system", Getenv: os.Getenv})
	if err := s.Set("key", "sealing-key"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get("key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another store id sees the entry: %v", err)
	}
	// Automatic mode finds the working keyring and warns about nothing.
	var warn writerFunc = func(p []byte) (int, error) {
		t.Errorf("automatic mode warned: %q", p)
		return len(p), nil
	}
	auto := mustOpen(t, Config{StoreID: id, StorePath: t.TempDir() + "/airt.db", Getenv: os.Getenv, Warn: warn})
	if v, err := auto.Get("key"); v != "sealing-key" || err != nil {
		t.Errorf("automatic mode Get = %q, %v; want sealing-key", v, err)
	}
	if got := auto.Backend(); got != "system" {
		t.Errorf("automatic mode Backend = %q; want system", got)
	}
	if err := s.Delete("key"); err != nil {
		t.Fatal(err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// runRealKeyringChild runs TestSystemKeyringReal alone in a new test process and reports its
// outcome: its failure as a failure, its skip as a skip with the same reason.
func runRealKeyringChild(t *testing.T) {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" || addr == "autolaunch:" {
		// Do not let godbus start dbus-launch in the child.
		noSecretService(t, "DBUS_SESSION_BUS_ADDRESS is not set")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSystemKeyringReal$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), realKeyringEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("real keyring test failed: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`(?m)^\s+system_real_test\.go:\d+: (no Secret Service.*)$`).FindSubmatch(out); m != nil {
		t.Skip(string(m[1]))
	}
	if !regexp.MustCompile(`(?m)^--- PASS: TestSystemKeyringReal`).Match(out) {
		t.Fatalf("real keyring test did not report a pass:\n%s", out)
	}
	t.Logf("real keyring test passed in a child process:\n%s", out)
}
