package credentials

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/zalando/go-keyring"
)

// The keyring and the file system as this package reaches them; tests replace these to
// simulate missing, failing or hanging keyrings without D-Bus.
var (
	keyringGet    = keyring.Get
	keyringSet    = keyring.Set
	keyringDelete = keyring.Delete
	fileExists    = func(path string) bool { _, err := os.Stat(path); return err == nil }
	// keyringSetLabeled, where set (the Secret Service), is Set with the
	// entry's label; elsewhere keyringSet is used and the label is
	// go-keyring's.
	keyringSetLabeled func(service, user, label, value string) error
	// keyringLockState reports a locked keyring and whether it holds
	// entries of service (the Secret Service; elsewhere never locked).
	keyringLockState = func(service string) (locked, hasEntries bool, err error) { return false, false, nil }
)

// systemStore keeps entries in the OS keyring through go-keyring.
type systemStore struct {
	service string
	timeout time.Duration
	getenv  func(string) string
	// label names an entry for a person reading the keyring.
	label func(name string) string
}

func (s *systemStore) Backend() string { return ModeSystem }

func (s *systemStore) Get(name string) (string, error) {
	v, err := s.get(name)
	if err != nil {
		return "", s.explain(name, err)
	}
	return v, nil
}

func (s *systemStore) Set(name, value string) error {
	// Read outside the goroutine, which may outlive the call.
	set, setLabeled, lockState, label := keyringSet, keyringSetLabeled, keyringLockState, s.label(name)
	_, err := withTimeout(s, func() (struct{}, error) {
		if err := checkLocked(lockState, s.service); err != nil {
			return struct{}{}, err
		}
		if setLabeled != nil {
			return struct{}{}, setLabeled(s.service, name, label, value)
		}
		return struct{}{}, set(s.service, name, value)
	})
	return s.explain(name, err)
}

func (s *systemStore) Delete(name string) error {
	del, lockState := keyringDelete, keyringLockState
	_, err := withTimeout(s, func() (struct{}, error) {
		if err := checkLocked(lockState, s.service); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, del(s.service, name)
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return s.explain(name, err)
}

// get is Get with go-keyring's errors left raw, for the automatic probe.
func (s *systemStore) get(name string) (string, error) {
	get, lockState := keyringGet, keyringLockState
	return withTimeout(s, func() (string, error) {
		if err := checkLocked(lockState, s.service); err != nil {
			return "", err
		}
		return get(s.service, name)
	})
}

// checkLocked returns a *lockedError when the keyring is locked: go-keyring
// would ask the Secret Service to unlock it, which waits for a password
// prompt (on a desktop) or fails (elsewhere), and the wait reads as a
// missing keyring.
func checkLocked(lockState func(string) (bool, bool, error), service string) error {
	locked, hasEntries, err := lockState(service)
	if err != nil || !locked {
		return nil // go-keyring's own call says what is wrong, if anything
	}
	return &lockedError{hasEntries: hasEntries}
}

// lockedError is a locked keyring (it wraps ErrUnavailable and ErrLocked).
type lockedError struct{ hasEntries bool }

// unlockHint says how to unlock a locked keyring.
const unlockHint = "unlock it (log in to the desktop session, or open Passwords and Keys (seahorse) and unlock the Login keyring; on a server: gnome-keyring-daemon --unlock --replace with the login password on standard input), then run the command again"

func (e *lockedError) Error() string {
	return "the OS keyring is locked: " + unlockHint
}

func (e *lockedError) Unwrap() []error { return []error{ErrUnavailable, ErrLocked} }

// withTimeout runs f with s's timeout, after checking that a session bus exists where godbus
// needs one. The goroutine of a call that times out is abandoned: go-keyring cannot be cancelled.
func withTimeout[T any](s *systemStore, f func() (T, error)) (T, error) {
	var zero T
	if err := s.busMissing(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-timer.C:
		return zero, &timeoutError{s.timeout}
	}
}

// busMissing returns an error when godbus would have to start dbus-launch to find a session bus
// (its own discovery, conn.go and conn_other.go in godbus v5), nil when a bus is there or the
// platform does not use D-Bus.
func (s *systemStore) busMissing() error {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil
	}
	if addr := s.getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return nil
	}
	// godbus looks in /run/user/<uid>, not in $XDG_RUNTIME_DIR: a bus socket under another
	// $XDG_RUNTIME_DIR is not found by it (it would start dbus-launch), so it does not count.
	dir := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	if fileExists(filepath.Join(dir, "bus")) || fileExists(filepath.Join(dir, "dbus-session")) {
		return nil
	}
	return errNoBus
}

var errNoBus = errors.New("no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set")

// explain maps go-keyring's errors to this package's.
func (s *systemStore) explain(name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return notFound(name)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%q: value too big for the OS keyring: %w", name, err)
	case errors.Is(err, ErrLocked):
		return err
	}
	return &unavailableError{err}
}

// timeoutError reports a keyring call that did not answer in time.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no answer within %s (a locked keyring waiting for a prompt?)", e.d)
}

// unavailableError is the error of AIRT_KEYRING=system when the keyring cannot be used.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string {
	return "OS keyring unavailable: " + e.cause.Error() +
		"; set AIRT_KEYRING=file to keep credentials in a 0600 file beside the store"
}

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }
