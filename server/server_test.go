package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/internal/pgtest"
	usersync "github.com/airt/airt/sync"

	"github.com/airt/airt/account"
	"github.com/airt/airt/internal/storetest"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// The helpers shared with the sync tests (internal/storetest).
var (
	testNow        = storetest.Now
	newTestStore   = storetest.Open
	createMutation = storetest.CreateMutation
)

func TestMain(m *testing.M) {
	code := storetest.Run(m)
	pgtest.Stop()
	os.Exit(code)
}

// testStoreKind is the kind of server store newTestServer makes: "bolt",
// or "postgres" (a database migrated from the bbolt store).
var testStoreKind = "bolt"

func openTestStore(t testing.TB, db *localstore.Store) Store {
	t.Helper()
	if testStoreKind == "bolt" {
		st, err := OpenBolt(db)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	ctx := context.Background()
	pg, err := OpenPostgres(ctx, pgtest.URL(t), PostgresOptions{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	if _, err := Migrate(ctx, db, pg); err != nil {
		t.Fatal(err)
	}
	return pg
}

// testServer is a server store with an admin and a plain user bob.
type testServer struct {
	store      *localstore.Store // the bbolt store the server's state came from
	st         Store             // the server's store (bbolt, or PostgreSQL migrated from store)
	srv        *Server
	http       *httptest.Server
	admin, bob string // uuids
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	ts := &testServer{store: newTestStore(t, "server")}
	err := ts.store.Update(func(tx *localstore.Tx) error {
		a, err := tx.Apply(nil, createMutation("admin", true))
		if err != nil {
			return err
		}
		ts.admin = a.UUID
		b, err := tx.Apply(a, createMutation("bob", false))
		if err != nil {
			return err
		}
		ts.bob = b.UUID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.st = openTestStore(t, ts.store)
	ts.srv = NewServer(ts.st, Options{})
	ts.http = httptest.NewServer(ts.srv)
	t.Cleanup(ts.http.Close)
	return ts
}

// login logs username in and returns a client engine on a new store with
// the first pull done.
func (ts *testServer) client(t *testing.T, name, username string) *usersync.Engine {
	t.Helper()
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	resp, err := c.Login(context.Background(), usersync.LoginRequest{Username: username, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = resp.Token
	e := &usersync.Engine{Store: newTestStore(t, name), Client: c}
	if _, err := e.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// localChange applies m locally as the user actorUUID and queues it.
func localChange(t *testing.T, s *localstore.Store, actorUUID string, m *localstore.Mutation) {
	t.Helper()
	err := s.Update(func(tx *localstore.Tx) error {
		actor, err := tx.User(actorUUID)
		if err != nil {
			return err
		}
		if m.Op != localstore.OpCreate {
			target, err := tx.User(m.Target)
			if err != nil {
				return err
			}
			m.BaseVersion = target.Version
		}
		m.Actor = actor.UUID
		if _, err := tx.Apply(actor, m); err != nil {
			return err
		}
		return tx.Enqueue(m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDedupe(t *testing.T) {
	for _, c := range []struct {
		last, seq uint64
		dup       bool
	}{{0, 1, false}, {1, 1, true}, {5, 3, true}, {5, 6, false}, {5, 9, false}} {
		if got := Dedupe(c.last, c.seq); got != c.dup {
			t.Errorf("Dedupe(%d, %d) = %v, want %v", c.last, c.seq, got, c.dup)
		}
	}
}

// TestPushTwice replays the same push: the second answers duplicate for
// every mutation and changes nothing.
func testPushTwice(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	var req *usersync.PushRequest
	for i := range 3 {
		localChange(t, e.Store, ts.admin, createMutation("user"+string(rune('a'+i)), false))
	}
	err := e.Store.View(func(tx *localstore.Tx) error {
		req = &usersync.PushRequest{StoreID: tx.StoreID()}
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			sec := m.Args.Secrets
			req.Mutations = append(req.Mutations, usersync.WireMutation{Mutation: *m, Secrets: &sec})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.Client.Push(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.Client.Push(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for i := range req.Mutations {
		if first.Results[i].Outcome != usersync.Applied || second.Results[i].Outcome != usersync.Duplicate {
			t.Errorf("mutation %d: first %s, second %s; want applied then duplicate", i+1, first.Results[i].Outcome, second.Results[i].Outcome)
		}
	}
	if first.Head != second.Head {
		t.Errorf("the replay changed the server: head %d then %d", first.Head, second.Head)
	}
	if second.LastSeq != 3 {
		t.Errorf("last seq %d, want 3", second.LastSeq)
	}
}

// TestRejectionReplayed: a retried push of a rejected mutation gets the
// rejection again, never "duplicate" (which would drop it from the queue).
func testRejectionReplayed(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	localChange(t, e.Store, ts.admin, createMutation("bob2", false))
	var req *usersync.PushRequest
	_ = e.Store.View(func(tx *localstore.Tx) error {
		req = &usersync.PushRequest{StoreID: tx.StoreID()}
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			m.Args.Username = localstore.Str("bob") // taken on the server
			sec := m.Args.Secrets
			req.Mutations = append(req.Mutations, usersync.WireMutation{Mutation: *m, Secrets: &sec})
			return nil
		})
	})
	for i := range 2 {
		resp, err := e.Client.Push(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if r := resp.Results[0]; r.Outcome != usersync.Rejected || !strings.Contains(r.Reason, "already exists") {
			t.Errorf("push %d: %+v, want rejected (username taken)", i+1, r)
		}
	}
}

// TestOutOfOrder: a push claiming more processed than the server knows is
// refused whole, and mutations out of order in a batch are a bad request.
func testOutOfOrder(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	m := createMutation("zed", false)
	localChange(t, e.Store, ts.admin, m)
	req := &usersync.PushRequest{StoreID: e.Store.ID(), After: 7, Mutations: []usersync.WireMutation{{Mutation: *m}}}
	if _, err := e.Client.Push(context.Background(), req); err == nil || !strings.Contains(err.Error(), "changes were lost on the server") {
		t.Errorf("push after=7 to a server at 0: %v, want out of order", err)
	}
	m2 := *m
	m2.Seq = 1
	req = &usersync.PushRequest{StoreID: e.Store.ID(), Mutations: []usersync.WireMutation{{Mutation: m2}, {Mutation: m2}}}
	if _, err := e.Client.Push(context.Background(), req); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("push 1,1: %v, want out of order", err)
	}
}

// TestSecretsOnlyForSelf: an admin's pull carries the admin's own password
// hash and nobody else's.
func testSecretsOnlyForSelf(t *testing.T) {
	ts := newTestServer(t)
	resp, err := (&usersync.Client{URL: ts.http.URL, Retries: -1}).Login(context.Background(), usersync.LoginRequest{Username: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c := &usersync.Client{URL: ts.http.URL, Token: resp.Token, Retries: -1}
	p, err := c.Pull(context.Background(), "", 0, "", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Users) != 2 {
		t.Fatalf("pulled %d users, want 2", len(p.Users))
	}
	for _, u := range p.Users {
		self := u.UUID == ts.admin
		if (u.Secrets != nil) != self || u.PasswordHash != "" {
			t.Errorf("user %s: secrets %v, hash %q; want secrets only for the admin, in Secrets", u.Username, u.Secrets != nil, u.PasswordHash)
		}
	}
	// bob sees only himself.
	resp, err = (&usersync.Client{URL: ts.http.URL, Retries: -1}).Login(context.Background(), usersync.LoginRequest{Username: "bob", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = resp.Token
	if p, err = c.Pull(context.Background(), "", 0, "", 0, ""); err != nil {
		t.Fatal(err)
	}
	if len(p.Users) != 1 || p.Users[0].UUID != ts.bob || p.Users[0].Secrets == nil {
		t.Errorf("bob pulled %+v, want only himself with his secrets", p.Users)
	}
}

// TestEngineConverges: two stores change the same user offline; after both
// sync (and the first pulls again) their local views match the server.
func testEngineConverges(t *testing.T) {
	ts := newTestServer(t)
	a := ts.client(t, "a", "admin")
	b := ts.client(t, "b", "admin")
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{FirstName: localstore.Str("A")}})
	localChange(t, b.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{FirstName: localstore.Str("B")}})
	localChange(t, b.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str("BL")}})
	ctx := context.Background()
	if r, err := a.Sync(ctx); err != nil || r.Applied != 1 {
		t.Fatalf("a: %+v %v", r, err)
	}
	r, err := b.Sync(ctx)
	if err != nil || r.Applied != 1 || r.Conflicts != 1 {
		t.Fatalf("b: %+v %v, want 1 applied 1 conflict", r, err)
	}
	if _, err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	view := func(s *localstore.Store) (u account.User) {
		_ = s.View(func(tx *localstore.Tx) error {
			x, err := tx.User(ts.bob)
			if err == nil {
				u = x.Public()
			}
			return err
		})
		u.Updated = time.Time{}
		return u
	}
	va, vb := view(a.Store), view(b.Store)
	if !reflect.DeepEqual(va, vb) || va.FirstName != "A" || va.LastName != "BL" {
		t.Errorf("views differ or wrong:\na %+v\nb %+v", va, vb)
	}
}

// TestStoreBelongsToItsUser: once a store pushed as admin, bob's token
// cannot push under its id (which could turn admin's changes into
// "duplicates").
func testStoreBelongsToItsUser(t *testing.T) {
	ts := newTestServer(t)
	a := ts.client(t, "a", "admin")
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str("X")}})
	if _, err := a.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := ts.client(t, "b", "bob")
	req := &usersync.PushRequest{StoreID: a.Store.ID(), Mutations: []usersync.WireMutation{{Mutation: localstore.Mutation{
		ID: "x", StoreID: a.Store.ID(), Seq: 99, Op: localstore.OpUpdate, Target: ts.bob, Actor: ts.bob,
		Args: localstore.Args{FirstName: localstore.Str("Y")}}}}}
	_, err := b.Client.Push(context.Background(), req)
	if account.KindOf(err) != account.KindForbidden || !strings.Contains(err.Error(), "pushes as another user") {
		t.Errorf("bob pushing under admin's store id: %v, want forbidden", err)
	}
}

// TestLoginMFA: a user with MFA needs a valid code after the right password;
// a code is accepted once; the login answer carries the user's own TOTP
// secret so they can verify codes offline.
func testLoginMFA(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.now = func() time.Time { return testNow }
	secret, err := otp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	ts.activateMFA(t, ts.bob, secret)
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	ctx := context.Background()
	_, err = c.Login(ctx, usersync.LoginRequest{Username: "bob", Password: "wrong", OTP: "123456"})
	if err == nil || !strings.Contains(err.Error(), "Incorrect username or password") {
		t.Errorf("wrong password with a code: %v, want bad credentials (MFA not disclosed)", err)
	}
	if _, err = c.Login(ctx, usersync.LoginRequest{Username: "bob", Password: "pw"}); err == nil || !strings.Contains(err.Error(), "OTP is required") {
		t.Errorf("no code: %v, want OTP required", err)
	}
	code, err := otp.Code(secret, testNow)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Login(ctx, usersync.LoginRequest{Username: "bob", Password: "pw", OTP: code})
	if err != nil {
		t.Fatalf("right code: %v", err)
	}
	if resp.User.Secrets == nil || resp.User.Secrets.MFASecret != secret || resp.User.Secrets.MFALastStep == 0 {
		t.Errorf("login answer secrets %+v, want the TOTP secret and the step used", resp.User.Secrets)
	}
	if _, err = c.Login(ctx, usersync.LoginRequest{Username: "bob", Password: "pw", OTP: code}); err == nil || !strings.Contains(err.Error(), "Invalid OTP") {
		t.Errorf("replayed code: %v, want invalid", err)
	}
}

// TestResetRevokesTokens: a password reset pushed by an admin ends the
// user's server tokens.
func testResetRevokesTokens(t *testing.T) {
	ts := newTestServer(t)
	a := ts.client(t, "a", "admin")
	b := ts.client(t, "b", "bob")
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpPasswordReset, Target: ts.bob,
		Args: localstore.Args{Secrets: localstore.Secrets{PasswordHash: storetest.PasswordHash()}}})
	if r, err := a.Sync(context.Background()); err != nil || r.Applied != 1 {
		t.Fatalf("admin sync: %+v %v", r, err)
	}
	_, err := b.Pull(context.Background())
	if account.KindOf(err) != account.KindUnauthenticated {
		t.Errorf("bob's pull after the reset: %v, want unauthenticated", err)
	}
}

// TestLockReleasedDuringNetwork: with Engine.Open, the store file is not
// locked while a push waits for the server, so another command can use it.
func testLockReleasedDuringNetwork(t *testing.T) {
	ts := newTestServer(t)
	a := ts.client(t, "a", "admin")
	path := a.Store.Path()
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str("X")}})
	a.Store.Close()
	key := make([]byte, 32)
	copy(key, "a")
	open := func() (*localstore.Store, error) {
		return localstore.Open(path, localstore.Options{LockTimeout: time.Second, Now: func() time.Time { return testNow },
			Key: func(string, bool) ([]byte, error) { return key, nil }})
	}
	inPush, release := make(chan struct{}), make(chan struct{})
	blocking := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/push" {
			close(inPush)
			<-release
		}
		ts.srv.ServeHTTP(w, r)
	}))
	defer blocking.Close()
	e := &usersync.Engine{Open: open, Client: &usersync.Client{URL: blocking.URL, Token: a.Client.Token, Retries: -1}}
	done := make(chan error, 1)
	go func() { _, err := e.Sync(context.Background()); done <- err }()
	<-inPush
	s, err := open()
	if err != nil {
		t.Fatalf("store locked while the engine waits for the server: %v", err)
	}
	s.Close()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestProtocolVersion: a request without the protocol header is refused
// with version_not_supported, which the client words as "upgrade".
func testProtocolVersion(t *testing.T) {
	ts := newTestServer(t)
	resp, err := http.Post(ts.http.URL+"/v1/token", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb usersync.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || eb.Code != usersync.CodeVersion {
		t.Errorf("no protocol header: %d %+v, want 400 %s", resp.StatusCode, eb, usersync.CodeVersion)
	}
}

// TestLogoutRevokes: after POST /v1/logout the token is refused.
func testLogoutRevokes(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	if err := e.Client.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Pull(context.Background()); account.KindOf(err) != account.KindUnauthenticated {
		t.Errorf("pull after logout: %v, want unauthenticated", err)
	}
}

// TestRestoredClientStore: a client store restored from an older copy gives
// numbers the server already processed to new changes; they are rejected
// (kept), never taken for duplicates, and the store's numbering moves past
// the server's so the change can be queued again.
func testRestoredClientStore(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	path := e.Store.Path()
	key := make([]byte, 32)
	copy(key, "a")
	open := func(p string) *localstore.Store {
		s, err := localstore.Open(p, localstore.Options{Now: func() time.Time { return testNow },
			Key: func(string, bool) ([]byte, error) { return key, nil }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	upd := func(s *localstore.Store, last string) {
		localChange(t, s, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str(last)}})
	}
	upd(e.Store, "one")
	e.Store.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(old, data, 0o600); err != nil {
		t.Fatal(err)
	}
	e.Store = open(path)
	defer e.Store.Close()
	upd(e.Store, "two")
	if r, err := e.Sync(context.Background()); err != nil || r.Applied != 2 {
		t.Fatalf("first sync: %+v %v", r, err)
	}
	// The restored copy: mutation 1 (pushed since) and a new change that
	// gets number 2 again.
	restored := &usersync.Engine{Store: open(old), Client: e.Client}
	defer restored.Store.Close()
	upd(restored.Store, "three")
	r, err := restored.Push(context.Background())
	if err != nil || r.Duplicate != 1 || r.Rejected != 1 {
		t.Fatalf("restored push: %+v %v, want 1 duplicate 1 rejected", r, err)
	}
	var m *localstore.Mutation
	_ = restored.Store.View(func(tx *localstore.Tx) error {
		m, err = usersync.FindMutation(tx, "2")
		return err
	})
	if m == nil || !strings.Contains(m.Reason, "already used by another change") {
		t.Fatalf("mutation 2 after the push: %+v", m)
	}
	err = restored.Store.Update(func(tx *localstore.Tx) error {
		n, err := usersync.KeepLocal(tx, m)
		if err == nil && n.Seq <= 2 {
			t.Errorf("queued again as %d, want a number past the server's 2", n.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := restored.Sync(context.Background()); err != nil || r.Applied != 1 {
		t.Fatalf("sync after resolve: %+v %v", r, err)
	}
}

// TestRetryTransient: 5xx answers are retried with backoff, and the push
// goes through once the server answers; a server that keeps failing gives
// an Unreachable error after the bounded retries, with the queue kept.
func testRetryTransient(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	localChange(t, e.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str("R")}})
	failures := 2
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failures > 0 {
			failures--
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		ts.srv.ServeHTTP(w, r)
	}))
	defer flaky.Close()
	retries := 0
	c := &usersync.Client{URL: flaky.URL, Token: e.Client.Token, Retries: 3, Backoff: time.Millisecond,
		OnRetry: func(int, error, time.Duration) { retries++ }}
	e.Client = c
	if r, err := e.Sync(context.Background()); err != nil || r.Applied != 1 || retries != 2 {
		t.Fatalf("sync through 2 failures: %+v %v, %d retries", r, err, retries)
	}
	localChange(t, e.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str("S")}})
	failures = 100
	_, err := e.Push(context.Background())
	if account.KindOf(err) != account.KindUnreachable {
		t.Fatalf("always failing: %v, want unreachable", err)
	}
	_ = e.Store.View(func(tx *localstore.Tx) error {
		if n := tx.OutboxLen(); n != 1 {
			t.Errorf("outbox holds %d after the failure, want 1", n)
		}
		return nil
	})
}

// TestPullPagesRenameSwap: two users swap usernames on the server; pulled one
// change per page, the local view passes through pages where the names
// collide and ends equal to the server.
func testPullPagesRenameSwap(t *testing.T) {
	ts := newTestServer(t)
	b := ts.client(t, "b", "admin")
	a := ts.client(t, "a", "admin")
	a.Page = 1
	var carol string
	err := b.Store.View(func(tx *localstore.Tx) error {
		u, err := tx.UserByUsername("admin")
		carol = u.UUID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rename := func(uuid, name string) {
		localChange(t, b.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: uuid, Args: localstore.Args{Username: localstore.Str(name)}})
	}
	rename(ts.bob, "tmp")
	rename(carol, "bob")
	rename(ts.bob, "admin")
	if r, err := b.Sync(context.Background()); err != nil || r.Applied != 3 {
		t.Fatalf("b: %+v %v", r, err)
	}
	if _, err := a.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	names := func(s *localstore.Store) map[string]string {
		m := map[string]string{}
		_ = s.View(func(tx *localstore.Tx) error {
			return tx.ForEachUser(func(u *account.User) error { m[u.UUID] = u.Username; return nil })
		})
		return m
	}
	if na, nb := names(a.Store), names(b.Store); !reflect.DeepEqual(na, nb) || na[ts.bob] != "admin" || na[carol] != "bob" {
		t.Errorf("after the paged pull: a %v, b %v", na, nb)
	}
}

// TestPartialConflictMergesOnce: an update of two fields whose one field
// changed on the server applies the other field, answers a conflict on the
// changed one only, and a retried push applies nothing twice; the client
// keeps the mutation trimmed to the conflicting field.
func testPartialConflictMergesOnce(t *testing.T) {
	ts := newTestServer(t)
	a := ts.client(t, "a", "admin")
	b := ts.client(t, "b", "admin")
	localChange(t, b.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob,
		Args: localstore.Args{FirstName: localstore.Str("Robert")}})
	if _, err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob,
		Args: localstore.Args{FirstName: localstore.Str("Roberto"), LastName: localstore.Str("Builder")}})
	var req *usersync.PushRequest
	_ = a.Store.View(func(tx *localstore.Tx) error {
		req = &usersync.PushRequest{StoreID: tx.StoreID()}
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			req.Mutations = append(req.Mutations, usersync.WireMutation{Mutation: *m})
			return nil
		})
	})
	var heads []uint64
	for i := range 2 {
		resp, err := a.Client.Push(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		r := resp.Results[0]
		if r.Outcome != usersync.Conflict || len(r.Fields) != 1 || r.Fields[0] != "first_name" ||
			r.Server["first_name"] != "Robert" || r.Local["first_name"] != "Roberto" {
			t.Errorf("push %d: %+v, want a conflict on first_name only, with both values", i+1, r)
		}
		heads = append(heads, resp.Head)
	}
	if heads[0] != heads[1] {
		t.Errorf("the retried push changed the server: head %d then %d", heads[0], heads[1])
	}
	_ = ts.st.Read(context.Background(), func(tx Tx) error {
		u, err := tx.User(ts.bob)
		if err != nil {
			t.Fatal(err)
		}
		if u.FirstName != "Robert" || u.LastName != "Builder" {
			t.Errorf("server has %s %s, want Robert Builder (last name merged)", u.FirstName, u.LastName)
		}
		return nil
	})
	// The engine's own push of the same outbox: the stored conflict again,
	// and the queued change trimmed to first_name.
	if _, err := a.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = a.Store.View(func(tx *localstore.Tx) error {
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			if m.State != localstore.StateConflict || m.Args.FirstName == nil || m.Args.LastName != nil {
				t.Errorf("queued %+v, want a conflict setting first_name only", m.Args)
			}
			return nil
		})
	})
}

