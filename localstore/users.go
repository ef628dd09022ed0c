package localstore

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/airt/airt/account"
)

// User returns the user with this uuid, or account.ErrUnknownUUID.
func (t *Tx) User(uuid string) (*account.User, error) {
	k := []byte(strings.ToLower(uuid))
	v := t.tx.Bucket(bucketUsers).Get(k)
	if v == nil {
		return nil, account.ErrUnknownUUID
	}
	u, err := UnmarshalUser("users", k, v)
	if err != nil {
		return nil, t.withPath(err)
	}
	return u, nil
}

// UserByUsername returns the user with this username (case-insensitive), or
// account.ErrUnknownUsername.
func (t *Tx) UserByUsername(name string) (*account.User, error) {
	id := t.tx.Bucket(bucketByUsername).Get([]byte(account.NormalizeKey(name)))
	if id == nil {
		return nil, account.ErrUnknownUsername
	}
	return t.User(indexUUID(id))
}

// UserByEmail returns the user with this email (case-insensitive).
func (t *Tx) UserByEmail(email string) (*account.User, error) {
	id := t.tx.Bucket(bucketByEmail).Get([]byte(account.NormalizeKey(email)))
	if id == nil {
		return nil, account.Errorf(account.KindNotFound, "no user has the email %q", email)
	}
	return t.User(indexUUID(id))
}

// Resolve finds a user named by uuid or by username, matched exactly
// (case-insensitively). A uuid-shaped reference is looked up as a uuid.
func (t *Tx) Resolve(ref string) (*account.User, error) {
	if account.LooksLikeUUID(ref) {
		return t.User(ref)
	}
	return t.UserByUsername(ref)
}

// HasUsers reports whether the store holds any user (an empty store is
// bootstrapped by creating the first super user without a login).
func (t *Tx) HasUsers() bool {
	k, _ := t.tx.Bucket(bucketUsers).Cursor().First()
	return k != nil
}

// CountUsers returns the number of users.
func (t *Tx) CountUsers() int { return t.tx.Bucket(bucketUsers).Stats().KeyN }

// EnabledSuperUsers returns the number of enabled super users.
func (t *Tx) EnabledSuperUsers() int {
	n := 0
	c := t.tx.Bucket(bucketSuperUsers).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// ListUsers returns up to limit users after skipping offset, in creation
// order then username, only the disabled ones or only the enabled ones (as
// the original's `ls --disabled`). The rank index (rank.go) finds the offset
// without walking the users before it.
func (t *Tx) ListUsers(disabled bool, offset, limit int) ([]account.User, error) {
	prefix := []byte{'a'}
	if disabled {
		prefix = []byte{'d'}
	}
	var out []account.User
	c, k, v := seekRank(t.tx, prefix, offset)
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
		u, err := t.User(indexUUID(v))
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, nil
}

// ForEachUser calls fn for every user in `ls` order, enabled users first.
func (t *Tx) ForEachUser(fn func(*account.User) error) error {
	c := t.tx.Bucket(bucketOrder).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		u, err := t.User(indexUUID(v))
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

// orderKey is a user's key in bucketOrder. created is stored as unix
// seconds with the sign bit flipped, then nanoseconds, so that byte order is
// time order for every year (nanoseconds since 1970 in an int64 would only
// cover 1678 to 2262, and a negative one would sort after the positives).
func orderKey(u *account.User) []byte {
	k := make([]byte, 0, 13+len(u.Username))
	if u.Disabled {
		k = append(k, 'd')
	} else {
		k = append(k, 'a')
	}
	k = binary.BigEndian.AppendUint64(k, uint64(u.Created.Unix())^(1<<63))
	k = binary.BigEndian.AppendUint32(k, uint32(u.Created.Nanosecond()))
	return append(k, account.NormalizeKey(u.Username)...)
}

// rebuildOrder rewrites bucketOrder from the users (migration to schema 3,
// whose order keys hold created as seconds and nanoseconds).
func rebuildOrder(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bucketOrder); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	order, err := tx.CreateBucket(bucketOrder)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		var u account.User
		if err := json.Unmarshal(v, &u); err != nil {
			return fmt.Errorf("user %s: %w", k, err)
		}
		return order.Put(orderKey(&u), []byte(u.UUID))
	})
}

