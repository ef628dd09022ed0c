package localstore

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/airt/airt/account"
)

// nameKeyVersion names the function that makes the keys of bucketByUsername,
// bucketByEmail and bucketOrder (account.NormalizeKey). Stores written when
// the keys were plain lower case have no meta/name_keys; Open rebuilds their
// indexes with the current function (rebuildNameIndexes) and records it.
// It is kept apart from SchemaVersion because the layout does not change,
// only the keys.
const nameKeyVersion = account.NameKeyVersion

var keyNameKeys = []byte("name_keys")

// nameKeysCurrent reports whether the store's name indexes use the current
// key function.
func nameKeysCurrent(meta *bolt.Bucket) bool {
	return string(meta.Get(keyNameKeys)) == nameKeyVersion
}

// rebuildNameIndexes rebuilds the username, email and order indexes (and
// the rank index over the order) from the users, with today's keys. Two
// users whose names an older airt let coexist as look-alikes (ＡＤＭＩＮ and
// admin) now share a key: the first in `ls` order (enabled first, then by
// creation) keeps it; the other stays reachable by uuid and must be renamed
// (`airt user update UUID -un NEWNAME`) before its next change.
func rebuildNameIndexes(s *Store, tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketByUsername, bucketByEmail, bucketOrder} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	t := &Tx{tx: tx, s: s}
	order := tx.Bucket(bucketOrder)
	c := tx.Bucket(bucketUsers).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		u, err := t.User(string(k))
		if err != nil {
			return err
		}
		if err := order.Put(orderKey(u), indexValue(u.UUID)); err != nil {
			return err
		}
	}
	byName, byEmail := tx.Bucket(bucketByUsername), tx.Bucket(bucketByEmail)
	oc := order.Cursor()
	for _, id := oc.First(); id != nil; _, id = oc.Next() {
		u, err := t.User(indexUUID(id))
		if err != nil {
			return err
		}
		for _, ix := range []struct {
			b   *bolt.Bucket
			key string
		}{{byName, account.NormalizeKey(u.Username)}, {byEmail, account.NormalizeKey(u.Email)}} {
			if ix.b.Get([]byte(ix.key)) != nil {
				continue // a look-alike earlier in the order keeps the key
			}
			if err := ix.b.Put([]byte(ix.key), indexValue(u.UUID)); err != nil {
				return err
			}
		}
	}
	if err := rebuildRank(tx); err != nil {
		return fmt.Errorf("rebuild the rank index: %w", err)
	}
	return tx.Bucket(bucketMeta).Put(keyNameKeys, []byte(nameKeyVersion))
}
