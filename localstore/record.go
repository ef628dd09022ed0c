package localstore

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"time"

	"github.com/airt/airt/account"
)

// Every value airt writes to a bucket of records (users, outbox, sessions,
// sms, and sync's server copy) is a checksummed record (schema 4):
//
//	0xA7 | CRC-32C (4 bytes, big-endian) of key + payload | payload
//
// The checksum covers the key as well, so a value that moved to another key
// is caught like a flipped bit. A record that fails it is reported as damage
// (DamageError) and never decoded. Users and mutations have a compact binary
// payload (below); the small buckets keep JSON payloads.
const recordMark = 0xA7

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func recordSum(key, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, payload)
}

// sealRecord wraps payload for key.
func sealRecord(key, payload []byte) []byte {
	out := make([]byte, 5, 5+len(payload))
	out[0] = recordMark
	binary.BigEndian.PutUint32(out[1:], recordSum(key, payload))
	return append(out, payload...)
}

// openRecord checks v, stored under key in bucket, and returns its payload
// (pointing into v).
func openRecord(bucket string, key, v []byte) ([]byte, error) {
	if len(v) < 5 || v[0] != recordMark {
		return nil, &DamageError{Detail: fmt.Sprintf("%s record %q is not a record airt wrote", bucket, printableKey(key))}
	}
	p := v[5:]
	if binary.BigEndian.Uint32(v[1:]) != recordSum(key, p) {
		return nil, &DamageError{Detail: fmt.Sprintf("%s record %q fails its checksum", bucket, printableKey(key))}
	}
	return p, nil
}

// printableKey shows a key in an error: text keys as they are, binary ones
// (sequence numbers) as hex.
func printableKey(k []byte) string {
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			if len(k) == 8 {
				return fmt.Sprint(binary.BigEndian.Uint64(k))
			}
			return fmt.Sprintf("%x", k)
		}
	}
	return string(k)
}

// withPath fills in the store's path on a DamageError from a decoder.
func (t *Tx) withPath(err error) error {
	var de *DamageError
	if errors.As(err, &de) && de.Path == "" {
		de.Path = t.s.path
	}
	return err
}

// putJSONRecord and getJSONRecord keep a JSON value as a record.
func putJSONRecord(key []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return sealRecord(key, data), nil
}

func getJSONRecord(bucket string, key, v []byte, dst any) error {
	p, err := openRecord(bucket, key, v)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, dst); err != nil {
		return &DamageError{Detail: fmt.Sprintf("%s record %q: %v", bucket, printableKey(key), err)}
	}
	return nil
}

// The user payload, version 1, in this order (str: uvarint length + bytes;
// time: 0 for the zero time, else 1 + varint seconds + uvarint nanoseconds,
// UTC; the uuid is the record's key):
//
//	1 (payload version) | username | email | first_name | last_name |
//	subscription_type | flags (1 super user, 2 disabled, 4 phone verified,
//	8 has MFA, 16 MFA active) | created | phone | password_hash (enc.
//	passwordHash) |
//	[if MFA: sealed secret (str) | last step (uvarint) | failures (uvarint) |
//	locked until (time)] | SSO count (uvarint) + provider, email (str) each,
//	sorted | version (uvarint) | updated (time)
const userPayloadV1 = 1

const (
	flagSuper = 1 << iota
	flagDisabled
	flagPhoneVerified
	flagHasMFA
	flagMFAActive
)

type enc struct{ b []byte }

func (e *enc) str(s string) { e.b = binary.AppendUvarint(e.b, uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(s []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *enc) uvarint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.b = binary.AppendUvarint(e.b, uint64(t.Nanosecond()))
}

// id writes a random id compactly: a 32-digit lower-case hex id (mutation
// and store ids) or a lower-case uuid as a tag and its 16 bytes, anything
// else as tag 0 and the text.
func (e *enc) id(s string) {
	if b, ok := hexID(s); ok {
		e.b = append(e.b, 1)
		e.b = append(e.b, b...)
	} else if b, ok := hexID(uuidDigits(s)); ok && len(s) == 36 {
		e.b = append(e.b, 2)
		e.b = append(e.b, b...)
	} else {
		e.b = append(e.b, 0)
		e.str(s)
	}
}

// uuidDigits returns the 32 digits of a uuid-shaped s ("" when not).
func uuidDigits(s string) string {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return ""
	}
	return s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
}