// TestDisabledTokenSaysDisabled: a token revoked by disabling its user is
// answered "account disabled" while the user stays disabled, and plainly
// refused once the user is enabled again (the token stays revoked).
func testDisabledTokenSaysDisabled(t *testing.T) {
	ts := newTestServer(t)
	a := ts.client(t, "a", "admin")
	bob := ts.client(t, "b", "bob")
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpDisable, Target: ts.bob})
	if _, err := a.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := bob.Pull(context.Background())
	var ae *account.Error
	if !errors.As(err, &ae) || ae.Text != account.ErrAccountDisabled.Error() || !strings.Contains(ae.Hint, "ask an administrator") {
		t.Fatalf("disabled bob pulls: %v, want the account-disabled error with its hint", err)
	}
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpEnable, Target: ts.bob})
	if _, err := a.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = bob.Pull(context.Background())
	if !errors.As(err, &ae) || ae.Text != account.ErrBadToken.Error() || ae.Kind != account.KindUnauthenticated {
		t.Fatalf("enabled bob with the revoked token pulls: %v, want the token refused", err)
	}
}

// testRejectionMidBatch: one push request of three creates whose second
// takes a username the server has: the first and third are applied in the
// request's one transaction, the second is rejected and left no trace.
func testRejectionMidBatch(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	for _, name := range []string{"carol", "bob2", "dave"} {
		localChange(t, e.Store, ts.admin, createMutation(name, false))
	}
	req := &usersync.PushRequest{StoreID: e.Store.ID()}
	_ = e.Store.View(func(tx *localstore.Tx) error {
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			if *m.Args.Username == "bob2" {
				m.Args.Username = localstore.Str("BOB") // bob's, case aside
			}
			sec := m.Args.Secrets
			req.Mutations = append(req.Mutations, usersync.WireMutation{Mutation: *m, Secrets: &sec})
			return nil
		})
	})
	before, err := e.Client.Pull(context.Background(), "", 0, "", 1, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Client.Push(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range resp.Results {
		got = append(got, r.Outcome)
	}
	if want := []string{usersync.Applied, usersync.Rejected, usersync.Applied}; !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if resp.Head != before.Head+2 || resp.LastSeq != 3 {
		t.Errorf("head %d (was %d), last seq %d; want 2 new revisions and last seq 3", resp.Head, before.Head, resp.LastSeq)
	}
	_ = ts.st.Read(context.Background(), func(tx Tx) error {
		for _, name := range []string{"carol", "dave"} {
			if _, err := tx.UserByUsername(name); err != nil {
				t.Errorf("%s after the push: %v", name, err)
			}
		}
		if u, err := tx.UserByUsername("bob"); err != nil || u.UUID != ts.bob {
			t.Errorf("bob after the push: %v %v, want the original bob", u, err)
		}
		return nil
	})
}

// testPushTakesOwnChanges: a store that had pulled everything pushes three
// creates; the push answer brings their server records and moves the
// cursor to the server's head, so the pull after it receives nothing, and
// a second store's change is pulled as usual.
func testPushTakesOwnChanges(t *testing.T) {
	ts := newTestServer(t)
	a := ts.client(t, "a", "admin")
	b := ts.client(t, "b", "admin")
	for _, name := range []string{"carol", "dave", "erin"} {
		localChange(t, a.Store, ts.admin, createMutation(name, false))
	}
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{Username: localstore.Str("bobby")}})
	// Two users per transaction: the four records come back in two.
	a.OwnChunk = 2
	ctx := context.Background()
	if r, err := a.Push(ctx); err != nil || r.Applied != 4 {
		t.Fatalf("push: %+v %v", r, err)
	}
	if r, err := a.Store.Check(); err != nil || len(r.Problems) > 0 {
		t.Errorf("store check after the push: %v %v", r, err)
	}
	_ = a.Store.View(func(tx *localstore.Tx) error {
		n := 0
		err := tx.ForEachUser(func(u *account.User) error {
			n++
			var srv *account.User
			_ = ts.st.Read(ctx, func(stx Tx) (err error) { srv, err = stx.User(u.UUID); return err })
			if srv == nil || u.Version != srv.Version || u.Username != srv.Username {
				t.Errorf("%s after the push: version %d, the server has %+v", u.Username, u.Version, srv)
			}
			sc, err := usersync.ServerCopy(tx, u.UUID)
			if err != nil || sc == nil || sc.Version != u.Version {
				t.Errorf("%s: server copy %+v %v, want the local record", u.Username, sc, err)
			}
			return nil
		})
		if n != 5 { // admin, bob and the three created
			t.Errorf("%d local users after the push, want 5", n)
		}
		return err
	})
	status := func(e *usersync.Engine) (st *usersync.Status) {
		_ = e.Store.View(func(tx *localstore.Tx) (err error) {
			st, err = usersync.ReadStatus(tx)
			return err
		})
		return st
	}
	if st := status(a); st.Cursor != st.Head || st.Head == 0 {
		t.Errorf("after the push: cursor %d, server revision %d; want the cursor at the head", st.Cursor, st.Head)
	}
	_ = a.Store.View(func(tx *localstore.Tx) error {
		u, err := tx.UserByUsername("dave")
		if err != nil || u.Version == 0 {
			t.Errorf("dave after the push: %+v %v, want the server's version", u, err)
		}
		return nil
	})
	if n, err := a.Pull(ctx); err != nil || n != 0 {
		t.Errorf("pull after the push: %d %v, want nothing", n, err)
	}
	localChange(t, b.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Args: localstore.Args{LastName: localstore.Str("B")}})
	before := status(b).Cursor
	if _, err := b.Push(ctx); err != nil {
		t.Fatal(err)
	}
	if st := status(b); st.Cursor != before {
		t.Errorf("b had not pulled a's changes, yet its push moved its cursor from %d to %d", before, st.Cursor)
	}
	if n, err := a.Pull(ctx); err != nil || n != 1 {
		t.Errorf("a pulls b's change: %d %v, want 1", n, err)
	}
}

