package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/internal/storetest"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	usersync "github.com/airt/airt/sync"
)

// rawSeq numbers the mutations pushRaw sends from each engine's store.
var rawSeq = map[*usersync.Engine]uint64{}

// pushRaw pushes hand-made mutations from e's store (as a modified client
// could send them, bypassing every local check) and returns the results.
func pushRaw(t *testing.T, e *usersync.Engine, ms ...*localstore.Mutation) []usersync.Result {
	t.Helper()
	var storeID string
	_ = e.Store.View(func(tx *localstore.Tx) error { storeID = tx.StoreID(); return nil })
	req := &usersync.PushRequest{StoreID: storeID, After: rawSeq[e]}
	for _, m := range ms {
		rawSeq[e]++
		m.StoreID, m.Seq, m.ID = storeID, rawSeq[e], localstore.NewUUID()
		sec := m.Args.Secrets
		req.Mutations = append(req.Mutations, usersync.WireMutation{Mutation: *m, Secrets: &sec})
	}
	resp, err := e.Client.Push(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Results
}

// user reads a user from the server's store (bbolt or PostgreSQL).
func (ts *testServer) user(t *testing.T, uuid string) *account.User {
	t.Helper()
	var u *account.User
	if err := ts.st.Read(context.Background(), func(tx Tx) error {
		var err error
		u, err = tx.User(uuid)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

// activateMFA turns on MFA for user uuid with secret in the server's store
// (bbolt or PostgreSQL), as a change of the server's own.
func (ts *testServer) activateMFA(t *testing.T, uuid, secret string) {
	t.Helper()
	err := ts.st.Write(context.Background(), func(tx Tx) error {
		u, err := tx.User(uuid)
		if err != nil {
			return err
		}
		m := &localstore.Mutation{Op: localstore.OpMFAActivate, Target: uuid, Actor: uuid, BaseVersion: u.Version,
			Args: localstore.Args{Secrets: localstore.Secrets{MFASecret: secret}}}
		nu, err := localstore.ApplyTo(tx, u, m)
		if err != nil {
			return err
		}
		_, err = record(tx, nu, m, "", usersync.Fields(m))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A refused mutation's answer reveals nothing about its target: bob's
// update of the admin with an old base version is refused for permission,
// before any conflict check, with the same text as for a uuid that names
// nobody.
func TestPushAuthorisationFirst(t *testing.T) {
	ts := newTestServer(t)
	// The admin's record moves on, so a base version of 0 would conflict.
	a := ts.client(t, "a", "admin")
	localChange(t, a.Store, ts.admin, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.admin,
		Args: localstore.Args{FirstName: localstore.Str("Secretname"), Email: localstore.Str("hidden@example.com")}})
	if r, err := a.Sync(context.Background()); err != nil || r.Applied != 1 {
		t.Fatalf("admin sync: %+v %v", r, err)
	}
	b := ts.client(t, "b", "bob")
	res := pushRaw(t, b,
		&localstore.Mutation{Op: localstore.OpUpdate, Target: ts.admin, Actor: ts.bob, BaseVersion: 0,
			Args: localstore.Args{FirstName: localstore.Str("Mallory"), Email: localstore.Str("mallory@example.com")}},
		&localstore.Mutation{Op: localstore.OpUpdate, Target: localstore.NewUUID(), Actor: ts.bob,
			Args: localstore.Args{FirstName: localstore.Str("Mallory")}},
		&localstore.Mutation{Op: localstore.OpDisable, Target: ts.admin, Actor: ts.bob},
	)
	for i, r := range res {
		if r.Outcome != usersync.Rejected {
			t.Errorf("mutation %d: %s, want rejected", i+1, r.Outcome)
		}
		all := fmt.Sprintf("%s %v %v %v", r.Reason, r.Fields, r.Server, r.Local)
		for _, secret := range []string{"Secretname", "hidden@example.com", "First", "conflict", "changed"} {
			if strings.Contains(all, secret) {
				t.Errorf("mutation %d: the answer %q tells %q about the target", i+1, all, secret)
			}
		}
	}
	if res[0].Reason != res[1].Reason {
		t.Errorf("an existing and a missing target answer differently: %q, %q", res[0].Reason, res[1].Reason)
	}
	if u := ts.user(t, ts.admin); u.FirstName != "Secretname" || u.Disabled {
		t.Errorf("admin changed: %+v", u)
	}
}

// phone.verified with arbitrary text (escape sequences, a newline, a forged
// row) is refused on push, whoever pushes it: by bob for himself (an online
// operation) and by an admin (validated as the local command validates).
func TestPushPhoneVerifiedText(t *testing.T) {
	ts := newTestServer(t)
	evil := "+44 7911\x1b]0;pwned\x07\n" + ts.admin + "  admin  admin@example.com  True"
	b := ts.client(t, "b", "bob")
	res := pushRaw(t, b, &localstore.Mutation{Op: localstore.OpPhoneVerified, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.bob,
		Args: localstore.Args{Phone: &evil}})
	if res[0].Outcome != usersync.Rejected || !strings.Contains(res[0].Reason, "airt user register-phone-number") {
		t.Errorf("bob's own phone.verified: %+v, want rejected saying how to verify a phone", res[0])
	}
	a := ts.client(t, "a", "admin")
	res = pushRaw(t, a, &localstore.Mutation{Op: localstore.OpPhoneVerified, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.admin,
		Args: localstore.Args{Phone: &evil}})
	if res[0].Outcome != usersync.Rejected || strings.ContainsAny(res[0].Reason, "\x1b\x07\n") {
		t.Errorf("admin's phone.verified with escapes: %s %+q, want rejected with the text escaped", res[0].Outcome, res[0].Reason)
	}
	plain := "447911123456"
	res = pushRaw(t, a, &localstore.Mutation{Op: localstore.OpPhoneVerified, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.admin,
		Args: localstore.Args{Phone: &plain}})
	if res[0].Outcome != usersync.Rejected {
		t.Errorf("phone.verified not in E.164: %+v, want rejected", res[0])
	}
	if u := ts.user(t, ts.bob); u.Phone != "" || u.PhoneVerified {
		t.Errorf("bob's phone is %q verified=%v", u.Phone, u.PhoneVerified)
	}
}

// password.reset with an argon2id hash of 1 GiB (or bcrypt cost 31) is
// refused, for an admin too; bob's own reset by push is an online operation.
func TestPushPasswordResetHash(t *testing.T) {
	ts := newTestServer(t)
	before := ts.user(t, ts.bob).PasswordHash
	gib := "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"
	bc31 := "$2b$31$IpD0ghIGQDCwLs8HFhN64O5hj1aL4mTsP.Q7P3RKJ4E9IdP6fqwje"
	a := ts.client(t, "a", "admin")
	// bob logs in first: were a bcrypt-31 hash applied, checking his
	// password would pin a core for days.
	b := ts.client(t, "b", "bob")
	for _, h := range []string{gib, bc31} {
		res := pushRaw(t, a, &localstore.Mutation{Op: localstore.OpPasswordReset, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.admin,
			Args: localstore.Args{Secrets: localstore.Secrets{PasswordHash: h}}})
		if res[0].Outcome != usersync.Rejected || !strings.Contains(res[0].Reason, "not accepted") {
			t.Errorf("admin's reset to %.30s…: %+v, want rejected for its parameters", h, res[0])
		}
	}
	res := pushRaw(t, b, &localstore.Mutation{Op: localstore.OpPasswordReset, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.bob,
		Args: localstore.Args{Secrets: localstore.Secrets{PasswordHash: storetest.PasswordHash()}}})
	if res[0].Outcome != usersync.Rejected || !strings.Contains(res[0].Reason, "airt user reset-password") {
		t.Errorf("bob's own reset by push: %+v, want rejected saying how to reset", res[0])
	}
	if ts.user(t, ts.bob).PasswordHash != before {
		t.Error("bob's password hash changed")
	}
}

// mfa.disable with the token alone is refused: locally the same action
// needs a code, so by push it is an online operation.
func TestPushMFADisableNeedsProof(t *testing.T) {
	ts := newTestServer(t)
	secret, err := otp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	ts.activateMFA(t, ts.bob, secret)
	ts.srv.now = func() time.Time { return testNow }
	code, err := otp.Code(secret, testNow)
	if err != nil {
		t.Fatal(err)
	}
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	resp, err := c.Login(context.Background(), usersync.LoginRequest{Username: "bob", Password: "pw", OTP: code})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = resp.Token
	b := &usersync.Engine{Store: newTestStore(t, "b"), Client: c}
	res := pushRaw(t, b,
		&localstore.Mutation{Op: localstore.OpMFADisable, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.bob},
		&localstore.Mutation{Op: localstore.OpMFAActivate, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.bob,
			Args: localstore.Args{Secrets: localstore.Secrets{MFASecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}}},
		&localstore.Mutation{Op: localstore.OpSSOEnable, Target: ts.bob, BaseVersion: ts.user(t, ts.bob).Version, Actor: ts.bob,
			Args: localstore.Args{Provider: "google", SSOEmail: "bob@example.com"}},
	)
	for i, want := range []string{"airt user mfa disable", "airt user mfa enable", "airt user sso enable"} {
		if res[i].Outcome != usersync.Rejected || !strings.Contains(res[i].Reason, want) {
			t.Errorf("mutation %d: %+v, want rejected saying %q", i+1, res[i], want)
		}
	}
	if u := ts.user(t, ts.bob); !u.MFAActive() || len(u.SSO) != 0 {
		t.Errorf("bob's MFA or SSO changed: %+v", u)
	}
}

// The server's TOTP check is the command line's: five wrong codes lock the
// user's codes for five minutes, and the lock is in the store.
func TestLoginTOTPLockOut(t *testing.T) {
	ts := newTestServer(t)
	secret, _ := otp.NewSecret()
	ts.activateMFA(t, ts.bob, secret)
	ts.srv.now = func() time.Time { return testNow }
	right, _ := otp.Code(secret, testNow)
	wrong := "000000"
	if right == wrong {
		wrong = "000001"
	}
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	for i := 0; i < otp.MaxFailures; i++ {
		if _, err := c.Login(context.Background(), usersync.LoginRequest{Username: "bob", Password: "pw", OTP: wrong}); err == nil {
			t.Fatal("wrong code accepted")
		}
	}
	// (The login limits of the address would refuse a 6th attempt anyway:
	// the lock-out is checked in the store, where the next login from any
	// address, and the command line's check, find it.)
	_, err := c.Login(context.Background(), usersync.LoginRequest{Username: "bob", Password: "pw", OTP: right})
	if err == nil {
		t.Error("right code after 5 wrong ones accepted")
	}
	if u := ts.user(t, ts.bob); !u.MFA.LockedUntil.Equal(testNow.Add(otp.LockDuration)) {
		t.Errorf("stored lock %v, want %v", u.MFA.LockedUntil, testNow.Add(otp.LockDuration))
	}
}

// An online mfa.disable needs a code the server checks; wrong codes count
// toward the same lock-out as a login's, and a locked user's right code is
// refused at login too.
func TestOnlineMFADisableSharesLockOut(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.now = func() time.Time { return testNow }
	secret, _ := otp.NewSecret()
	ts.activateMFA(t, ts.bob, secret)
	right, _ := otp.Code(secret, testNow.Add(-30*time.Second))
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	resp, err := c.Login(context.Background(), usersync.LoginRequest{Username: "bob", Password: "pw", OTP: right})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = resp.Token
	ctx := context.Background()
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "mfa.disable"}); account.KindOf(err) != account.KindOTP {
		t.Errorf("mfa.disable without a code: %v, want OTP required", err)
	}
	for i := 0; i < otp.MaxFailures; i++ {
		if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "mfa.disable", OTP: "000000"}); err == nil {
			t.Fatal("a wrong code disabled MFA")
		}
	}
	now, _ := otp.Code(secret, testNow)
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "mfa.disable", OTP: now}); err == nil || !strings.Contains(err.Error(), "locked until") {
		t.Errorf("right code after 5 wrong ones: %v, want locked", err)
	}
	if _, err := c.Login(ctx, usersync.LoginRequest{Username: "bob", Password: "pw", OTP: now}); err == nil || !strings.Contains(err.Error(), "locked until") {
		t.Errorf("login while locked: %v, want locked", err)
	}
	if !ts.user(t, ts.bob).MFAActive() {
		t.Error("MFA was disabled")
	}
	// After the lock, the right code disables it, and the change is
	// recorded for the next pull.
	later := testNow.Add(otp.LockDuration)
	ts.srv.now = func() time.Time { return later }
	code, _ := otp.Code(secret, later)
	r, err := c.Online(ctx, usersync.OnlineRequest{Op: "mfa.disable", OTP: code})
	if err != nil {
		t.Fatalf("right code after the lock: %v", err)
	}
	if u := ts.user(t, ts.bob); u.MFAActive() || u.Version != r.Version {
		t.Errorf("after online mfa.disable: active=%v version %d, answer %d", u.MFAActive(), u.Version, r.Version)
	}
}

