package localstore

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/airt/airt/account"
	"github.com/airt/airt/otp"
)

// decodeOutboxEntry reads the outbox record at key k: the mutation and its
// secrets, still sealed with the store key (additional data: the mutation
// id).
func (t *Tx) decodeOutboxEntry(k, v []byte) (Mutation, []byte, error) {
	p, err := openRecord("outbox", k, v)
	if err != nil {
		return Mutation{}, nil, t.withPath(err)
	}
	m, sealed, err := decodeMutation(binary.BigEndian.Uint64(k), p)
	if err != nil {
		return Mutation{}, nil, t.withPath(&DamageError{Detail: fmt.Sprintf("outbox record %d: %v", binary.BigEndian.Uint64(k), err)})
	}
	return m, sealed, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// NewMutationID returns a random 128-bit hex id.
func NewMutationID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// Change applies m as actor (Apply's rules) and queues it in the outbox, in
// this transaction: the one way a local change is made, so a user change
// and its outbox entry always commit together or not at all. It records
// actor as m.Actor.
func (t *Tx) Change(actor *account.User, m *Mutation) (*account.User, error) {
	if actor != nil {
		m.Actor = actor.UUID
	}
	u, err := t.Apply(actor, m)
	if err != nil {
		return nil, err
	}
	if err := t.Enqueue(m); err != nil {
		return nil, err
	}
	return u, nil
}

// Enqueue appends m to the outbox in this transaction, giving it the next
// sequence number, the store id, an id and a creation time when missing.
// A new change goes through Change; Enqueue alone re-queues a change that
// is already applied to the local view (sync's keep-local).
func (t *Tx) Enqueue(m *Mutation) error {
	ob := t.tx.Bucket(bucketOutbox)
	seq, err := ob.NextSequence()
	if err != nil {
		return fmt.Errorf("outbox sequence: %w", err)
	}
	m.Seq = seq
	m.StoreID = t.s.id
	if m.ID == "" {
		m.ID = NewMutationID()
	}
	if m.Created.IsZero() {
		m.Created = t.Now()
	}
	return t.putMutation(m)
}

func (t *Tx) putMutation(m *Mutation) error {
	var sealed []byte
	if !m.Args.Secrets.IsZero() {
		key, err := t.Key()
		if err != nil {
			return err
		}
		clear, err := json.Marshal(m.Args.Secrets)
		if err != nil {
			return err
		}
		if sealed, err = otp.Seal(key, clear, []byte(m.ID)); err != nil {
			return fmt.Errorf("seal mutation %s: %w", m.ID, err)
		}
	}
	k := seqKey(m.Seq)
	return t.tx.Bucket(bucketOutbox).Put(k, sealRecord(k, encodeMutation(m, sealed)))
}

// UpdateMutation rewrites a queued mutation (its State and Reason).
func (t *Tx) UpdateMutation(m *Mutation) error { return t.putMutation(m) }

// DeleteMutation removes mutation seq from the outbox (after the server
// applied it, or on `sync discard`).
func (t *Tx) DeleteMutation(seq uint64) error {
	return t.tx.Bucket(bucketOutbox).Delete(seqKey(seq))
}

// Outbox calls fn for each queued mutation in order, starting after seq
// `after`. With withSecrets the sealed secrets are opened (needs the key).
// fn returning ErrStop ends the walk without error.
func (t *Tx) Outbox(after uint64, withSecrets bool, fn func(*Mutation) error) error {
	c := t.tx.Bucket(bucketOutbox).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		m, sealed, err := t.decodeOutboxEntry(k, v)
		if err != nil {
			return err
		}
		if withSecrets && sealed != nil {
			key, err := t.Key()
			if err != nil {
				return err
			}
			clear, err := otp.Open(key, sealed, []byte(m.ID))
			if err != nil {
				return fmt.Errorf("outbox entry %d: %w", m.Seq, err)
			}
			if err := json.Unmarshal(clear, &m.Args.Secrets); err != nil {
				return err
			}
		}
		if err := fn(&m); err != nil {
			if err == ErrStop {
				return nil
			}
			return err
		}
	}
	return nil
}

// ErrStop ends a walk early without an error.
var ErrStop = fmt.Errorf("stop")

// OutboxLen returns the number of queued mutations.
func (t *Tx) OutboxLen() int { return t.tx.Bucket(bucketOutbox).Stats().KeyN }

// OutboxSequence returns the last sequence number given to a mutation.
func (t *Tx) OutboxSequence() uint64 { return t.tx.Bucket(bucketOutbox).Sequence() }

// AdvanceOutboxSequence makes the next mutation's sequence number greater
// than n (sync calls it when the server has processed numbers this store no
// longer remembers giving: a store restored from an older copy must not reuse
// them).
func (t *Tx) AdvanceOutboxSequence(n uint64) error {
	b := t.tx.Bucket(bucketOutbox)
	if b.Sequence() >= n {
		return nil
	}
	return b.SetSequence(n)
}
