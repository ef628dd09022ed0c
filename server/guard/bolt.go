package guard

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/airt/airt/localstore"
)

// bucketLoginAttempts (server side of the localstore format): limiter key ->
// Record as JSON. Keys hold a normalised username of bounded length and a
// client address, so a flood of names cannot make them large.
var bucketLoginAttempts = []byte("srv_login_attempts")

// BoltStore is the limiter's Store in a server's bbolt file: every
// UpdateAttempts is one write transaction, so bbolt's single writer
// serialises the counting.
type BoltStore struct{ Store *localstore.Store }

// UpdateAttempts implements Store.
func (b BoltStore) UpdateAttempts(keys []string, fn func([]*Record) error) error {
	return b.Store.Update(func(tx *localstore.Tx) error {
		bucket, err := tx.Bucket(bucketLoginAttempts)
		if err != nil {
			return err
		}
		recs := make([]*Record, len(keys))
		for i, k := range keys {
			recs[i] = &Record{}
			if v := bucket.Get([]byte(k)); v != nil {
				if err := json.Unmarshal(v, recs[i]); err != nil {
					// A damaged record counts as none rather than locking
					// the user out for good; the next attempt rewrites it.
					recs[i] = &Record{}
				}
			}
		}
		if err := fn(recs); err != nil {
			return err
		}
		for i, k := range keys {
			if len(recs[i].Times) == 0 {
				if err := bucket.Delete([]byte(k)); err != nil {
					return err
				}
				continue
			}
			v, err := json.Marshal(recs[i])
			if err != nil {
				return fmt.Errorf("encode login attempts: %w", err)
			}
			if err := bucket.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteAttemptsBefore implements Store.
func (b BoltStore) DeleteAttemptsBefore(t time.Time) error {
	return b.Store.Update(func(tx *localstore.Tx) error {
		bucket, err := tx.Bucket(bucketLoginAttempts)
		if err != nil {
			return err
		}
		var expired [][]byte
		err = bucket.ForEach(func(k, v []byte) error {
			var r Record
			if json.Unmarshal(v, &r) != nil || len(r.Times) == 0 || r.Times[len(r.Times)-1].Before(t) {
				expired = append(expired, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := bucket.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
