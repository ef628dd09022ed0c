package server

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// The server's records are checksummed (localstore.SealRecord). A change
// (bucketChanges), written once per applied mutation, has a compact payload:
//
//	1 | id | uuid | store | seq (uvarint) | mutation | fields
//
// where id, uuid, store and mutation are hex ids written as their bytes
// (a length and the text when not hex), and fields is a bit set over
// knownFields (uvarint) followed by a count and the text of any other field
// ("sso:google"). A payload starting with '{' is a change as schema 3 wrote
// it (JSON), kept readable for stores migrated from it.
const changePayloadV1 = 1

var knownFields = []string{"*", "username", "email", "first_name", "last_name", "subscription_type",
	"super_user", "phone_number", "password", "created", "disabled", "mfa", "mfa_step"}

func encodeChange(ch change) []byte {
	b := make([]byte, 0, 96)
	b = append(b, changePayloadV1)
	b = appendHexID(b, ch.ID)
	b = appendHexID(b, ch.UUID)
	b = appendHexID(b, ch.Store)
	b = binary.AppendUvarint(b, ch.Seq)
	b = appendHexID(b, ch.Mutation)
	var bits uint64
	var other []string
	for _, f := range ch.Fields {
		if i := indexOf(knownFields, f); i >= 0 {
			bits |= 1 << i
		} else {
			other = append(other, f)
		}
	}
	b = binary.AppendUvarint(b, bits)
	b = binary.AppendUvarint(b, uint64(len(other)))
	for _, f := range other {
		b = appendText(b, f)
	}
	return b
}

var errBadChange = errors.New("malformed change record")

func decodeChange(p []byte) (change, error) {
	var ch change
	if len(p) > 0 && p[0] == '{' {
		err := json.Unmarshal(p, &ch)
		return ch, err
	}
	if len(p) == 0 || p[0] != changePayloadV1 {
		return ch, errBadChange
	}
	r := reader{b: p[1:]}
	ch.ID = r.hexID()
	ch.UUID = r.hexID()
	ch.Store = r.hexID()
	ch.Seq = r.uvarint()
	ch.Mutation = r.hexID()
	bits := r.uvarint()
	ch.Fields = []string{}
	for i, f := range knownFields {
		if bits&(1<<i) != 0 {
			ch.Fields = append(ch.Fields, f)
		}
	}
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return ch, errBadChange
	}
	for range n {
		ch.Fields = append(ch.Fields, r.text())
	}
	if r.bad || len(r.b) != 0 {
		return ch, errBadChange
	}
	return ch, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// appendHexID writes a lower-case hex id (dashes of a uuid allowed) as tag 1
// or 2 and its bytes, anything else as tag 0 and its text.
func appendHexID(b []byte, s string) []byte {
	digits, tag := s, byte(1)
	if len(s) == 36 && strings.Count(s, "-") == 4 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		digits, tag = strings.ReplaceAll(s, "-", ""), 2
	}
	if raw, err := hex.DecodeString(digits); err == nil && len(digits) > 0 && len(digits) <= 64 && digits == strings.ToLower(digits) {
		b = append(b, tag, byte(len(raw)))
		return append(b, raw...)
	}
	return appendText(append(b, 0), s)
}

func appendText(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint() uint64 {
	n, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *reader) take(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) text() string { return string(r.take(r.uvarint())) }

func (r *reader) hexID() string {
	tag := r.take(1)
	if r.bad {
		return ""
	}
	switch tag[0] {
	case 0:
		return r.text()
	case 1, 2:
		n := r.take(1)
		if r.bad {
			return ""
		}
		h := hex.EncodeToString(r.take(uint64(n[0])))
		if tag[0] == 2 {
			if len(h) != 32 {
				r.bad = true
				return ""
			}
			h = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		}
		return h
	}
	r.bad = true
	return ""
}

// ForEachChange calls fn with the revision, pushing store and mutation id of
// every change in a bbolt server store's history, in revision order (tests
// and tools read the history through it, not through its encoding).
func ForEachChange(tx *localstore.Tx, fn func(rev uint64, store, mutation string) error) error {
	b, err := tx.Bucket(bucketChanges)
	if err != nil || b == nil {
		return err
	}
	bt := &boltTx{Tx: tx}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		ch, err := bt.changeFrom(k, v)
		if err != nil {
			return err
		}
		if err := fn(ch.Rev, ch.Store, ch.Mutation); err != nil {
			return err
		}
	}
	return nil
}

// An outcome (bucketOutcomes) of an applied mutation, nearly every one, has
// a compact payload: 1 | mutation id | seq (uvarint) | version (uvarint).
// Rejections and conflicts, which carry reasons and values, stay JSON.
const outcomeAppliedV1 = 1

func encodeOutcome(r usersync.Result) ([]byte, error) {
	if r.Outcome == usersync.Applied && r.Reason == "" && len(r.Fields) == 0 && r.Server == nil && r.Local == nil {
		b := []byte{outcomeAppliedV1}
		b = appendHexID(b, r.ID)
		b = binary.AppendUvarint(b, r.Seq)
		return binary.AppendUvarint(b, r.Version), nil
	}
	return json.Marshal(r)
}

func decodeOutcome(p []byte) (usersync.Result, error) {
	var r usersync.Result
	if len(p) > 0 && p[0] == '{' {
		err := json.Unmarshal(p, &r)
		return r, err
	}
	if len(p) == 0 || p[0] != outcomeAppliedV1 {
		return r, errors.New("malformed outcome record")
	}
	rd := reader{b: p[1:]}
	r.Outcome = usersync.Applied
	r.ID = rd.hexID()
	r.Seq = rd.uvarint()
	r.Version = rd.uvarint()
	if rd.bad || len(rd.b) != 0 {
		return r, errors.New("malformed outcome record")
	}
	return r, nil
}
