package localstore

import (
	"bytes"
	"strings"

	"github.com/airt/airt/account"
)

// A client store keeps, beside its local view (bucketUsers), the server's
// copy of each user it pulled (sync's srv_copy bucket, sync/layout.go), from
// which the view is rebuilt when changes are pulled or discarded. Most of
// the time the two are the same record: no change to that user is queued.
// The server copy is then kept as a short "same as the local view" record
// (sameAsView) instead of a second copy, and turned back into a full record
// (materialised) before anything changes or deletes the local view's record,
// so it always reads as what the server sent.
var bucketServerCopy = []byte("srv_copy")

// sameAsView is the payload of a server copy that equals the local view.
var sameAsView = []byte{0}

// ServerCopy returns the server's copy of a user (nil when none).
func (t *Tx) ServerCopy(uuid string) (*account.User, error) {
	b := t.tx.Bucket(bucketServerCopy)
	if b == nil {
		return nil, nil
	}
	k := []byte(uuid)
	v := b.Get(k)
	if v == nil {
		return nil, nil
	}
	p, err := openRecord("srv_copy", k, v)
	if err != nil {
		return nil, t.withPath(err)
	}
	if bytes.Equal(p, sameAsView) {
		u, err := t.User(uuid)
		if err != nil {
			return nil, t.Damage("srv_copy record %q refers to a local record that is missing", uuid)
		}
		return u, nil
	}
	return t.DecodeUser("srv_copy", k, v)
}

// PutServerCopy stores u as the server's copy of its user.
func (t *Tx) PutServerCopy(u *account.User) error {
	b, err := t.Bucket(bucketServerCopy)
	if err != nil {
		return err
	}
	return b.Put([]byte(u.UUID), MarshalUser(u))
}

// ShareServerCopy replaces the server copy of uuid by a "same as the local
// view" record when the local view's record is byte for byte the same (sync
// calls it for the users no queued change touches, after a rebuild).
func (t *Tx) ShareServerCopy(uuid string) error {
	b := t.tx.Bucket(bucketServerCopy)
	if b == nil || !t.tx.Writable() {
		return nil
	}
	k := []byte(uuid)
	sc, view := b.Get(k), t.tx.Bucket(bucketUsers).Get(k)
	if sc == nil || view == nil || !bytes.Equal(sc, view) {
		return nil
	}
	return b.Put(k, sealRecord(k, sameAsView))
}

// materializeServerCopy writes the local view's record of uuid out as its
// full server copy when the server copy is "same as the local view", before
// PutUser or DeleteUser changes the view.
func (t *Tx) materializeServerCopy(uuid string) error {
	b := t.tx.Bucket(bucketServerCopy)
	if b == nil {
		return nil
	}
	k := []byte(strings.ToLower(uuid))
	v := b.Get(k)
	if v == nil {
		return nil
	}
	p, err := openRecord("srv_copy", k, v)
	if err != nil {
		return t.withPath(err)
	}
	if !bytes.Equal(p, sameAsView) {
		return nil
	}
	view := t.tx.Bucket(bucketUsers).Get(k)
	if view == nil {
		return t.Damage("srv_copy record %q refers to a local record that is missing", uuid)
	}
	return b.Put(k, clone(view))
}
