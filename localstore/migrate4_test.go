package localstore

import (
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
)

// toSchema2Records rewrites the record buckets as schema 2 wrote them
// (plain JSON), so the migration can be tested on a store made by today's
// code.
func toSchema2Records(t *testing.T, tx *bolt.Tx) {
	t.Helper()
	conv := func(name []byte, f func(k, v []byte) any) {
		b := tx.Bucket(name)
		var keys, vals [][]byte
		b.ForEach(func(k, v []byte) error {
			data, err := json.Marshal(f(k, v))
			if err != nil {
				t.Fatal(err)
			}
			keys, vals = append(keys, clone(k)), append(vals, data)
			return nil
		})
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	conv(bucketUsers, func(k, v []byte) any {
		u, err := UnmarshalUser("users", k, v)
		if err != nil {
			t.Fatal(err)
		}
		return u
	})
	conv(bucketOutbox, func(k, v []byte) any {
		p, err := openRecord("outbox", k, v)
		if err != nil {
			t.Fatal(err)
		}
		m, sealed, err := decodeMutation(binary.BigEndian.Uint64(k), p)
		if err != nil {
			t.Fatal(err)
		}
		return struct {
			Mutation
			Sealed []byte `json:"sealed,omitempty"`
		}{m, sealed}
	})
	conv(bucketSessions, func(k, v []byte) any {
		var s Session
		if err := getJSONRecord("sessions", k, v, &s); err != nil {
			t.Fatal(err)
		}
		return s
	})
	for _, name := range [][]byte{bucketByUsername, bucketByEmail, bucketOrder} {
		b := tx.Bucket(name)
		var keys, vals [][]byte
		b.ForEach(func(k, v []byte) error {
			keys, vals = append(keys, clone(k)), append(vals, []byte(indexUUID(v)))
			return nil
		})
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("2")); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationToChecksummedRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airt.db")
	s := openTestStore(t, path)
	admin := mustCreate(t, s, nil, "admin", true)
	for _, n := range []string{"ann", "bob"} {
		mustCreate(t, s, admin, n, false)
	}
	if err := s.Update(func(tx *Tx) error { _, err := tx.NewSession(admin.UUID); return err }); err != nil {
		t.Fatal(err)
	}
	type snapshot struct {
		Users  []any
		Outbox []Mutation
	}
	take := func(s *Store) snapshot {
		var sn snapshot
		s.View(func(tx *Tx) error {
			tx.ForEachUser(func(u *account.User) error { sn.Users = append(sn.Users, *u); return nil })
			return tx.Outbox(0, true, func(m *Mutation) error { sn.Outbox = append(sn.Outbox, *m); return nil })
		})
		return sn
	}
	before := take(s)
	s.db.Update(func(tx *bolt.Tx) error { toSchema2Records(t, tx); return nil })
	s.Close()

	s = openTestStore(t, path)
	defer s.Close()
	checkInvariants(t, s)
	if after := take(s); !reflect.DeepEqual(before, after) {
		t.Errorf("migration changed the store:\nbefore %+v\nafter  %+v", before, after)
	}
	if len(before.Outbox) != 3 || before.Outbox[1].Args.Secrets.PasswordHash == "" {
		t.Errorf("outbox before = %+v", before.Outbox)
	}
}
