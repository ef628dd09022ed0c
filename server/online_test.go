package server

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	usersync "github.com/airt/airt/sync"
)

// onlineTests run against every kind of server store: the online
// operations that prove themselves with an SMS code keep the code, its
// wrong-attempt count and the send times in the server's store.
var onlineTests = []struct {
	name string
	fn   func(*testing.T)
}{
	{"SMSRegisterPhone", testOnlineSMSRegisterPhone},
	{"SMSMFADisableAndReset", testOnlineSMSMFADisableAndReset},
	{"SMSSendLimit", testOnlineSMSSendLimit},
	{"SMSDeadAfterTooMany", testOnlineSMSDeadAfterTooMany},
	{"SMSSendLimitAtOnce", testOnlineSMSSendLimitAtOnce},
	{"SMSFailedSendNotCounted", testOnlineSMSFailedSendNotCounted},
}

func TestOnlineBolt(t *testing.T) {
	for _, c := range onlineTests {
		t.Run(c.name, c.fn)
	}
}

func TestOnlinePostgres(t *testing.T) {
	testStoreKind = "postgres"
	defer func() { testStoreKind = "bolt" }()
	for _, c := range onlineTests {
		t.Run(c.name, c.fn)
	}
	t.Run("SMSAttemptsAcrossProcesses", testOnlineSMSAttemptsAcrossProcesses)
}

// smsServer is a test server whose SMS command writes each message to a
// file, and a client logged in as bob.
func smsServer(t *testing.T) (*testServer, *usersync.Client, func() string) {
	t.Helper()
	ts := newTestServer(t)
	ts.srv.now = func() time.Time { return testNow }
	file := filepath.Join(t.TempDir(), "sms")
	ts.srv.smsCommand = `{ echo "to: $AIRT_SMS_TO"; cat; } > '` + file + `'`
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	resp, err := c.Login(context.Background(), usersync.LoginRequest{Username: "bob", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = resp.Token
	// lastCode reads the code of the last SMS sent.
	lastCode := func() string {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("no SMS sent: %v", err)
		}
		m := regexp.MustCompile(`code .* is ([0-9]{6})\.`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no code in the SMS %q", b)
		}
		return string(m[1])
	}
	return ts, c, lastCode
}

// wrongCode is a code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// pendingSMS reads the pending SMS code of uuid for purpose from the
// server's store.
func (ts *testServer) pendingSMS(t *testing.T, uuid, purpose string) (otp.SMSChallenge, bool) {
	t.Helper()
	var ch otp.SMSChallenge
	var ok bool
	err := ts.st.Write(context.Background(), func(tx Tx) error {
		var err error
		ch, ok, err = tx.SMSChallenge(uuid, purpose)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch, ok
}

func testOnlineSMSRegisterPhone(t *testing.T) {
	ts, c, lastCode := smsServer(t)
	ctx := context.Background()
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}); err != nil {
		t.Fatalf("send: %v", err)
	}
	code := lastCode()
	ch, ok := ts.pendingSMS(t, ts.bob, otp.PurposeRegisterPhone)
	if !ok || ch.Phone != "+447911123456" || len(ch.Hash) == 0 {
		t.Fatalf("pending code %+v (%v), want one for +447911123456", ch, ok)
	}
	_, err := c.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 123456", OTP: wrongCode(code)})
	if err == nil || !strings.Contains(err.Error(), "Incorrect OTP") {
		t.Errorf("wrong code: %v, want Incorrect OTP", err)
	}
	if ch, _ := ts.pendingSMS(t, ts.bob, otp.PurposeRegisterPhone); ch.Failures != 1 {
		t.Errorf("after a wrong code the stored count is %d, want 1", ch.Failures)
	}
	// The code is bound to the number it was sent to.
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 654321", OTP: code}); err == nil {
		t.Error("a code sent to one number verified another")
	}
	r, err := c.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 123456", OTP: code})
	if err != nil {
		t.Fatalf("right code: %v", err)
	}
	if u := ts.user(t, ts.bob); !u.PhoneVerified || u.Phone != "+447911123456" || u.Version != r.Version {
		t.Errorf("after registering: %+v, answer version %d", u, r.Version)
	}
	if _, ok := ts.pendingSMS(t, ts.bob, otp.PurposeRegisterPhone); ok {
		t.Error("the used code is still pending")
	}
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 123456", OTP: code}); err == nil {
		t.Error("a used code was accepted again")
	}
}

// verifyPhone gives bob a verified phone through the online operation.
func verifyPhone(t *testing.T, c *usersync.Client, lastCode func() string) {
	t.Helper()
	ctx := context.Background()
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 123456", OTP: lastCode()}); err != nil {
		t.Fatal(err)
	}
}