// testReadAheadBatch: one push request whose creates collide with a
// committed user's email and with users created earlier in the same
// request (username case aside, email); the PostgreSQL store reads the
// holders of every key ahead, and must answer as the single reads do.
func testReadAheadBatch(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	for _, name := range []string{"erin", "frank", "gina", "erin2", "hank"} {
		localChange(t, e.Store, ts.admin, createMutation(name, false))
	}
	req := &usersync.PushRequest{StoreID: e.Store.ID()}
	_ = e.Store.View(func(tx *localstore.Tx) error {
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			switch *m.Args.Username {
			case "frank":
				m.Args.Email = localstore.Str("BOB@example.com") // bob's, committed
			case "gina":
				m.Args.Email = localstore.Str("erin@example.com") // erin's, this request
			case "erin2":
				m.Args.Username = localstore.Str("Erin") // erin's, this request
			}
			sec := m.Args.Secrets
			req.Mutations = append(req.Mutations, usersync.WireMutation{Mutation: *m, Secrets: &sec})
			return nil
		})
	})
	resp, err := e.Client.Push(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range resp.Results {
		got = append(got, r.Outcome)
	}
	want := []string{usersync.Applied, usersync.Rejected, usersync.Rejected, usersync.Rejected, usersync.Applied}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	_ = ts.st.Read(context.Background(), func(tx Tx) error {
		for _, name := range []string{"erin", "hank"} {
			if _, err := tx.UserByUsername(name); err != nil {
				t.Errorf("%s after the push: %v", name, err)
			}
		}
		for _, name := range []string{"frank", "gina", "erin2"} {
			if u, err := tx.UserByUsername(name); err == nil {
				t.Errorf("%s was created: %v", name, u.UUID)
			}
		}
		return nil
	})
}

