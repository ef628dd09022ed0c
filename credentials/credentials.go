// Package credentials keeps airt's secrets (session tokens, server tokens, the per-store sealing key) in the OS keyring,
// or in a 0600 file beside the store when no keyring is available.
//
// Entries are keyed by the store: the keyring service is "airt:"+StoreID and the keyring user is
// the entry name, so two stores on one machine, even in one folder, never see each other's entries.
// The file backend keeps the same key shape (service, then name) in a JSON file at
// StorePath+".keyring", mode 0600, rewritten atomically (temporary file and rename in the same folder).
//
// The backend is chosen by Config.Mode, the value of AIRT_KEYRING:
//
//   - "system": the OS keyring (Secret Service on Linux and BSD, Keychain on macOS, Credential
//     Manager on Windows) through github.com/zalando/go-keyring. When it cannot be used every call
//     fails with an error that wraps ErrUnavailable and says to set AIRT_KEYRING=file.
//   - "file": the 0600 file, with no warning.
//   - "" (automatic): decided once per Store, lazily on its first use (Get, Set, Delete or Backend),
//     by this rule, in order:
//     1. if the file already holds an entry for this store (or exists but cannot be read), the file
//     is used, without probing the keyring and without a warning: the entries written during an
//     earlier fallback (the sealing key above all) must not be split between two backends.
//     MoveToSystem (called by 'airt token') moves them into the OS keyring once it can be used,
//     and removes them from the file;
//     2. on Linux and BSD, if there is no session bus (DBUS_SESSION_BUS_ADDRESS empty or
//     "autolaunch:" and no /run/user/<uid>/bus or /run/user/<uid>/dbus-session, which is
//     everything godbus looks at), the keyring is unavailable at once: go-keyring is not called,
//     since godbus would start dbus-launch and leave daemons behind;
//     3. otherwise the keyring is probed with a Get of the entry asked for; anything but success or
//     not-found (a timeout included) means unavailable. A locked keyring (the Secret Service's
//     default collection, seen through its Locked property before go-keyring would wait for an
//     unlock prompt) is used when it holds entries of this store, so every call says it is
//     locked and how to unlock it (ErrLocked); holding none, it counts as unavailable, with a
//     warning that says it is locked.
//     When the keyring is unavailable the Store uses the file from then on and writes one line to
//     Config.Warn: "warning: no OS keyring available (<cause>); keeping credentials in <path> (mode 0600)".
//     Once the probe has succeeded the Store stays on the keyring: a later failure is returned as
//     an error, never answered from the file, so entries are never split between two backends.
//
// Entries get a readable label on the Secret Service (Config.Label, "airt session for STORE");
// go-keyring's Keychain and Credential Manager entries are labelled with the service name.
//
// Every keyring call runs with a timeout (Config.Timeout, 5s by default): go-keyring waits for a
// Secret Service unlock prompt without one. A call that times out is abandoned, not cancelled.
//
// The file backend serialises nothing between processes: two processes that Set entries at the
// same moment may lose one of the writes (never corrupt the file). Callers that create an entry
// once, such as the sealing key, must do so under the store's own lock.
package credentials

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Store keeps named secrets for one airt store.
type Store interface {
	// Get returns the value stored under name. It returns an error wrapping ErrNotFound when
	// there is none, and one wrapping ErrUnavailable when the OS keyring cannot be reached.
	Get(name string) (string, error)
	// Set stores value under name, replacing any previous value.
	Set(name, value string) error
	// Delete removes name. It returns nil when name is already absent.
	Delete(name string) error
	// Backend names the backend in use: "system" or "file:<path>". In automatic mode it makes
	// the backend choice if no other call has made it yet.
	Backend() string
}

// ErrNotFound is wrapped by Get when no value is stored under the name asked for.
var ErrNotFound = errors.New("not found in the keyring")

// ErrUnavailable is wrapped by every error that means the OS keyring could not be used
// (no session bus, no Secret Service, a locked collection, a timeout). Only AIRT_KEYRING=system
// returns it; automatic mode falls back to the file instead.
var ErrUnavailable = errors.New("OS keyring unavailable")

// ErrLocked is wrapped (beside ErrUnavailable) by the errors of a keyring that is there but
// locked: the error says how to unlock it.
var ErrLocked = errors.New("OS keyring locked")

// DefaultTimeout bounds each keyring call when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Mode values of Config.Mode (AIRT_KEYRING).
const (
	ModeAuto   = ""
	ModeSystem = "system"
	ModeFile   = "file"
)

// Config says where a store's credentials live.
type Config struct {
	// StoreID keys the entries: the keyring service name is "airt:"+StoreID. Required.
	StoreID string
	// StorePath is the store's bbolt file; the file backend is StorePath+".keyring".
	// Required unless Mode is "system".
	StorePath string
	// Mode is the value of AIRT_KEYRING: "" (automatic), "system" or "file".
	Mode string
	// Timeout bounds each keyring call; zero means DefaultTimeout.
	Timeout time.Duration
	// Getenv reads the environment (DBUS_SESSION_BUS_ADDRESS). Nil means an empty environment.
	Getenv func(string) string
	// Warn receives the one-line fallback warning (stderr). Nil discards it.
	Warn io.Writer
	// Label names an entry in the OS keyring for a person reading it (the Secret Service shows
	// it; go-keyring's Keychain and Credential Manager entries are labelled by the service name
	// instead). Nil: "airt session for STORE", "airt store key for STORE" and so on.
	Label func(name string) string
}

// Open returns the Store that cfg describes. It touches neither the keyring nor the file:
// the backend is reached on first use. It fails only on an invalid Config (an unknown Mode,
// an empty StoreID, an empty StorePath where the file may be needed).
func Open(cfg Config) (Store, error) {
	switch cfg.Mode {
	case ModeAuto, ModeSystem, ModeFile:
	default:
		return nil, fmt.Errorf("AIRT_KEYRING: unknown value %q; use %q, %q, or leave it empty to choose automatically",
			cfg.Mode, ModeSystem, ModeFile)
	}
	if strings.TrimSpace(cfg.StoreID) == "" {
		return nil, errors.New("credentials: empty store id")
	}
	if cfg.StorePath == "" && cfg.Mode != ModeSystem {
		return nil, errors.New("credentials: empty store path")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	if cfg.Warn == nil {
		cfg.Warn = io.Discard
	}
	service := "airt:" + cfg.StoreID
	if cfg.Label == nil {
		where := cfg.StorePath
		if where == "" {
			where = "store " + cfg.StoreID
		}
		cfg.Label = func(name string) string { return entryLabel(where, name) }
	}
	sys := &systemStore{service: service, timeout: cfg.Timeout, getenv: cfg.Getenv, label: cfg.Label}
	var file *fileStore
	if cfg.StorePath != "" {
		file = &fileStore{service: service, path: cfg.StorePath + ".keyring"}
	}
	switch cfg.Mode {
	case ModeSystem:
		return sys, nil
	case ModeFile:
		return file, nil
	}
	return &autoStore{sys: sys, file: file, warn: cfg.Warn}, nil
}

// notFound wraps ErrNotFound with the entry's name.
func notFound(name string) error {
	return fmt.Errorf("%q: %w", name, ErrNotFound)
}
