package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// change is the record of one applied change (bucketChanges).
type change struct {
	// ID is random: a client's cursor names a revision and the ID it saw
	// there, so a server restored from an older copy (which reuses revision
	// numbers) is recognised.
	ID       string   `json:"id"`
	UUID     string   `json:"uuid"`
	Store    string   `json:"store,omitempty"` // pushing store; "" for the server's own changes
	Seq      uint64   `json:"seq,omitempty"`
	Mutation string   `json:"mutation,omitempty"`
	Fields   []string `json:"fields"`
}

// device is what the server knows of a pushing store: the last sequence
// number it processed and the user whose token first pushed for it. A store
// belongs to that user: another user's token cannot
// push under its id, so nobody can make another store's changes look like
// duplicates.
type device struct {
	LastSeq uint64 `json:"last_seq"`
	Owner   string `json:"owner,omitempty"`
}

func revKey(rev uint64) []byte { return binary.BigEndian.AppendUint64(nil, rev) }

// record bumps the revision, stamps u with it and appends the change, in tx.
func (s *Server) record(tx *localstore.Tx, u *account.User, m *localstore.Mutation, store string, fields []string) (uint64, error) {
	changes, err := tx.Bucket(bucketChanges)
	if err != nil {
		return 0, err
	}
	rev, err := changes.NextSequence()
	if err != nil {
		return 0, err
	}
	old := *u
	u.Version = rev
	if err := tx.PutUser(&old, u); err != nil {
		return 0, err
	}
	key := revKey(rev)
	ch := change{ID: randomID(8), UUID: u.UUID, Store: store, Seq: m.Seq, Mutation: m.ID, Fields: fields}
	if err := changes.Put(key, localstore.SealRecord(key, encodeChange(ch))); err != nil {
		return 0, err
	}
	hist, err := tx.Bucket(bucketHistory)
	if err != nil {
		return 0, err
	}
	return rev, hist.Put(append([]byte(u.UUID), revKey(rev)...), nil)
}

// changedSince returns the fields of uuid changed after revision base by
// anyone but store.
func changedSince(tx *localstore.Tx, uuid string, base uint64, store string) (map[string]bool, error) {
	hist, err := tx.Bucket(bucketHistory)
	if err != nil {
		return nil, err
	}
	changes, err := tx.Bucket(bucketChanges)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	prefix := []byte(uuid)
	c := hist.Cursor()
	for k, _ := c.Seek(append(append([]byte(nil), prefix...), revKey(base+1)...)); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		ch, err := getChange(tx, changes, k[len(prefix):])
		if err != nil {
			return nil, err
		}
		if store != "" && ch.Store == store {
			continue // the pushing store's own earlier change: its admin saw it
		}
		for _, f := range ch.Fields {
			out[f] = true
		}
	}
	return out, nil
}

func getDevice(tx *localstore.Tx, store string) (device, error) {
	var d device
	b, err := tx.Bucket(bucketDevices)
	if err != nil {
		return d, err
	}
	if v := b.Get([]byte(store)); v != nil {
		err = tx.OpenJSON(string(bucketDevices), []byte(store), v, &d)
	}
	return d, err
}

func putDevice(tx *localstore.Tx, store string, d device) error {
	return putJSON(tx, bucketDevices, []byte(store), d)
}

// putJSON stores v as JSON under key in one of the server's buckets.
func putJSON(tx *localstore.Tx, bucket, key []byte, v any) error {
	b, err := tx.Bucket(bucket)
	if err != nil {
		return err
	}
	data, err := localstore.SealJSON(key, v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return b.Put(key, data)
}

func outcomeKey(store string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(store+"/"), seq)
}

// checkHistory answers whether the client's position (epoch, cursor and the
// change id at it) belongs to this server's history.
func (s *Server) checkHistory(tx *localstore.Tx, epoch string, cursor uint64, cursorID string) error {
	if epoch != "" && epoch != s.epoch {
		return &httpError{status: http.StatusConflict, code: usersync.CodeHistoryReset,
			text: fmt.Sprintf("the server's history was replaced (epoch %s, this store synced with epoch %s)", short(s.epoch), short(epoch))}
	}
	if cursor == 0 {
		return nil
	}
	changes, err := tx.Bucket(bucketChanges)
	if err != nil {
		return err
	}
	head := changes.Sequence()
	ch, err := getChange(tx, changes, revKey(cursor))
	if errors.Is(err, localstore.ErrDamaged) {
		return err
	}
	if err != nil || ch.ID != cursorID {
		return &httpError{status: http.StatusConflict, code: usersync.CodeHistoryReset,
			text: fmt.Sprintf("the server's history went back: this store pulled up to revision %d, the server is at revision %d with another history", cursor, head)}
	}
	return nil
}

// getChange reads the change at key (a revision); a missing one is an error.
func getChange(tx *localstore.Tx, changes *bolt.Bucket, key []byte) (change, error) {
	v := changes.Get(key)
	if v == nil {
		return change{}, fmt.Errorf("change %d is missing", binary.BigEndian.Uint64(key))
	}
	p, err := tx.OpenRecord(string(bucketChanges), key, v)
	if err != nil {
		return change{}, err
	}
	ch, err := decodeChange(p)
	if err != nil {
		return change{}, tx.Damage("%s record %d: %v", bucketChanges, binary.BigEndian.Uint64(key), err)
	}
	return ch, nil
}