// testBatchCutAtBodyBound: a push whose mutations would not fit in one body
// goes in several requests, each under the bound, in order, all applied.
func testBatchCutAtBodyBound(t *testing.T) {
	ts := newTestServer(t)
	e := ts.client(t, "a", "admin")
	for i := range 10 {
		localChange(t, e.Store, ts.admin, createMutation(fmt.Sprintf("cut%d", i), false))
	}
	// The encoded size of each mutation as the engine sends it.
	var sizes []int
	_ = e.Store.View(func(tx *localstore.Tx) error {
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			sec := m.Args.Secrets
			data, err := json.Marshal(&usersync.WireMutation{Mutation: *m, Secrets: &sec})
			sizes = append(sizes, len(data)+1)
			return err
		})
	})
	e.MaxBody = 2*slices.Max(sizes) + 10
	var batches []int
	done := 0
	e.Progress = func(p usersync.Progress) {
		if p.Phase == "push" && p.Done > done {
			batches = append(batches, p.Done-done)
			done = p.Done
		}
	}
	r, err := e.Push(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Applied != 10 || len(batches) < 4 {
		t.Fatalf("applied %d in batches %v, want 10 in at least 4", r.Applied, batches)
	}
	at := 0
	for _, n := range batches {
		body := 0
		for _, sz := range sizes[at : at+n] {
			body += sz
		}
		if body > e.MaxBody {
			t.Errorf("batches %v: one of %d bytes, over the bound of %d", batches, body, e.MaxBody)
		}
		at += n
	}
}