func testOnlineSMSMFADisableAndReset(t *testing.T) {
	ts, c, lastCode := smsServer(t)
	ctx := context.Background()
	verifyPhone(t, c, lastCode)
	secret, err := otp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	totp, _ := otp.Code(secret, testNow)
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "mfa.activate", MFASecret: secret, MFACode: totp}); err != nil {
		t.Fatalf("mfa.activate: %v", err)
	}
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeDisableMFA}); err != nil {
		t.Fatalf("send for mfa disable: %v", err)
	}
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "mfa.disable", OTP: lastCode()}); err != nil {
		t.Fatalf("mfa.disable by SMS: %v", err)
	}
	if ts.user(t, ts.bob).MFAActive() {
		t.Error("MFA still active after mfa.disable by SMS")
	}
	// A reset needs no token: the named user's phone gets the code.
	anon := &usersync.Client{URL: ts.http.URL, Retries: -1}
	if err := anon.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeResetPassword, Username: "bob"}); err != nil {
		t.Fatalf("send for reset: %v", err)
	}
	if _, err := anon.Online(ctx, usersync.OnlineRequest{Op: "password.reset", Username: "bob", NewPassword: "new bob password", OTP: lastCode()}); err != nil {
		t.Fatalf("reset by SMS: %v", err)
	}
	if _, err := anon.Login(ctx, usersync.LoginRequest{Username: "bob", Password: "new bob password"}); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "mfa.disable", OTP: "123456"}); account.KindOf(err) != account.KindUnauthenticated {
		t.Errorf("old token after the reset: %v, want refused", err)
	}
}

// At most otp.SMSMaxSends codes in otp.SMSSendWindow, whatever their
// purpose, and the count is the store's.
func testOnlineSMSSendLimit(t *testing.T) {
	ts, c, _ := smsServer(t)
	ctx := context.Background()
	for i := 0; i < otp.SMSMaxSends; i++ {
		if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"})
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("send %d: %v, want the limit", otp.SMSMaxSends+1, err)
	}
	var sent []time.Time
	_ = ts.st.Read(ctx, func(tx Tx) error {
		sent, err = tx.SMSSends(ts.bob)
		return err
	})
	if len(sent) != otp.SMSMaxSends || !sent[0].Equal(testNow) {
		t.Errorf("stored send times %v, want %d at %v", sent, otp.SMSMaxSends, testNow)
	}
	// After the window, sending works again.
	later := testNow.Add(otp.SMSSendWindow)
	ts.srv.now = func() time.Time { return later }
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}); err != nil {
		t.Errorf("send after the window: %v", err)
	}
}

// otp.SMSMaxFailures wrong codes kill the pending code: the right one is
// refused after them.
func testOnlineSMSDeadAfterTooMany(t *testing.T) {
	ts, c, lastCode := smsServer(t)
	ctx := context.Background()
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}); err != nil {
		t.Fatal(err)
	}
	code := lastCode()
	for i := 0; i < otp.SMSMaxFailures; i++ {
		if _, err := c.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 123456", OTP: wrongCode(code)}); err == nil {
			t.Fatal("a wrong code was accepted")
		}
	}
	_, err := c.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 123456", OTP: code})
	if err == nil || !strings.Contains(err.Error(), "Too many failed attempts") {
		t.Errorf("right code after %d wrong ones: %v, want too many", otp.SMSMaxFailures, err)
	}
	if ts.user(t, ts.bob).PhoneVerified {
		t.Error("the phone was verified by a dead code")
	}
}

