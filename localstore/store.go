// Package localstore is airt's embedded store: one bbolt file holding users
// and their indexes, the outbox of queued mutations, sessions and one-time
// code state (layout: schema.go). The same format serves the local replica
// and the server.
//
// Functions on *Store open a transaction; methods on *Tx run inside one.
// Each logical change is one Update: a user change and its outbox entry
// commit together or not at all. The package never prints and never exits.
package localstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/airt/airt/account"
	"github.com/airt/airt/otp"
)

// growStep is how much the file grows at a time (see Open).
const growStep = 1 << 20

// DefaultLockTimeout is how long Open waits for another airt process to
// release the file (AIRT_LOCK_TIMEOUT overrides it).
const DefaultLockTimeout = 30 * time.Second

// ErrLocked is returned by Open when another process holds the store for
// longer than the lock timeout.
var ErrLocked = errors.New("store is locked by another airt process")

// Options configure Open.
type Options struct {
	// LockTimeout bounds the wait for the file lock (0: DefaultLockTimeout).
	LockTimeout time.Duration
	// Now is the clock (nil: time.Now). Tests freeze it.
	Now func() time.Time
	// Key returns the per-store sealing key; called lazily, only when a
	// secret is sealed or opened. With create it makes and keeps a new key
	// when none exists; without, a missing key is an error. May be nil for
	// work that touches no secret.
	Key func(storeID string, create bool) ([]byte, error)
	// NoSync skips fsync per commit (bulk import only; Close syncs).
	NoSync bool
	// ReadOnly opens an existing store without writing to it (no bucket
	// creation, no migration): `airt store check`. Only Store.Check and
	// View may be used.
	ReadOnly bool
}

// Store is an open store file.
type Store struct {
	db   *bolt.DB
	path string
	id   string
	now  func() time.Time
	key  func(string, bool) ([]byte, error)
	// cachedKey is the key once fetched.
	cachedKey []byte
}

// Open opens (creating if needed, folder 0700 and file 0600) the store at
// path, creates missing buckets and migrates the layout forward. It returns
// ErrLocked (wrapped, naming the path) when the lock wait times out.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create store folder: %w", err)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	if err := checkFileBeforeOpen(path, opts.LockTimeout); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err := guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:      opts.LockTimeout,
			FreelistType: bolt.FreelistMapType,
			NoSync:       opts.NoSync,
			ReadOnly:     opts.ReadOnly,
		})
		return err
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &account.Error{Kind: account.KindFailed,
			Text: fmt.Sprintf("%s: %s (waited %s)", ErrLocked, path, opts.LockTimeout),
			Hint: "wait for the other airt command (sync, server, import) to finish, or raise AIRT_LOCK_TIMEOUT"}
	}
	if errors.Is(err, ErrDamaged) {
		return nil, err
	}
	if err != nil {
		return nil, openError(path, err)
	}
	// bbolt grows a file past 16 MiB by 16 MiB at a time, so a store of
	// 10,000 users (~10 MB of pages) would take up to 26 MB on disk; 1 MiB
	// steps keep the file within 1 MiB of what it holds, for one extra
	// truncate and fsync per MiB written.
	db.AllocSize = growStep
	s := &Store{db: db, path: path, now: opts.Now, key: opts.Key}
	if err := s.checkSize(); err != nil {
		db.Close()
		return nil, err
	}
	initFn := s.init
	if opts.ReadOnly {
		initFn = s.readID
	}
	if err := guard(path, initFn); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init creates the buckets, the store id and runs migrations, in one Update.
//
// A store that is already complete and current is only read: most commands
// (details, ls, …) then commit nothing and pay no fsync for opening it.
func (s *Store) init() error {
	ready := false
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		meta := tx.Bucket(bucketMeta)
		id := meta.Get(keyStoreID)
		if id == nil || string(meta.Get(keySchemaVersion)) != strconv.Itoa(SchemaVersion) || !nameKeysCurrent(meta) {
			return nil
		}
		s.id, ready = string(id), true
		return nil
	})
	if err != nil || ready {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if id := meta.Get(keyStoreID); id != nil {
			s.id = string(id)
		} else {
			b := make([]byte, 16)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			s.id = hex.EncodeToString(b)
			if err := meta.Put(keyStoreID, []byte(s.id)); err != nil {
				return err
			}
			if err := meta.Put(keyCreated, []byte(s.now().UTC().Format(time.RFC3339))); err != nil {
				return err
			}
		}
		if err := migrate(tx); err != nil {
			return err
		}
		if !nameKeysCurrent(meta) {
			if err := rebuildNameIndexes(s, tx); err != nil {
				return fmt.Errorf("rebuild the name indexes: %w", err)
			}
		}
		return nil
	})
}

