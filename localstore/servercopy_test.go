package localstore

import (
	"bytes"
	"reflect"
	"testing"
)

// TestServerCopySharedUntilChanged: a server copy equal to the local view
// is kept once, and reads back the same before and after the local view
// changes or goes.
func TestServerCopySharedUntilChanged(t *testing.T) {
	s := newTestStore(t)
	admin := mustCreate(t, s, nil, "admin", true)
	ann := mustCreate(t, s, admin, "ann", false)
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutServerCopy(ann); err != nil {
			return err
		}
		if err := tx.ShareServerCopy(ann.UUID); err != nil {
			return err
		}
		v := tx.tx.Bucket(bucketServerCopy).Get([]byte(ann.UUID))
		if !bytes.Equal(v[5:], sameAsView) {
			t.Errorf("server copy equal to the view is stored in full (%d bytes)", len(v))
		}
		sc, err := tx.ServerCopy(ann.UUID)
		if err != nil || !reflect.DeepEqual(sc, ann) {
			t.Errorf("shared server copy = %+v, %v", sc, err)
		}
		// A local change keeps the server's version.
		if _, err := tx.Change(admin, &Mutation{Op: OpUpdate, Target: ann.UUID, Args: Args{FirstName: Str("Changed")}}); err != nil {
			return err
		}
		sc, err = tx.ServerCopy(ann.UUID)
		if err != nil || !reflect.DeepEqual(sc, ann) {
			t.Errorf("server copy after a local change = %+v, %v", sc, err)
		}
		// Sharing a copy that differs from the view does nothing.
		if err := tx.ShareServerCopy(ann.UUID); err != nil {
			return err
		}
		if sc, _ := tx.ServerCopy(ann.UUID); sc.FirstName != ann.FirstName {
			t.Errorf("a differing server copy was shared")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Deleting the view keeps a shared copy readable.
	bob := mustCreate(t, s, admin, "bob", false)
	err = s.Update(func(tx *Tx) error {
		if err := tx.PutServerCopy(bob); err != nil {
			return err
		}
		if err := tx.ShareServerCopy(bob.UUID); err != nil {
			return err
		}
		if err := tx.DeleteUser(bob); err != nil {
			return err
		}
		sc, err := tx.ServerCopy(bob.UUID)
		if err != nil || !reflect.DeepEqual(sc, bob) {
			t.Errorf("server copy after the view was deleted = %+v, %v", sc, err)
		}
		return tx.PutUser(nil, sc) // leave the invariants whole
	})
	if err != nil {
		t.Fatal(err)
	}
}