// hexID decodes 32 lower-case hex digits.
func hexID(s string) ([]byte, bool) {
	if len(s) != 32 {
		return nil, false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, false
		}
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

func (d *dec) id() string {
	switch d.byte() {
	case 0:
		return d.str()
	case 1:
		return hex.EncodeToString(d.fixed(16))
	case 2:
		h := hex.EncodeToString(d.fixed(16))
		if d.err != nil {
			return ""
		}
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	if d.err == nil {
		d.err = errors.New("bad id tag")
	}
	return ""
}

func (d *dec) fixed(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.err = errShort
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

// dec reads what enc wrote; the first error sticks and every later read
// returns zero values, so a decoder checks err once at the end.
type dec struct {
	b   []byte
	err error
}

var errShort = errors.New("record ends early")

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *dec) varint() int64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *dec) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errShort
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *dec) raw() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *dec) str() string { return string(d.raw()) }

func (d *dec) bytes() []byte {
	r := d.raw()
	if r == nil {
		return nil
	}
	return append([]byte(nil), r...)
}

func (d *dec) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
		sec := d.varint()
		nsec := d.uvarint()
		if nsec >= 1e9 {
			d.err = errors.New("bad time")
		}
		return time.Unix(sec, int64(nsec)).UTC()
	}
	if d.err == nil {
		d.err = errors.New("bad time")
	}
	return time.Time{}
}

func (d *dec) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("bytes after the record's end")
	}
	return d.err
}

func encodeUser(u *account.User) []byte {
	e := enc{b: make([]byte, 0, 192)}
	e.b = append(e.b, userPayloadV1)
	e.str(u.Username)
	e.str(u.Email)
	e.str(u.FirstName)
	e.str(u.LastName)
	e.str(u.SubscriptionType)
	var f byte
	if u.SuperUser {
		f |= flagSuper
	}
	if u.Disabled {
		f |= flagDisabled
	}
	if u.PhoneVerified {
		f |= flagPhoneVerified
	}
	if u.MFA != nil {
		f |= flagHasMFA
		if u.MFA.Active {
			f |= flagMFAActive
		}
	}
	e.b = append(e.b, f)
	e.time(u.Created)
	e.str(u.Phone)
	e.passwordHash(u.PasswordHash)
	if u.MFA != nil {
		e.bytes(u.MFA.SealedSecret)
		e.uvarint(u.MFA.LastStep)
		e.uvarint(uint64(max(u.MFA.Failures, 0)))
		e.time(u.MFA.LockedUntil)
	}
	providers := make([]string, 0, len(u.SSO))
	for p := range u.SSO {
		providers = append(providers, p)
	}
	slices.Sort(providers)
	e.uvarint(uint64(len(providers)))
	for _, p := range providers {
		e.str(p)
		e.str(u.SSO[p])
	}
	e.uvarint(u.Version)
	e.time(u.Updated)
	return e.b
}

func decodeUser(uuid string, p []byte) (*account.User, error) {
	d := dec{b: p}
	if v := d.byte(); d.err == nil && v != userPayloadV1 {
		return nil, fmt.Errorf("user payload version %d is unknown", v)
	}
	u := &account.User{UUID: uuid}
	u.Username = d.str()
	u.Email = d.str()
	u.FirstName = d.str()
	u.LastName = d.str()
	u.SubscriptionType = d.str()
	f := d.byte()
	u.SuperUser = f&flagSuper != 0
	u.Disabled = f&flagDisabled != 0
	u.PhoneVerified = f&flagPhoneVerified != 0
	u.Created = d.time()
	u.Phone = d.str()
	u.PasswordHash = d.passwordHash()
	if f&flagHasMFA != 0 {
		m := &account.MFA{Active: f&flagMFAActive != 0}
		m.SealedSecret = d.bytes()
		m.LastStep = d.uvarint()
		m.Failures = int(d.uvarint())
		m.LockedUntil = d.time()
		u.MFA = m
	}
	if n := d.uvarint(); n > 0 {
		if n > uint64(len(d.b)) {
			return nil, errShort
		}
		u.SSO = make(map[string]string, n)
		for range n {
			k := d.str()
			u.SSO[k] = d.str()
		}
	}
	u.Version = d.uvarint()
	u.Updated = d.time()
	if err := d.end(); err != nil {
		return nil, err
	}
	return u, nil
}