// PutUser writes u, keeping every index in step with it. old is the stored
// record u replaces (nil for a new user). Username and email uniqueness is
// checked here, so no path can break it: a taken username or email returns
// account.ErrUserExists (create) or ErrUsernameTaken / ErrEmailTaken (update).
func (t *Tx) PutUser(old, u *account.User) error {
	u.UUID = strings.ToLower(u.UUID)
	byName := t.tx.Bucket(bucketByUsername)
	byEmail := t.tx.Bucket(bucketByEmail)
	nameKey, emailKey := account.NormalizeKey(u.Username), account.NormalizeKey(u.Email)
	ref := indexValue(u.UUID)
	takenBy := func(b *bolt.Bucket, key string) bool {
		id := b.Get([]byte(key))
		return id != nil && !bytes.Equal(id, ref)
	}
	if takenBy(byName, nameKey) {
		if old == nil {
			return account.ErrUserExists
		}
		return account.ErrUsernameTaken
	}
	if takenBy(byEmail, emailKey) {
		if old == nil {
			return account.ErrUserExists
		}
		return account.ErrEmailTaken
	}
	id := []byte(u.UUID)
	if old != nil {
		if err := t.materializeServerCopy(u.UUID); err != nil {
			return err
		}
	}
	if err := t.tx.Bucket(bucketUsers).Put(id, MarshalUser(u)); err != nil {
		return err
	}
	// Only the index entries that change are written: an entry already
	// right is left alone, so that its page stays clean (a sync that takes
	// back 10,000 pushed users, which differ from the local records in
	// their version and creation time, would otherwise rewrite every page
	// of the username and email indexes).
	dropped := func(b *bolt.Bucket, key []byte) error {
		if v := b.Get(key); v != nil && !bytes.Equal(v, ref) {
			return nil // the key belongs to someone else now
		}
		return b.Delete(key)
	}
	point := func(b *bolt.Bucket, oldKey *string, key string) error {
		if oldKey != nil && *oldKey != key {
			if err := dropped(b, []byte(*oldKey)); err != nil {
				return err
			}
		}
		if bytes.Equal(b.Get([]byte(key)), ref) {
			return nil
		}
		return b.Put([]byte(key), ref)
	}
	var oldName, oldEmail *string
	if old != nil {
		n, e := account.NormalizeKey(old.Username), account.NormalizeKey(old.Email)
		oldName, oldEmail = &n, &e
	}
	if err := point(byName, oldName, nameKey); err != nil {
		return err
	}
	if err := point(byEmail, oldEmail, emailKey); err != nil {
		return err
	}
	order, ok := t.tx.Bucket(bucketOrder), orderKey(u)
	if old != nil {
		if was := orderKey(old); !bytes.Equal(was, ok) && order.Get(was) != nil {
			if err := rankDelete(t.tx, was); err != nil {
				return err
			}
			if err := order.Delete(was); err != nil {
				return err
			}
		}
	}
	if v := order.Get(ok); !bytes.Equal(v, ref) {
		if err := order.Put(ok, ref); err != nil {
			return err
		}
		if v == nil {
			if err := rankInsert(t.tx, ok); err != nil {
				return err
			}
		}
	}
	supers := t.tx.Bucket(bucketSuperUsers)
	if u.SuperUser && !u.Disabled {
		if supers.Get(id) == nil {
			return supers.Put(id, nil)
		}
		return nil
	}
	return supers.Delete(id)
}

// SameKeys reports whether u keeps the unique keys (username and email) of
// old, its stored record: PutUser(old, u) then cannot collide with another
// user, whatever order users are written in.
func SameKeys(old, u *account.User) bool {
	return strings.EqualFold(old.UUID, u.UUID) &&
		account.NormalizeKey(old.Username) == account.NormalizeKey(u.Username) &&
		account.NormalizeKey(old.Email) == account.NormalizeKey(u.Email)
}

// DeleteUser removes u and its index entries (sync uses it when a server
// copy replaces a local one).
func (t *Tx) DeleteUser(u *account.User) error {
	if err := t.materializeServerCopy(u.UUID); err != nil {
		return err
	}
	if err := t.dropIndexes(u); err != nil {
		return err
	}
	return t.tx.Bucket(bucketUsers).Delete([]byte(u.UUID))
}

func (t *Tx) dropIndexes(u *account.User) error {
	id, ref := []byte(u.UUID), indexValue(u.UUID)
	del := func(bucket, key []byte) error {
		b := t.tx.Bucket(bucket)
		if v := b.Get(key); v != nil && !bytes.Equal(v, ref) {
			return nil // the key belongs to someone else now
		}
		return b.Delete(key)
	}
	if err := del(bucketByUsername, []byte(account.NormalizeKey(u.Username))); err != nil {
		return err
	}
	if err := del(bucketByEmail, []byte(account.NormalizeKey(u.Email))); err != nil {
		return err
	}
	order := t.tx.Bucket(bucketOrder)
	if ok := orderKey(u); order.Get(ok) != nil {
		if err := rankDelete(t.tx, ok); err != nil {
			return err
		}
		if err := order.Delete(ok); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bucketSuperUsers).Delete(id)
}

// indexValue is how the username, email and order indexes name a user: the
// 16 bytes of its uuid (a uuid that is not in canonical form, which airt
// never writes, as its text).
func indexValue(uuid string) []byte {
	if b, ok := hexID(uuidDigits(uuid)); ok {
		return b
	}
	return []byte(uuid)
}

// indexUUID reads an index value back as a uuid.
func indexUUID(v []byte) string {
	if len(v) != 16 {
		return string(v)
	}
	h := hex.EncodeToString(v)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
