package localstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
)

// migrateRecords (schema 3 -> 4) rewrites every JSON value of schema 3 as a
// checksummed record (record.go): users and sync's server copies in the
// compact user encoding, outbox entries in the compact mutation encoding,
// sessions, SMS send times and the server's JSON values as JSON records;
// the index values (uuids) become the uuid's 16 bytes. This file holds the only
// decoder of the old form.
func migrateRecords(tx *bolt.Tx) error {
	rewrite := func(name []byte, conv func(k, v []byte) ([]byte, error)) error {
		b := tx.Bucket(name)
		if b == nil {
			return nil
		}
		type kv struct{ k, v []byte }
		var out []kv
		err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return nil // a nested bucket
			}
			nv, err := conv(k, v)
			if err != nil {
				return fmt.Errorf("%s record %q: %w", name, printableKey(k), err)
			}
			if nv != nil {
				out = append(out, kv{append([]byte(nil), k...), nv})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range out {
			if err := b.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	}
	user := func(k, v []byte) ([]byte, error) {
		var u account.User
		if err := json.Unmarshal(v, &u); err != nil {
			return nil, err
		}
		u.UUID = string(k)
		return MarshalUser(&u), nil
	}
	jsonRecord := func(k, v []byte) ([]byte, error) {
		if !json.Valid(v) {
			return nil, fmt.Errorf("not JSON")
		}
		return sealRecord(k, v), nil
	}
	if err := rewrite(bucketUsers, user); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketByUsername, bucketByEmail, bucketOrder} {
		if err := rewrite(name, func(_, v []byte) ([]byte, error) { return indexValue(string(v)), nil }); err != nil {
			return err
		}
	}
	if err := rewrite([]byte("srv_copy"), user); err != nil {
		return err
	}
	if err := rewrite(bucketSessions, jsonRecord); err != nil {
		return err
	}
	if err := rewrite(bucketSMS, func(k, v []byte) ([]byte, error) {
		if !bytes.HasSuffix(k, []byte("/sends")) {
			return nil, nil // sealed challenges are authenticated already
		}
		return jsonRecord(k, v)
	}); err != nil {
		return err
	}
	// The server's own buckets of JSON values (server/layout.go) become
	// JSON records; the server reads both JSON and its compact payloads
	// inside a record.
	for _, name := range []string{"srv_changes", "srv_outcomes", "srv_devices", "srv_disabled_tokens"} {
		if err := rewrite([]byte(name), jsonRecord); err != nil {
			return err
		}
	}
	return rewrite(bucketOutbox, func(k, v []byte) ([]byte, error) {
		var old struct {
			Mutation
			Sealed []byte `json:"sealed,omitempty"`
		}
		if err := json.Unmarshal(v, &old); err != nil {
			return nil, err
		}
		old.Seq = binary.BigEndian.Uint64(k)
		return sealRecord(k, encodeMutation(&old.Mutation, old.Sealed)), nil
	})
}