// secondProcess returns the URL of a second server process on ts's
// database (PostgreSQL), or ts's own URL (bbolt: one process).
func secondProcess(t *testing.T, ts *testServer) string {
	t.Helper()
	pg, ok := ts.st.(*PostgresStore)
	if !ok {
		return ts.http.URL
	}
	other, err := OpenPostgres(context.Background(), pg.pool.Config().ConnString(), PostgresOptions{Key: pg.key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	srv2 := NewServer(other, Options{})
	srv2.now, srv2.smsCommand = ts.srv.now, ts.srv.smsCommand
	return httptestServer(t, srv2)
}

// Sends asked for all at once (through two processes on PostgreSQL) get
// exactly the limit: each is counted before its code goes out.
func testOnlineSMSSendLimitAtOnce(t *testing.T) {
	ts, c, _ := smsServer(t)
	ctx := context.Background()
	url2 := secondProcess(t, ts)
	var wg sync.WaitGroup
	var mu sync.Mutex
	sentOK := 0
	for i := 0; i < 2*otp.SMSMaxSends; i++ {
		cc := *c
		if i%2 == 1 {
			cc.URL = url2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cc.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}) == nil {
				mu.Lock()
				sentOK++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var sent []time.Time
	err := ts.st.Read(ctx, func(tx Tx) error {
		var err error
		sent, err = tx.SMSSends(ts.bob)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if sentOK != otp.SMSMaxSends || len(sent) != otp.SMSMaxSends {
		t.Errorf("%d sends at once: %d went out, %d counted; want %d", 2*otp.SMSMaxSends, sentOK, len(sent), otp.SMSMaxSends)
	}
}

// A send that fails is not counted against the limit, and leaves no code.
func testOnlineSMSFailedSendNotCounted(t *testing.T) {
	ts, c, _ := smsServer(t)
	ctx := context.Background()
	working := ts.srv.smsCommand
	ts.srv.smsCommand = "echo gateway down >&2; exit 3"
	for i := 0; i <= otp.SMSMaxSends; i++ {
		err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"})
		if err == nil || !strings.Contains(err.Error(), "could not send the SMS") {
			t.Fatalf("send %d through a failing command: %v", i+1, err)
		}
	}
	if _, ok := ts.pendingSMS(t, ts.bob, otp.PurposeRegisterPhone); ok {
		t.Error("a code that was never sent is pending")
	}
	ts.srv.smsCommand = working
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}); err != nil {
		t.Errorf("send after failed ones: %v", err)
	}
}

// Two server processes on one database count one code's wrong attempts
// exactly: guesses sent through both at once are each counted once.
func testOnlineSMSAttemptsAcrossProcesses(t *testing.T) {
	ts, c, lastCode := smsServer(t)
	ctx := context.Background()
	http2 := secondProcess(t, ts)
	if err := c.SendSMS(ctx, usersync.SMSRequest{Purpose: otp.PurposeRegisterPhone, Phone: "+44 7911 123456"}); err != nil {
		t.Fatal(err)
	}
	wrong := wrongCode(lastCode())
	const guesses = otp.SMSMaxFailures - 2
	var wg sync.WaitGroup
	for i := 0; i < guesses; i++ {
		cc := *c
		if i%2 == 1 {
			cc.URL = http2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cc.Online(ctx, usersync.OnlineRequest{Op: "phone.verified", Phone: "+44 7911 123456", OTP: wrong}); err == nil {
				t.Error("a wrong code was accepted")
			}
		}()
	}
	wg.Wait()
	if ch, ok := ts.pendingSMS(t, ts.bob, otp.PurposeRegisterPhone); !ok || ch.Failures != guesses {
		t.Errorf("stored wrong attempts %d (pending %v), want %d", ch.Failures, ok, guesses)
	}
}

// httptestServer serves srv on a loopback port for the test's duration and
// returns its URL.
func httptestServer(t *testing.T, srv *Server) string {
	t.Helper()
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	return h.URL
}

// Migrate carries the pending SMS codes and send times: a user halfway
// through an SMS flow finishes it on the new store.
func TestMigrateCarriesSMS(t *testing.T) {
	testStoreKind = "postgres"
	defer func() { testStoreKind = "bolt" }()
	db := newTestStore(t, "server")
	var bob string
	code, ch, err := otp.NewSMSChallenge("+447911123456", otp.PurposeRegisterPhone, testNow)
	if err != nil {
		t.Fatal(err)
	}
	ch.Failures = 3
	sent := []time.Time{testNow.Add(-time.Minute), testNow}
	err = db.Update(func(tx *localstore.Tx) error {
		a, err := tx.Apply(nil, createMutation("admin", true))
		if err != nil {
			return err
		}
		b, err := tx.Apply(a, createMutation("bob", false))
		if err != nil {
			return err
		}
		bob = b.UUID
		if err := tx.PutSMSChallenge(bob, otp.PurposeRegisterPhone, ch); err != nil {
			return err
		}
		return tx.PutSMSSends(bob, sent)
	})
	if err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, db)
	err = st.Read(context.Background(), func(tx Tx) error {
		got, ok, err := tx.SMSChallenge(bob, otp.PurposeRegisterPhone)
		if err != nil {
			return err
		}
		if !ok || got.Failures != 3 || got.Phone != ch.Phone || got.Check(code, testNow) != nil {
			t.Errorf("migrated code %+v (pending %v) does not match the code sent", got, ok)
		}
		gotSent, err := tx.SMSSends(bob)
		if len(gotSent) != 2 || !gotSent[0].Equal(sent[0]) || !gotSent[1].Equal(sent[1]) {
			t.Errorf("migrated send times %v, want %v", gotSent, sent)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
