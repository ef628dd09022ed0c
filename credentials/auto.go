package credentials

import (
	"errors"
	"fmt"
	"io"
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
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		a.chosen = a.sys
		if name == "" {
			return a.chosen, nil
		}
		return a.chosen, &probeResult{v, a.sys.explain(name, err)}
	}
	a.chosen = a.file
	fmt.Fprintf(a.warn, "warning: no OS keyring available (%s); keeping credentials in %s (mode 0600)\n",
		shortCause(err), a.file.path)
	return a.chosen, nil
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