// An online reset needs no token and answers every failure alike.
func TestOnlineResetSaysNothing(t *testing.T) {
	ts := newTestServer(t)
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	ctx := context.Background()
	_, e1 := c.Online(ctx, usersync.OnlineRequest{Op: "password.reset", Username: "bob", NewPassword: "new password", OTP: "000000"})
	_, e2 := c.Online(ctx, usersync.OnlineRequest{Op: "password.reset", Username: "nobody", NewPassword: "new password", OTP: "000000"})
	if e1 == nil || e2 == nil || e1.Error() != e2.Error() {
		t.Errorf("answers differ or succeed: %v / %v", e1, e2)
	}
	// An SMS for a reset is answered alike, whether or not one is sent.
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: "reset_password", Username: "nobody"}); err != nil {
		t.Errorf("SMS for an unknown user: %v", err)
	}
}

// A user cannot rename themselves to a look-alike of another by push.
func TestPushLookAlikeRename(t *testing.T) {
	ts := newTestServer(t)
	b := ts.client(t, "b", "bob")
	for _, name := range []string{"\u0430dmin", "ＡＤＭＩＮ", "admin\u200b", "\u202enimda"} {
		res := pushRaw(t, b, &localstore.Mutation{Op: localstore.OpUpdate, Target: ts.bob, Actor: ts.bob,
			BaseVersion: ts.user(t, ts.bob).Version, Args: localstore.Args{Username: localstore.Str(name)}})
		if res[0].Outcome != usersync.Rejected {
			t.Errorf("rename to %+q: %s, want rejected", name, res[0].Outcome)
		}
	}
	if u := ts.user(t, ts.bob); u.Username != "bob" {
		t.Errorf("bob is now %+q", u.Username)
	}
}

// The hostile pushes are refused by a PostgreSQL server too: the rules are
// written once over Tx.
func TestTrustPostgres(t *testing.T) {
	testStoreKind = "postgres"
	defer func() { testStoreKind = "bolt" }()
	for _, c := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"PushAuthorisationFirst", TestPushAuthorisationFirst},
		{"PushPhoneVerifiedText", TestPushPhoneVerifiedText},
		{"PushPasswordResetHash", TestPushPasswordResetHash},
		{"PushMFADisableNeedsProof", TestPushMFADisableNeedsProof},
		{"LoginTOTPLockOut", TestLoginTOTPLockOut},
		{"OnlineMFADisableSharesLockOut", TestOnlineMFADisableSharesLockOut},
		{"PushLookAlikeRename", TestPushLookAlikeRename},
		{"OnlineResetSaysNothing", TestOnlineResetSaysNothing},
	} {
		t.Run(c.name, c.fn)
	}
}
