//go:build unix

package localstore

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// waitForWriter waits (up to timeout) until no process holds the store's
// exclusive lock, so a file that another airt process is creating right now
// (bbolt writes the first pages while it holds the lock) is looked at only
// once it is complete.
func waitForWriter(path string, timeout time.Duration) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return errLockWait
		}
		time.Sleep(50 * time.Millisecond)
	}
}
