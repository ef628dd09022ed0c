package sync_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/airt/airt/internal/storetest"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/server"
	usersync "github.com/airt/airt/sync"
)

// TestTakeOwnInterrupted: a push of five creates whose server records come
// back two per transaction, stopped (as by a kill) after the second of the
// three transactions. The store is then consistent with its cursor where it
// was: four users carry their server version, the fifth its local one, none
// is queued. The next pull takes the changes again as the store's own, and
// leaves every user as the server has it and the cursor at the head.
func TestTakeOwnInterrupted(t *testing.T) {
	ctx := context.Background()
	srvDB := storetest.Open(t, "server")
	if err := srvDB.Update(func(tx *localstore.Tx) error {
		_, err := tx.Apply(nil, storetest.CreateMutation("admin", true))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st, err := server.OpenBolt(srvDB)
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(server.NewServer(st, server.Options{}))
	defer h.Close()
	c := &usersync.Client{URL: h.URL, Retries: -1}
	login, err := c.Login(ctx, usersync.LoginRequest{Username: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = login.Token
	a := &usersync.Engine{Store: storetest.Open(t, "a"), Client: c, OwnChunk: 2}
	if _, err := a.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	names := []string{"carol", "dave", "erin", "frank", "gina"}
	if err := a.Store.Update(func(tx *localstore.Tx) error {
		admin, err := tx.UserByUsername("admin")
		if err != nil {
			return err
		}
		for _, name := range names {
			m := storetest.CreateMutation(name, false)
			m.Actor = admin.UUID
			if _, err := tx.Apply(admin, m); err != nil {
				return err
			}
			if err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	status := func() (s *usersync.Status) {
		t.Helper()
		if err := a.Store.View(func(tx *localstore.Tx) (err error) {
			s, err = usersync.ReadStatus(tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := status()
	killed := errors.New("killed")
	taken := 0
	undo := usersync.SetOwnChunkTaken(func() error {
		if taken++; taken == 2 {
			return killed
		}
		return nil
	})
	_, err = a.Push(ctx)
	undo()
	if !errors.Is(err, killed) {
		t.Fatalf("push: %v, want it stopped after the second transaction", err)
	}
	// versions returns each pushed user's local version, and checks that
	// the server copy is the local record (nothing is queued) and that the
	// store's indexes agree with its records.
	versions := func() map[string]uint64 {
		t.Helper()
		v := map[string]uint64{}
		if err := a.Store.View(func(tx *localstore.Tx) error {
			for _, name := range names {
				u, err := tx.UserByUsername(name)
				if err != nil {
					return err
				}
				sc, err := usersync.ServerCopy(tx, u.UUID)
				if err != nil {
					return err
				}
				if sc != nil && sc.Version != u.Version {
					t.Errorf("%s: server copy at version %d, local record at %d", name, sc.Version, u.Version)
				}
				v[name] = u.Version
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if r, err := a.Store.Check(); err != nil || len(r.Problems) > 0 {
			t.Errorf("store check: %+v %v", r, err)
		}
		return v
	}
	after := status()
	if after.Cursor != before.Cursor || after.Pending != 0 {
		t.Errorf("after the stop: cursor %d (was %d), %d pending; want the cursor unmoved and nothing pending", after.Cursor, before.Cursor, after.Pending)
	}
	got := versions()
	for i, name := range names {
		if taken := got[name] != 0; taken != (i < 4) {
			t.Errorf("%s after the stop: version %d (taken back: %v, want %v)", name, got[name], taken, i < 4)
		}
	}
	n, err := a.Pull(ctx)
	if err != nil || n != 0 {
		t.Fatalf("pull: %d %v, want the store's own changes only", n, err)
	}
	if s := status(); s.Cursor != s.Head {
		t.Errorf("after the pull: cursor %d, server revision %d", s.Cursor, s.Head)
	}
	got = versions()
	if err := st.Read(ctx, func(tx server.Tx) error {
		for _, name := range names {
			u, err := tx.UserByUsername(name)
			if err != nil {
				return err
			}
			if u.Version != got[name] {
				t.Errorf("%s after the pull: version %d, the server's is %d", name, got[name], u.Version)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