// serverTests run against every kind of server store.
var serverTests = []struct {
	name string
	fn   func(*testing.T)
}{
	{"RejectionMidBatch", testRejectionMidBatch},
	{"ReadAheadBatch", testReadAheadBatch},
	{"BatchCutAtBodyBound", testBatchCutAtBodyBound},
	{"PushTakesOwnChanges", testPushTakesOwnChanges},
	{"PushTwice", testPushTwice},
	{"RejectionReplayed", testRejectionReplayed},
	{"OutOfOrder", testOutOfOrder},
	{"SecretsOnlyForSelf", testSecretsOnlyForSelf},
	{"EngineConverges", testEngineConverges},
	{"StoreBelongsToItsUser", testStoreBelongsToItsUser},
	{"LoginMFA", testLoginMFA},
	{"ResetRevokesTokens", testResetRevokesTokens},
	{"LockReleasedDuringNetwork", testLockReleasedDuringNetwork},
	{"ProtocolVersion", testProtocolVersion},
	{"LogoutRevokes", testLogoutRevokes},
	{"RestoredClientStore", testRestoredClientStore},
	{"RetryTransient", testRetryTransient},
	{"PullPagesRenameSwap", testPullPagesRenameSwap},
	{"PartialConflictMergesOnce", testPartialConflictMergesOnce},
	{"DisabledTokenSaysDisabled", testDisabledTokenSaysDisabled},
}

func TestServerBolt(t *testing.T) {
	for _, c := range serverTests {
		t.Run(c.name, c.fn)
	}
}

func TestServerPostgres(t *testing.T) {
	testStoreKind = "postgres"
	defer func() { testStoreKind = "bolt" }()
	for _, c := range serverTests {
		t.Run(c.name, c.fn)
	}
}
