package localstore

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The rank index lets `ls --offset N` find its page without walking the N
// users before it. bucketOrderChunks cuts the `ls` order (bucketOrder) into
// chunks: each key is the first order key of a chunk (or a state sentinel,
// "a" or "d", that starts the first chunk of each state) and its value is the
// number of order keys in the chunk, as a big-endian uint32. An offset is
// found by summing chunk counts, then stepping at most one chunk's keys, so
// the cost grows with users/chunkSize + chunkSize rather than with the
// offset. Chunks split when they pass 2*chunkSize keys and disappear when
// they are empty; that keeps them between 1 and 2*chunkSize keys in the
// common case of users appended in creation order.
const chunkSize = 256

var chunkSentinels = [][]byte{{'a'}, {'d'}}

func countBytes(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// chunkOf returns the key of the chunk that holds order key k.
func chunkOf(chunks *bolt.Bucket, k []byte) []byte {
	c := chunks.Cursor()
	ck, _ := c.Seek(k)
	if ck == nil || !bytes.Equal(ck, k) {
		ck, _ = c.Prev()
	}
	return ck
}

// rankInsert counts order key k into its chunk, splitting a full chunk.
func rankInsert(tx *bolt.Tx, k []byte) error {
	chunks := tx.Bucket(bucketOrderChunks)
	ck := chunkOf(chunks, k)
	if ck == nil {
		return fmt.Errorf("rank index: no chunk for key %x", k)
	}
	ck = clone(ck)
	n := binary.BigEndian.Uint32(chunks.Get(ck)) + 1
	if n <= 2*chunkSize {
		return chunks.Put(ck, countBytes(n))
	}
	// Split: the chunkSize-th key after the chunk's start begins a new chunk.
	c := tx.Bucket(bucketOrder).Cursor()
	key, _ := c.Seek(ck)
	for i := 0; i < chunkSize && key != nil; i++ {
		key, _ = c.Next()
	}
	if key == nil {
		return fmt.Errorf("rank index: chunk %x holds fewer keys than counted", ck)
	}
	if err := chunks.Put(ck, countBytes(chunkSize)); err != nil {
		return err
	}
	return chunks.Put(clone(key), countBytes(n-chunkSize))
}

// rankDelete uncounts order key k; k must still be in bucketOrder.
func rankDelete(tx *bolt.Tx, k []byte) error {
	chunks := tx.Bucket(bucketOrderChunks)
	ck := clone(chunkOf(chunks, k))
	if ck == nil {
		return fmt.Errorf("rank index: no chunk for key %x", k)
	}
	n := binary.BigEndian.Uint32(chunks.Get(ck))
	if n == 0 {
		return fmt.Errorf("rank index: chunk %x is already empty", ck)
	}
	n--
	if n == 0 && len(ck) > 1 { // sentinels stay
		return chunks.Delete(ck)
	}
	if n == 0 || !bytes.Equal(ck, k) {
		return chunks.Put(ck, countBytes(n))
	}
	// The chunk's first key goes: the chunk now starts at the next key,
	// which is in the same chunk since it held more than one.
	c := tx.Bucket(bucketOrder).Cursor()
	c.Seek(k)
	next, _ := c.Next()
	if next == nil {
		return fmt.Errorf("rank index: chunk %x counts keys past the end", ck)
	}
	if err := chunks.Delete(ck); err != nil {
		return err
	}
	return chunks.Put(clone(next), countBytes(n))
}

// seekRank returns a cursor on bucketOrder positioned at the offset-th key
// (0-based) with the given state prefix, and that key (nil past the end).
func seekRank(tx *bolt.Tx, prefix []byte, offset int) (*bolt.Cursor, []byte, []byte) {
	chunks := tx.Bucket(bucketOrderChunks).Cursor()
	start := prefix
	skipped := 0
	for ck, v := chunks.Seek(prefix); ck != nil && ck[0] == prefix[0]; ck, v = chunks.Next() {
		n := int(binary.BigEndian.Uint32(v))
		if skipped+n > offset {
			start = ck
			break
		}
		skipped += n
		start = nil
	}
	c := tx.Bucket(bucketOrder).Cursor()
	if start == nil {
		return c, nil, nil
	}
	k, v := c.Seek(start)
	for ; k != nil && bytes.HasPrefix(k, prefix) && skipped < offset; k, v = c.Next() {
		skipped++
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return c, nil, nil
	}
	return c, k, v
}

// rebuildRank recomputes the rank index from bucketOrder (migration to
// schema 2, and repair).
func rebuildRank(tx *bolt.Tx) error {
	if tx.Bucket(bucketOrderChunks) != nil {
		if err := tx.DeleteBucket(bucketOrderChunks); err != nil {
			return err
		}
	}
	chunks, err := tx.CreateBucket(bucketOrderChunks)
	if err != nil {
		return err
	}
	for _, sentinel := range chunkSentinels {
		cur := sentinel
		n := uint32(0)
		c := tx.Bucket(bucketOrder).Cursor()
		for k, _ := c.Seek(sentinel); k != nil && k[0] == sentinel[0]; k, _ = c.Next() {
			if n == chunkSize {
				if err := chunks.Put(cur, countBytes(n)); err != nil {
					return err
				}
				cur, n = clone(k), 0
			}
			n++
		}
		if err := chunks.Put(cur, countBytes(n)); err != nil {
			return err
		}
	}
	return nil
}