// migrate brings the layout to SchemaVersion, one step per version:
//
//	1 -> 2: build the rank index (bucketOrderChunks) from bucketOrder.
//	2 -> 3: rewrite bucketOrder with the new created encoding, then the
//	        rank index over it.
//	3 -> 4: every JSON value becomes a checksummed record, index values
//	        the 16 bytes of a uuid (migrate4.go).
//
// A new store starts at version 0 and runs every step on empty buckets.
func migrate(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	v := 0
	if b := meta.Get(keySchemaVersion); b != nil {
		n, err := strconv.Atoi(string(b))
		if err != nil {
			return fmt.Errorf("store schema version %q: %w", b, err)
		}
		v = n
	}
	if v > SchemaVersion {
		return fmt.Errorf("store schema version %d is newer than this airt understands (%d): upgrade airt", v, SchemaVersion)
	}
	if v == SchemaVersion {
		return nil
	}
	if v < 3 {
		if err := rebuildOrder(tx); err != nil {
			return fmt.Errorf("migrate store to schema 3: %w", err)
		}
		if err := rebuildRank(tx); err != nil {
			return fmt.Errorf("migrate store to schema 3: %w", err)
		}
	}
	if v < 4 {
		if err := migrateRecords(tx); err != nil {
			return fmt.Errorf("migrate store to schema 4: %w", err)
		}
	}
	return meta.Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion)))
}

// readID reads the store id without writing anything.
func (s *Store) readID() error {
	return s.db.View(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			s.id = string(meta.Get(keyStoreID))
		}
		return nil
	})
}

// Close closes the store, releasing the file lock.
func (s *Store) Close() error { return s.db.Close() }

// ID returns the store's id.
func (s *Store) ID() string { return s.id }

// Path returns the store file's path.
func (s *Store) Path() string { return s.path }

// Now returns the store's clock reading in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

// Sync flushes the file to disk (after NoSync work).
func (s *Store) Sync() error { return s.db.Sync() }

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return guard(s.path, func() error {
		return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, s: s}) })
	})
}

// Update runs fn in a read-write transaction; an error from fn rolls back
// everything fn did, outbox entries included.
func (s *Store) Update(fn func(*Tx) error) error {
	return guard(s.path, func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			fillAppendBuckets(tx)
			return fn(&Tx{tx: tx, s: s})
		})
	})
}

// Tx is a transaction on the store.
type Tx struct {
	tx *bolt.Tx
	s  *Store
}

// Now returns the store clock in UTC.
func (t *Tx) Now() time.Time { return t.s.Now() }

// StoreID returns the id of the store.
func (t *Tx) StoreID() string { return t.s.id }

// keyCheckText is sealed with the store key into meta/key_check the first
// time a key is used, so that a later run can tell "this store has sealed
// secrets and the keyring lost its key" from "no key yet".
var keyCheckText = []byte("airt store key check")

// Key returns the per-store sealing key, fetching it once. The first use on a
// store creates the key (in a writable transaction) and records a check
// value; later uses verify the key against it, so a keyring that lost the key
// (or a different keyring backend) is reported instead of silently sealing
// new secrets with a new key.
func (t *Tx) Key() ([]byte, error) {
	s := t.s
	if s.cachedKey != nil {
		return s.cachedKey, nil
	}
	if s.key == nil {
		return nil, errors.New("store key unavailable: no keyring configured")
	}
	meta := t.tx.Bucket(bucketMeta)
	check := clone(meta.Get(keyKeyCheck))
	k, err := s.key(s.id, check == nil)
	if err != nil {
		if check != nil {
			return nil, &account.Error{Kind: account.KindFailed,
				Text: fmt.Sprintf("the key that seals this store's secrets is not in the keyring: %v", err),
				Hint: "use the keyring (AIRT_KEYRING) where the store was created; without its key the store's TOTP secrets cannot be read"}
		}
		return nil, fmt.Errorf("store key: %w", err)
	}
	if check != nil {
		if _, err := otp.Open(k, check, []byte(s.id)); err != nil {
			return nil, &account.Error{Kind: account.KindFailed,
				Text: "the store key in the keyring does not match this store",
				Hint: "use the keyring (AIRT_KEYRING) where the store was created"}
		}
	} else if t.tx.Writable() {
		sealed, err := otp.Seal(k, keyCheckText, []byte(s.id))
		if err != nil {
			return nil, err
		}
		if err := meta.Put(keyKeyCheck, sealed); err != nil {
			return nil, err
		}
	}
	s.cachedKey = k
	return k, nil
}

// GetMeta returns a copy of a meta value (nil when absent).
func (t *Tx) GetMeta(key string) []byte {
	return clone(t.tx.Bucket(bucketMeta).Get([]byte(key)))
}

// PutMeta stores a meta value.
func (t *Tx) PutMeta(key string, value []byte) error {
	return t.tx.Bucket(bucketMeta).Put([]byte(key), value)
}

// Bucket returns the named top-level bucket, creating it in a writable
// transaction. Packages that add their own buckets (sync) document them in
// their own layout file and go through here.
func (t *Tx) Bucket(name []byte) (*bolt.Bucket, error) {
	if b := t.tx.Bucket(name); b != nil {
		return b, nil // fillAppendBuckets set its fill
	}
	if !t.tx.Writable() {
		return nil, nil
	}
	b, err := t.tx.CreateBucket(name)
	if err == nil && appendBucket[string(name)] {
		b.FillPercent = appendFill
	}
	return b, err
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// fillAppendBuckets sets the page fill of the buckets written in key order
// (schema.go) for this write transaction.
func fillAppendBuckets(tx *bolt.Tx) {
	for name := range appendBucket {
		if b := tx.Bucket([]byte(name)); b != nil {
			b.FillPercent = appendFill
		}
	}
}
