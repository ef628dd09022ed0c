package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/server/guard"
	usersync "github.com/airt/airt/sync"
)

// boltStore is a Store in a bbolt file of the localstore format, which the
// server keeps open (and so locked) while it runs: one process. Its login
// attempt counts live in the file (guard.BoltStore), so a restart keeps
// them.
type boltStore struct {
	db    *localstore.Store
	epoch string
	guard.BoltStore
}

// OpenBolt prepares db to be served: on first use it creates the server's
// buckets and epoch and records every existing user as a change (a store
// bootstrapped offline with `airt --db FILE user create … -su`); later it
// records the changes made offline on the server's store since it was last
// served (its outbox) and empties that outbox. One Update. The caller keeps
// db and closes it.
func OpenBolt(db *localstore.Store) (Store, error) {
	s := &boltStore{db: db, BoltStore: guard.BoltStore{Store: db}}
	err := db.Update(func(ltx *localstore.Tx) error {
		tx := &boltTx{Tx: ltx}
		for _, name := range [][]byte{bucketChanges, bucketHistory, bucketDevices, bucketOutcomes} {
			if _, err := ltx.Bucket(name); err != nil {
				return err
			}
		}
		var offline []*localstore.Mutation
		if err := ltx.Outbox(0, false, func(m *localstore.Mutation) error {
			c := *m
			offline = append(offline, &c)
			return nil
		}); err != nil {
			return err
		}
		s.epoch = string(ltx.GetMeta(metaEpoch))
		if s.epoch == "" {
			s.epoch = randomID(16)
			if err := ltx.PutMeta(metaEpoch, []byte(s.epoch)); err != nil {
				return err
			}
			var users []*account.User
			if err := ltx.ForEachUser(func(u *account.User) error { users = append(users, u); return nil }); err != nil {
				return err
			}
			for _, u := range users {
				if _, err := record(tx, u, &localstore.Mutation{}, "", []string{usersync.FieldAll}); err != nil {
					return err
				}
			}
		} else {
			for _, m := range offline {
				u, err := ltx.User(m.Target)
				if err != nil {
					continue
				}
				if _, err := record(tx, u, m, "", usersync.Fields(m)); err != nil {
					return err
				}
			}
		}
		for _, m := range offline {
			if err := ltx.DeleteMutation(m.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("prepare the server store: %w", err)
	}
	return s, nil
}

func (s *boltStore) Epoch() string  { return s.epoch }
func (s *boltStore) Now() time.Time { return s.db.Now() }
func (s *boltStore) Ping(ctx context.Context) error {
	// A read transaction fails on a closed or broken file.
	return s.db.View(func(*localstore.Tx) error { return nil })
}

// WriteBackup writes a consistent copy of the store file to w (see
// localstore.Store.WriteBackup).
func (s *boltStore) WriteBackup(w io.Writer, size func(int64)) (int64, error) {
	return s.db.WriteBackup(w, size)
}

// Close does nothing: the caller opened the file and closes it.
func (s *boltStore) Close() error { return nil }

func (s *boltStore) Read(ctx context.Context, fn func(Tx) error) error {
	return s.db.View(func(tx *localstore.Tx) error { return fn(&boltTx{Tx: tx}) })
}

// Write is one bbolt Update: bbolt allows one writer at a time.
func (s *boltStore) Write(ctx context.Context, fn func(Tx) error) error {
	return s.db.Update(func(tx *localstore.Tx) error { return fn(&boltTx{Tx: tx}) })
}

// boltTx is a Tx over a localstore transaction; the users, sessions and the
// sealing key are localstore's own.
type boltTx struct {
	*localstore.Tx
	// dirty: something was written since the last Savepoint. bbolt has no
	// savepoints; the rules reject a mutation before they write anything,
	// and RollbackToSavepoint refuses (abandoning the transaction) if that
	// ever stops being true.
	dirty bool
}

var errNoSavepoint = errors.New("a rejected change had already written to the bbolt store: the push is abandoned")

func (t *boltTx) Savepoint() error { t.dirty = false; return nil }

func (t *boltTx) RollbackToSavepoint() error {
	if t.dirty {
		return errNoSavepoint
	}
	return nil
}

// PutUser refuses a taken username or email (an *account.Error) before it
// writes anything; any other outcome may have written.
func (t *boltTx) PutUser(old, u *account.User) error {
	err := t.Tx.PutUser(old, u)
	var ae *account.Error
	if !errors.As(err, &ae) {
		t.dirty = true
	}
	return err
}

func (t *boltTx) DeleteSessionsOf(uuid string) error {
	t.dirty = true
	return t.Tx.DeleteSessionsOf(uuid)
}

func revKey(rev uint64) []byte { return binary.BigEndian.AppendUint64(nil, rev) }

func outcomeKey(store string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(store+"/"), seq)
}

// The server's values are checksummed records (localstore.SealRecord,
// verified on every read): a change and an applied outcome have the compact
// payloads of records.go, the rest JSON.

// getRecord returns the payload of the record under key in one of the
// server's buckets; false when there is none (or no bucket yet, in a read
// transaction).
func (t *boltTx) getRecord(bucket, key []byte) ([]byte, bool, error) {
	b, err := t.Bucket(bucket)
	if err != nil || b == nil {
		return nil, false, err
	}
	v := b.Get(key)
	if v == nil {
		return nil, false, nil
	}
	p, err := t.OpenRecord(string(bucket), key, v)
	return p, err == nil, err
}

// putRecord stores payload as a record under key in one of the server's
// buckets.
func (t *boltTx) putRecord(bucket, key, payload []byte) error {
	t.dirty = true
	b, err := t.Bucket(bucket)
	if err != nil {
		return err
	}
	return b.Put(key, localstore.SealRecord(key, payload))
}

// getJSON decodes the JSON record under key in one of the server's buckets
// into v; false when there is none.
func (t *boltTx) getJSON(bucket, key []byte, v any) (bool, error) {
	p, ok, err := t.getRecord(bucket, key)
	if !ok || err != nil {
		return false, err
	}
	if err := json.Unmarshal(p, v); err != nil {
		return false, t.Damage("%s record %x: %v", bucket, key, err)
	}
	return true, nil
}

// putJSON stores v as a JSON record under key in one of the server's
// buckets.
func (t *boltTx) putJSON(bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return t.putRecord(bucket, key, data)
}

// changeFrom decodes the change stored under revision key k.
func (t *boltTx) changeFrom(k, v []byte) (change, error) {
	p, err := t.OpenRecord(string(bucketChanges), k, v)
	if err != nil {
		return change{}, err
	}
	ch, err := decodeChange(p)
	if err != nil {
		return change{}, t.Damage("%s record %d: %v", bucketChanges, binary.BigEndian.Uint64(k), err)
	}
	ch.Rev = binary.BigEndian.Uint64(k)
	return ch, nil
}

// outcomeFrom decodes the outcome stored under key k.
func (t *boltTx) outcomeFrom(k, v []byte) (usersync.Result, error) {
	p, err := t.OpenRecord(string(bucketOutcomes), k, v)
	if err != nil {
		return usersync.Result{}, err
	}
	r, err := decodeOutcome(p)
	if err != nil {
		return r, t.Damage("%s record %x: %v", bucketOutcomes, k, err)
	}
	return r, nil
}

func (t *boltTx) NextRevision() (uint64, error) {
	t.dirty = true
	changes, err := t.Bucket(bucketChanges)
	if err != nil {
		return 0, err
	}
	return changes.NextSequence()
}

func (t *boltTx) PutChange(rev uint64, ch change) error {
	if err := t.putRecord(bucketChanges, revKey(rev), encodeChange(ch)); err != nil {
		return err
	}
	hist, err := t.Bucket(bucketHistory)
	if err != nil {
		return err
	}
	return hist.Put(append([]byte(ch.UUID), revKey(rev)...), nil)
}

func (t *boltTx) Head() (uint64, error) {
	b, err := t.Bucket(bucketChanges)
	if err != nil || b == nil {
		return 0, err
	}
	return b.Sequence(), nil
}

func (t *boltTx) ChangeAt(rev uint64) (change, bool, error) {
	b, err := t.Bucket(bucketChanges)
	if err != nil || b == nil {
		return change{Rev: rev}, false, err
	}
	k := revKey(rev)
	v := b.Get(k)
	if v == nil {
		return change{Rev: rev}, false, nil
	}
	ch, err := t.changeFrom(k, v)
	return ch, err == nil, err
}

func (t *boltTx) ChangesAfter(after uint64, limit int) ([]change, error) {
	b, err := t.Bucket(bucketChanges)
	if err != nil || b == nil {
		return nil, err
	}
	var out []change
	c := b.Cursor()
	for k, v := c.Seek(revKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
		ch, err := t.changeFrom(k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

func (t *boltTx) ChangesOf(uuid string, after uint64) ([]change, error) {
	hist, err := t.Bucket(bucketHistory)
	if err != nil || hist == nil {
		return nil, err
	}
	var out []change
	prefix := []byte(uuid)
	c := hist.Cursor()
	for k, _ := c.Seek(append(append([]byte(nil), prefix...), revKey(after+1)...)); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		ch, ok, err := t.ChangeAt(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, ch)
		}
	}
	return out, nil
}

func (t *boltTx) Device(store string) (device, error) {
	var d device
	_, err := t.getJSON(bucketDevices, []byte(store), &d)
	return d, err
}

func (t *boltTx) PutDevice(store string, d device) error {
	return t.putJSON(bucketDevices, []byte(store), d)
}

func (t *boltTx) Outcome(store string, seq uint64) (usersync.Result, bool, error) {
	b, err := t.Bucket(bucketOutcomes)
	if err != nil || b == nil {
		return usersync.Result{}, false, err
	}
	k := outcomeKey(store, seq)
	v := b.Get(k)
	if v == nil {
		return usersync.Result{}, false, nil
	}
	r, err := t.outcomeFrom(k, v)
	return r, err == nil, err
}

func (t *boltTx) PutOutcome(store string, res usersync.Result) error {
	p, err := encodeOutcome(res)
	if err != nil {
		return err
	}
	return t.putRecord(bucketOutcomes, outcomeKey(store, res.Seq), p)
}

func (t *boltTx) PutDisabledToken(hash string, s localstore.Session) error {
	return t.putJSON(bucketDisabledTokens, []byte(hash), s)
}

func (t *boltTx) DisabledToken(hash string) (localstore.Session, bool, error) {
	var s localstore.Session
	ok, err := t.getJSON(bucketDisabledTokens, []byte(hash), &s)
	return s, ok, err
}
