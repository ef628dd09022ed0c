package localstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
)

// checkRank verifies that every chunk counts exactly the order keys between
// it and the next chunk, and that both sentinels exist.
func checkRank(t *testing.T, tx *bolt.Tx) {
	t.Helper()
	chunks := tx.Bucket(bucketOrderChunks)
	for _, s := range chunkSentinels {
		if chunks.Get(s) == nil {
			t.Errorf("rank index: sentinel %q missing", s)
		}
	}
	var keys [][]byte
	chunks.ForEach(func(k, _ []byte) error { keys = append(keys, clone(k)); return nil })
	for i, ck := range keys {
		want := binary.BigEndian.Uint32(chunks.Get(ck))
		got := uint32(0)
		c := tx.Bucket(bucketOrder).Cursor()
		for k, _ := c.Seek(ck); k != nil; k, _ = c.Next() {
			if i+1 < len(keys) && bytes.Compare(k, keys[i+1]) >= 0 {
				break
			}
			got++
		}
		if got != want {
			t.Errorf("rank index: chunk %x counts %d keys, holds %d", ck, want, got)
		}
	}
}

// TestRankIndexMatchesWalk creates, disables, renames and re-enables users
// in random order and checks every page of ls against a plain walk.
func TestRankIndexMatchesWalk(t *testing.T) {
	s := newTestStore(t)
	admin := mustCreate(t, s, nil, "admin", true)
	rng := rand.New(rand.NewSource(1))
	var ids []string
	for batch := 0; batch < 6; batch++ {
		err := s.Update(func(tx *Tx) error {
			for i := 0; i < 300; i++ {
				args := createArgs(fmt.Sprintf("u%d_%d", batch, i), false)
				created := testNow.Add(time.Duration(rng.Intn(1000)) * time.Second)
				args.Created = &created
				m := &Mutation{Op: OpCreate, Target: NewUUID(), Args: args}
				if _, err := tx.Apply(admin, m); err != nil {
					return err
				}
				ids = append(ids, m.Target)
			}
			for i := 0; i < 120; i++ {
				id := ids[rng.Intn(len(ids))]
				u, _ := tx.User(id)
				op := OpDisable
				if u.Disabled {
					op = OpEnable
				}
				if _, err := tx.Apply(admin, &Mutation{Op: op, Target: id}); err != nil {
					return err
				}
				if _, err := tx.Apply(admin, &Mutation{Op: OpUpdate, Target: id,
					Args: Args{Username: Str(fmt.Sprintf("r%d_%d", batch, i))}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.View(func(tx *Tx) error {
		checkRank(t, tx.tx)
		for _, disabled := range []bool{false, true} {
			var all []account.User
			prefix := []byte{'a'}
			if disabled {
				prefix = []byte{'d'}
			}
			c := tx.tx.Bucket(bucketOrder).Cursor()
			for k, v := c.Seek(prefix); k != nil && k[0] == prefix[0]; k, v = c.Next() {
				u, _ := tx.User(indexUUID(v))
				all = append(all, *u)
			}
			for _, off := range []int{0, 1, 255, 256, 257, 511, 512, 513, len(all) - 3, len(all), len(all) + 5} {
				page, err := tx.ListUsers(disabled, off, 7)
				if err != nil {
					t.Fatal(err)
				}
				var want []account.User
				if off < len(all) {
					want = all[off:min(off+7, len(all))]
				}
				if len(page) != len(want) {
					t.Fatalf("disabled=%v offset %d: %d users, want %d", disabled, off, len(page), len(want))
				}
				for i := range want {
					if page[i].UUID != want[i].UUID {
						t.Errorf("disabled=%v offset %d: user %d is %s, want %s", disabled, off, i, page[i].Username, want[i].Username)
					}
				}
			}
		}
		return nil
	})
}

func TestMigrationBuildsRankIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airt.db")
	s := openTestStore(t, path)
	admin := mustCreate(t, s, nil, "admin", true)
	for i := 0; i < 600; i++ {
		mustCreate(t, s, admin, fmt.Sprintf("user%03d", i), false)
	}
	// Turn the store back into schema 1: no rank index, JSON records.
	s.db.Update(func(tx *bolt.Tx) error {
		toSchema2Records(t, tx)
		tx.DeleteBucket(bucketOrderChunks)
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("1"))
	})
	s.Close()

	s = openTestStore(t, path)
	defer s.Close()
	checkInvariants(t, s)
	s.View(func(tx *Tx) error {
		if v := string(tx.GetMeta("schema_version")); v != fmt.Sprint(SchemaVersion) {
			t.Errorf("schema_version = %q after migration", v)
		}
		page, _ := tx.ListUsers(false, 600, 5)
		if len(page) != 1 || page[0].Username != "user599" {
			t.Errorf("after migration, offset 600 = %v", page)
		}
		return nil
	})
}

// TestOrderAcrossCenturies: ls lists users by created for any year, not
// only between 1678 and 2262 (where nanoseconds since 1970 fit an int64),
// and a store of schema 2 (order keys in nanoseconds) is migrated.
func TestOrderAcrossCenturies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airt.db")
	s := openTestStore(t, path)
	admin := mustCreate(t, s, nil, "admin", true)
	years := []int{2500, 1, 1969, 1600, 2263, 1970, 2024}
	err := s.Update(func(tx *Tx) error {
		for _, y := range years {
			args := createArgs(fmt.Sprintf("y%04d", y), false)
			created := time.Date(y, 6, 1, 0, 0, 0, 5, time.UTC)
			args.Created = &created
			if _, err := tx.Apply(admin, &Mutation{Op: OpCreate, Target: NewUUID(), Args: args}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"y0001", "y1600", "y1969", "y1970", "y2024", "y2263", "y2500"}
	check := func(s *Store) {
		t.Helper()
		checkInvariants(t, s)
		s.View(func(tx *Tx) error {
			page, err := tx.ListUsers(false, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range page {
				if u.Username != "admin" {
					got = append(got, u.Username)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ls order = %v, want %v", got, want)
			}
			return nil
		})
	}
	check(s)
	// Turn the store back into schema 2: order keys in unix nanoseconds.
	s.db.Update(func(tx *bolt.Tx) error {
		order := tx.Bucket(bucketOrder)
		var keys, vals [][]byte
		order.ForEach(func(k, v []byte) error { keys, vals = append(keys, clone(k)), append(vals, clone(v)); return nil })
		for i, k := range keys {
			order.Delete(k)
			u, _ := (&Tx{tx: tx, s: s}).User(indexUUID(vals[i]))
			old := append([]byte{k[0]}, binary.BigEndian.AppendUint64(nil, uint64(u.Created.UnixNano()))...)
			order.Put(append(old, account.NormalizeKey(u.Username)...), vals[i])
		}
		toSchema2Records(t, tx) // and the JSON records of schema 2
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("2"))
	})
	s.Close()
	s = openTestStore(t, path)
	defer s.Close()
	check(s)
}