// MarshalUser returns u as a checksummed record, for a bucket keyed by its
// uuid (the users bucket, and sync's server copy).
func MarshalUser(u *account.User) []byte {
	return sealRecord([]byte(u.UUID), encodeUser(u))
}

// UnmarshalUser decodes a record MarshalUser wrote under key, reporting a
// failed checksum or a malformed record as a DamageError.
func UnmarshalUser(bucket string, key, v []byte) (*account.User, error) {
	p, err := openRecord(bucket, key, v)
	if err != nil {
		return nil, err
	}
	u, err := decodeUser(string(key), p)
	if err != nil {
		return nil, &DamageError{Detail: fmt.Sprintf("%s record %q: %v", bucket, printableKey(key), err)}
	}
	return u, nil
}

// The outbox payload, version 1 (same primitives as the user's):
//
//	1 | id | store id | op | target | actor | base version (uvarint) |
//	(ids, the target and the actor as enc.id: tag + 16 bytes)
//	created (time) | state | reason | args: presence bits (uvarint: 1
//	username, 2 email, 4 first name, 8 last name, 16 subscription, 32 super
//	user, 64 phone, 128 created) then each present value in that order |
//	step (uvarint) | provider | sso email | sealed secrets (bytes)
//
// The sequence number is the key.
const mutationPayloadV1 = 1

func encodeMutation(m *Mutation, sealed []byte) []byte {
	e := enc{b: make([]byte, 0, 256)}
	e.b = append(e.b, mutationPayloadV1)
	e.id(m.ID)
	e.id(m.StoreID)
	e.str(string(m.Op))
	e.id(m.Target)
	e.id(m.Actor)
	e.uvarint(m.BaseVersion)
	e.time(m.Created)
	e.str(m.State)
	e.str(m.Reason)
	a := &m.Args
	strs := []*string{a.Username, a.Email, a.FirstName, a.LastName, a.SubscriptionType}
	var bits uint64
	for i, p := range strs {
		if p != nil {
			bits |= 1 << i
		}
	}
	if a.SuperUser != nil {
		bits |= 32
	}
	if a.Phone != nil {
		bits |= 64
	}
	if a.Created != nil {
		bits |= 128
	}
	e.uvarint(bits)
	for _, p := range strs {
		if p != nil {
			e.str(*p)
		}
	}
	if a.SuperUser != nil {
		if *a.SuperUser {
			e.b = append(e.b, 1)
		} else {
			e.b = append(e.b, 0)
		}
	}
	if a.Phone != nil {
		e.str(*a.Phone)
	}
	if a.Created != nil {
		e.time(*a.Created)
	}
	e.uvarint(a.Step)
	e.str(a.Provider)
	e.str(a.SSOEmail)
	e.bytes(sealed)
	return e.b
}

