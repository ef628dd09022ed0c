package localstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/airt/airt/account"
)

// ErrDamaged is what every DamageError matches with errors.Is.
var ErrDamaged = errors.New("store is damaged")

// DamageError reports a store file whose bytes are not what airt wrote: a
// truncated or zeroed file, a page bbolt cannot read, a record whose
// checksum does not match. It is never a crash and never a reason to start
// a new store: the command stops and says what to do.
type DamageError struct {
	Path   string
	Detail string
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("the store %s is damaged: %s", e.Path, e.Detail)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamageError) Is(target error) bool { return target == ErrDamaged }

// As lets the command layer print the damage like any other failure, with
// its hint (exit 1).
func (e *DamageError) As(target any) bool {
	p, ok := target.(**account.Error)
	if !ok {
		return false
	}
	*p = &account.Error{Kind: account.KindFailed, Text: e.Error(),
		Hint: "restore the store from a backup (a client store can also be moved aside and pulled again with 'airt token -s'); 'airt store check' lists what is damaged"}
	return true
}

func (s *Store) damaged(format string, args ...any) error {
	return &DamageError{Path: s.path, Detail: fmt.Sprintf(format, args...)}
}

var errLockWait = errors.New("lock wait timed out")

// minStoreSize is the smallest file bbolt ever writes: two meta pages, a
// freelist page and an empty root leaf.
const minStoreSize = 4 * 1024

// checkFileBeforeOpen refuses an existing file that cannot be a store, before
// bbolt sees it: bbolt would initialise a 0-byte file as a new, empty store,
// and everything the file held (users, queued changes) would vanish without
// a word. Only a missing file may become a new store.
func checkFileBeforeOpen(path string, timeout time.Duration) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil && fi.Mode().IsRegular() && fi.Size() < minStoreSize {
		// Another process may be writing a new store's first pages.
		if err := waitForWriter(path, timeout); err != nil {
			if errors.Is(err, errLockWait) {
				return nil // bbolt's own lock wait reports it
			}
			return fmt.Errorf("store: %w", err)
		}
		fi, err = os.Stat(path)
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil // bbolt's own error says what it is
	}
	if fi.Size() < minStoreSize {
		return &DamageError{Path: path, Detail: fmt.Sprintf("the file is %d bytes long, too short to be a store (truncated or emptied)", fi.Size())}
	}
	return checkTruncated(path, fi.Size())
}

// checkSize compares the file's length with the size its own meta page
// records: a store cut short (a failed copy, `truncate`) would otherwise
// fault when a page past the end is read.
func (s *Store) checkSize() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	var need int64
	if err := s.db.View(func(tx *bolt.Tx) error { need = tx.Size(); return nil }); err != nil {
		return err
	}
	if fi.Size() < need {
		return s.damaged("the file is %d bytes long but its pages reach %d bytes (truncated)", fi.Size(), need)
	}
	return nil
}

// openError names bbolt's refusals of a file that exists but is not a
// readable store (both meta pages invalid, a wrong version, a bad
// checksum) as damage.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping),
		strings.Contains(err.Error(), "file size too small"):
		return &DamageError{Path: path, Detail: err.Error()}
	}
	// os.OpenFile's *PathError names the file again: keep only its cause.
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// guard runs fn, turning the ways a damaged file shows itself inside bbolt
// into a DamageError: bbolt panics on pages it cannot make sense of (a
// zeroed branch page, a bad page type), and reading a page of the memory
// map past the end of a shrunken file raises SIGBUS, which
// debug.SetPanicOnFault turns into a panic of this goroutine. Panics that
// come from anywhere else (a bug in airt) are not damage and propagate.
func guard(path string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		r := recover()
		if r == nil {
			return
		}
		if !isStorePanic(r) {
			panic(r)
		}
		err = &DamageError{Path: path, Detail: fmt.Sprintf("a page cannot be read (%v)", r)}
	}()
	return fn()
}

// isStorePanic tells whether the panic being recovered is the store's:
// raised inside bbolt, or a memory fault (SIGBUS, SIGSEGV at a non-nil
// address) anywhere while the store's map was in use, as values returned by
// bbolt point into it.
func isStorePanic(r any) bool {
	if re, ok := r.(runtime.Error); ok {
		if f, ok := re.(interface{ Addr() uintptr }); ok && f.Addr() >= 1<<16 {
			return true
		}
	}
	pc := make([]uintptr, 64)
	n := runtime.Callers(1, pc)
	frames := runtime.CallersFrames(pc[:n])
	for {
		fr, more := frames.Next()
		fn := fr.Function
		// The first frame that is not the runtime's panic machinery is
		// where the panic was raised.
		if !strings.HasPrefix(fn, "runtime.") && !strings.Contains(fn, "localstore.guard") && !strings.Contains(fn, "localstore.isStorePanic") {
			return strings.HasPrefix(fn, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

func statFile(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
