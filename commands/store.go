package commands

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
)

// Opening the store and its keyring: where the store is, how long to wait
// for its lock, whether a missing one may be created, and the sealing key.

// storePath resolves --db / AIRT_DB / the XDG default.
func (c *cli) storePath() (string, error) {
	if c.dbPath != "" {
		return c.dbPath, nil
	}
	if x := c.env.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "airt", "airt.db"), nil
	}
	home := c.env.Getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no store path: set --db or AIRT_DB (%w)", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "share", "airt", "airt.db"), nil
}

func (c *cli) lockTimeout() (time.Duration, error) {
	v := c.env.Getenv("AIRT_LOCK_TIMEOUT")
	if v == "" {
		return localstore.DefaultLockTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, err2 := strconv.Atoi(v); err2 == nil {
			return time.Duration(n) * time.Second, nil
		}
		return 0, fmt.Errorf("AIRT_LOCK_TIMEOUT %q: not a duration like 30s", v)
	}
	return d, nil
}

// openStore opens the store and the keyring that goes with it.
func (c *cli) openStore() (*localstore.Store, error) {
	if c.store != nil {
		return c.store, nil
	}
	start := time.Now()
	s, err := c.reopenStore()
	if err != nil {
		return nil, err
	}
	path := s.Path()
	c.debugf("store %s (id %s) opened in %s", path, s.ID(), time.Since(start).Round(time.Microsecond))
	c.store = s
	c.creds, err = credentials.Open(credentials.Config{
		StoreID: s.ID(), StorePath: path, Mode: c.env.Getenv("AIRT_KEYRING"),
		Getenv: c.env.Getenv, Warn: c.env.Stderr,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (c *cli) close() {
	if c.store != nil {
		c.store.Close()
		c.store = nil
	}
}

// moveCredentials moves the store's credentials from the fallback file
// into the OS keyring once that can be used (airt token calls it), and
// says so.
func (c *cli) moveCredentials() {
	moved, from, err := credentials.MoveToSystem(c.creds)
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "warning: credentials stay in %s: %s\n", from, err)
		return
	}
	if len(moved) > 0 {
		fmt.Fprintf(c.env.Stderr, "moved %s (%s) from %s into the OS keyring; the file no longer holds them\n",
			countOf(len(moved), "credential", "credentials"), strings.Join(moved, ", "), from)
	}
}

// storeKey returns the per-store sealing key from the keyring, creating it on
// first use (create is true only while the store holds no sealed secret, and
// the caller holds the store's write lock, so two processes never race).
func (c *cli) storeKey(_ string, create bool) ([]byte, error) {
	k, made, err := credentials.StoreKey(c.creds, create)
	if made {
		c.debugf("new store key kept in the keyring (%s)", c.creds.Backend())
	}
	return k, err
}

// reopenStore opens the store file, for the caller to close. openStore
// uses it once per command; the sync engine uses it for each short
// transaction, after openStore has set up the keyring, so the store is not
// locked while it waits on the network.
func (c *cli) reopenStore() (*localstore.Store, error) {
	path, err := c.storePath()
	if err != nil {
		return nil, err
	}
	_, statErr := os.Stat(path)
	missing := errors.Is(statErr, os.ErrNotExist)
	if missing && !c.mayCreateStore {
		return nil, &account.Error{Kind: account.KindFailed, Text: "no store at " + path,
			Hint: "create it with its first super user ('airt user create … -su' or 'airt user import'), log in to a server with 'airt token -s URL', or point --db / AIRT_DB at an existing store"}
	}
	timeout, err := c.lockTimeout()
	if err != nil {
		return nil, err
	}
	s, err := localstore.Open(path, localstore.Options{LockTimeout: timeout, Now: c.env.Now, Key: c.storeKey})
	if err == nil && missing && c.newStore == "" {
		c.newStore = path
	}
	return s, err
}

// discardNewStore removes the store this failed command created, and its
// keyring entries, when it holds no user and no queued change: the command
// changed nothing, so nothing may be left behind (not even an empty store,
// which a later command would take for a real one). A store that holds
// anything (rows an import committed before it failed, a server's users a
// first pull brought) is kept, since removing it could lose a change.
func (c *cli) discardNewStore() {
	path := c.newStore
	if path == "" {
		return
	}
	s, err := c.reopenStore()
	if err != nil {
		return
	}
	empty := false
	_ = s.View(func(tx *localstore.Tx) error {
		empty = tx.CountUsers() == 0 && tx.OutboxLen() == 0
		return nil
	})
	if !empty {
		s.Close()
		return
	}
	if c.creds != nil {
		for _, name := range []string{credentials.EntrySession, credentials.EntryStoreKey} {
			if err := c.creds.Delete(name); err != nil {
				c.debugf("new store %s: keyring entry %s left: %v", path, name, err)
			}
		}
	}
	s.Close()
	if err := os.Remove(path); err != nil {
		c.debugf("new store %s left behind: %v", path, err)
		return
	}
	c.debugf("removed the store %s this failed command created", path)
}