func decodeMutation(seq uint64, p []byte) (m Mutation, sealed []byte, err error) {
	d := dec{b: p}
	if v := d.byte(); d.err == nil && v != mutationPayloadV1 {
		return m, nil, fmt.Errorf("outbox payload version %d is unknown", v)
	}
	m.Seq = seq
	m.ID = d.id()
	m.StoreID = d.id()
	m.Op = Op(d.str())
	m.Target = d.id()
	m.Actor = d.id()
	m.BaseVersion = d.uvarint()
	m.Created = d.time()
	m.State = d.str()
	m.Reason = d.str()
	a := &m.Args
	bits := d.uvarint()
	for i, dst := range []**string{&a.Username, &a.Email, &a.FirstName, &a.LastName, &a.SubscriptionType} {
		if bits&(1<<i) != 0 {
			s := d.str()
			*dst = &s
		}
	}
	if bits&32 != 0 {
		b := d.byte() == 1
		a.SuperUser = &b
	}
	if bits&64 != 0 {
		s := d.str()
		a.Phone = &s
	}
	if bits&128 != 0 {
		t := d.time()
		a.Created = &t
	}
	a.Step = d.uvarint()
	a.Provider = d.str()
	a.SSOEmail = d.str()
	sealed = d.bytes()
	if len(sealed) == 0 {
		sealed = nil
	}
	return m, sealed, d.end()
}

// DecodeUser is UnmarshalUser for a bucket of this store (sync's server
// copy): damage is reported with the store's path.
func (t *Tx) DecodeUser(bucket string, key, v []byte) (*account.User, error) {
	u, err := UnmarshalUser(bucket, key, v)
	return u, t.withPath(err)
}

// SealRecord returns payload as a checksummed record for key, for packages
// that keep their own buckets in the store (the server's history,
// outcomes, devices and revoked tokens).
func SealRecord(key, payload []byte) []byte { return sealRecord(key, payload) }

// OpenRecord checks a record SealRecord wrote under key in bucket and
// returns its payload; a failed checksum is a DamageError naming the store.
func (t *Tx) OpenRecord(bucket string, key, v []byte) ([]byte, error) {
	p, err := openRecord(bucket, key, v)
	return p, t.withPath(err)
}

// SealJSON is SealRecord of v's JSON encoding.
func SealJSON(key []byte, v any) ([]byte, error) { return putJSONRecord(key, v) }

// OpenJSON decodes a record SealJSON wrote into dst.
func (t *Tx) OpenJSON(bucket string, key, v []byte, dst any) error {
	return t.withPath(getJSONRecord(bucket, key, v, dst))
}

// Damage returns a DamageError naming this store, for a record of another
// package's bucket that passed its checksum but does not decode.
func (t *Tx) Damage(format string, args ...any) error {
	return t.s.damaged(format, args...)
}

// passwordHash writes an argon2id PHC string ("$argon2id$v=19$m=…,t=…,p=…$
// salt$key", base64 without padding) as tag 1, its four parameters and the
// raw salt and key, 45 bytes fewer than its text; anything else (bcrypt, an
// argon2id string in another spelling) as tag 0 and its text. The binary
// form is used only when it gives back the very same string.
func (e *enc) passwordHash(h string) {
	if v, m, t, p, salt, key, ok := parseArgon2id(h); ok && formatArgon2id(v, m, t, p, salt, key) == h {
		e.b = append(e.b, 1)
		e.uvarint(v)
		e.uvarint(m)
		e.uvarint(t)
		e.uvarint(p)
		e.bytes(salt)
		e.bytes(key)
		return
	}
	e.b = append(e.b, 0)
	e.str(h)
}

func (d *dec) passwordHash() string {
	switch d.byte() {
	case 0:
		return d.str()
	case 1:
		v, m, t, p := d.uvarint(), d.uvarint(), d.uvarint(), d.uvarint()
		salt, key := d.raw(), d.raw()
		if d.err != nil {
			return ""
		}
		return formatArgon2id(v, m, t, p, salt, key)
	}
	if d.err == nil {
		d.err = errors.New("bad password hash tag")
	}
	return ""
}

var phcBase64 = base64.RawStdEncoding

func formatArgon2id(v, m, t, p uint64, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", v, m, t, p,
		phcBase64.EncodeToString(salt), phcBase64.EncodeToString(key))
}

func parseArgon2id(h string) (v, m, t, p uint64, salt, key []byte, ok bool) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil {
		return
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return
	}
	var err error
	if salt, err = phcBase64.DecodeString(parts[4]); err != nil {
		return
	}
	if key, err = phcBase64.DecodeString(parts[5]); err != nil {
		return
	}
	return v, m, t, p, salt, key, true
}
