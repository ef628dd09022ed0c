package credentials

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/zalando/go-keyring"
)

// autoStore picks the OS keyring or the file on first use, by the rule in the package comment.
type autoStore struct {
	sys  *systemStore
	file *fileStore
	warn io.Writer

	mu     sync.Mutex
	chosen Store // nil until chosen
}

func (a *autoStore) Backend() string {
	s, _ := a.choose("")
	return s.Backend()
}

func (a *autoStore) Get(name string) (string, error) {
	s, probe := a.choose(name)
	if probe != nil {
		return probe.value, probe.err // the probe was this very Get
	}
	return s.Get(name)
}

func (a *autoStore) Set(name, value string) error {
	s, _ := a.choose(name)
	return s.Set(name, value)
}

func (a *autoStore) Delete(name string) error {
	s, _ := a.choose(name)
	return s.Delete(name)
}

// probeResult is the answer of the probing Get, handed back to a Get of the same name.
type probeResult struct {
	value string
	err   error
}

// choose returns the backend, choosing it on the first call. When that choice probed the
// keyring with a Get of name, it also returns the probe's answer, for Get to reuse. With name ""
// (Backend) the probe asks for a name no entry has and its answer is dropped.
func (a *autoStore) choose(name string) (Store, *probeResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.chosen != nil {
		return a.chosen, nil
	}
	if a.file.hasEntries() {
		a.chosen = a.file
		return a.chosen, nil
	}
	probe := name
	if probe == "" {
		probe = "airt-keyring-probe"
	}
	v, err := a.sys.get(probe)
	var le *lockedError
	if err == nil || errors.Is(err, keyring.ErrNotFound) || (errors.As(err, &le) && le.hasEntries) {
		// A locked keyring holding this store's entries stays the backend:
		// every call says it is locked and how to unlock it, rather than
		// the file answering "not logged in".
		a.chosen = a.sys
		if name == "" {
			return a.chosen, nil
		}
		return a.chosen, &probeResult{v, a.sys.explain(name, err)}
	}
	a.chosen = a.file
	if le != nil {
		fmt.Fprintf(a.warn, "warning: the OS keyring is locked; keeping credentials in %s (mode 0600) for now. To use the keyring, %s: the next 'airt token' moves them there\n",
			a.file.path, strings.Replace(unlockHint, ", then run the command again", "", 1))
		return a.chosen, nil
	}
	fmt.Fprintf(a.warn, "warning: no OS keyring available (%s); keeping credentials in %s (mode 0600)\n",
		shortCause(err), a.file.path)
	return a.chosen, nil
}

// MoveToSystem moves the store's entries from the file into the OS keyring when s is in
// automatic mode, keeps them in the file (written during an earlier fallback) and the OS
// keyring can be used now (a Secret Service that started, or was unlocked, since). Each entry is
// written to the keyring and read back before any is removed from the file, so a failure leaves
// them all in the file; the file itself is removed once it holds no entry. It returns the names
// moved (none when there was nothing to do) and the file's path; afterwards s uses the keyring.
func MoveToSystem(s Store) (moved []string, from string, err error) {
	a, ok := s.(*autoStore)
	if !ok || a.file == nil {
		return nil, "", nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.chosen == a.sys {
		return nil, "", nil
	}
	all, err := a.file.read()
	if err != nil || len(all[a.file.service]) == 0 {
		return nil, "", nil
	}
	if _, err := a.sys.get("airt-keyring-probe"); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return nil, "", nil // still no usable keyring: stay on the file, quietly
	}
	entries := all[a.file.service]
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := a.sys.Set(name, entries[name]); err != nil {
			return nil, a.file.path, fmt.Errorf("move %q into the OS keyring: %w", name, err)
		}
		if v, err := a.sys.Get(name); err != nil || v != entries[name] {
			return nil, a.file.path, fmt.Errorf("move %q into the OS keyring: it did not read back (%v)", name, err)
		}
	}
	for _, name := range names {
		if err := a.file.Delete(name); err != nil {
			return nil, a.file.path, fmt.Errorf("entries copied into the OS keyring, but the file keeps them: %w", err)
		}
	}
	a.chosen = a.sys
	return names, a.file.path, nil
}

// shortCause is the first line of err, cut to fit in the warning line.
func shortCause(err error) string {
	if errors.Is(err, errNoBus) {
		return "no D-Bus session bus"
	}
	var te *timeoutError
	if errors.As(err, &te) {
		return fmt.Sprintf("no answer within %s", te.d)
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:99]) + "…"
	}
	return s
}
