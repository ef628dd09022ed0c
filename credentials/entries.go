package credentials

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/airt/airt/otp"
)

// The entries airt keeps per store, by name. Server tokens are kept under
// names of their own, one per server URL (commands/sync.go).
const (
	// EntrySession is the local session token of the logged-in user
	// (`airt token`), as Tx.NewSession made it.
	EntrySession = "session"
	// EntryStoreKey is the per-store sealing key (otp.Seal), base64.
	EntryStoreKey = "store-key"
)

// entryLabel is the default label of an entry in the OS keyring, for a
// person browsing it: "airt session for /home/ada/.local/share/airt/airt.db".
func entryLabel(store, name string) string {
	switch {
	case name == EntrySession:
		return "airt session for " + store
	case name == EntryStoreKey:
		return "airt store key for " + store
	case strings.HasPrefix(name, "server-token:"):
		return "airt server token for " + strings.TrimPrefix(name, "server-token:") + " (store " + store + ")"
	}
	return "airt " + name + " for " + store
}

// StoreKey returns the store's sealing key from s. When there is none and
// create is set, it makes a new one and keeps it, reporting made; the caller
// must hold the store's write lock so that two processes never both make one.
// A value that is not a key is an error, never replaced.
func StoreKey(s Store, create bool) (key []byte, made bool, err error) {
	v, err := s.Get(EntryStoreKey)
	if err == nil {
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) != otp.KeySize {
			return nil, false, errors.New("store key in the keyring is damaged")
		}
		return k, false, nil
	}
	if !errors.Is(err, ErrNotFound) || !create {
		return nil, false, err
	}
	k, err := otp.NewKey()
	if err != nil {
		return nil, false, err
	}
	if err := s.Set(EntryStoreKey, base64.StdEncoding.EncodeToString(k)); err != nil {
		return nil, false, err
	}
	return k, true, nil
}
