package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/server/guard"
	"github.com/airt/airt/server/obs"
	usersync "github.com/airt/airt/sync"
)

// The abuse tests run over both stores, with the other server tests
// (TestServerBolt, TestServerPostgres).
func init() {
	serverTests = append(serverTests, []struct {
		name string
		fn   func(*testing.T)
	}{
		{"LoginBurstCountedBeforeCheck", testLoginBurstCountedBeforeCheck},
		{"ClientAddressNeedsTrustedProxy", testClientAddressNeedsTrustedProxy},
		{"TOTPLockoutAtLogin", testTOTPLockoutAtLogin},
		{"LoginBoundsBeforeWork", testLoginBoundsBeforeWork},
		{"GateBusy", testGateBusy},
		{"OperatorRoutes", testOperatorRoutes},
	}...)
}

// rawLogin posts a login body from client address xff (through a trusted
// proxy when the server has one) and returns the status.
func rawLogin(t *testing.T, url string, body []byte, xff string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/v1/token", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(usersync.HeaderProtocol, usersync.ProtocolVersion)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func loginBody(user, password, code string) []byte {
	b, _ := json.Marshal(usersync.LoginRequest{Username: user, Password: password, OTP: code})
	return b
}

// abuseServer is a test server whose clock is frozen, whose client
// addresses come from X-Forwarded-For (loopback is a trusted proxy), and
// whose hashing gate never refuses (the tests count password checks).
func abuseServer(t *testing.T, logTo io.Writer) *testServer {
	t.Helper()
	ts := &testServer{store: newTestStore(t, "server")}
	err := ts.store.Update(func(tx *localstore.Tx) error {
		a, err := tx.Apply(nil, createMutation("admin", true))
		if err != nil {
			return err
		}
		ts.admin = a.UUID
		b, err := tx.Apply(a, createMutation("bob", false))
		ts.bob = b.UUID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	proxies, _ := obs.ParseProxies([]string{"127.0.0.0/8"})
	opts := Options{Now: func() time.Time { return testNow }, Proxies: proxies, Gate: guard.NewGate(2, 1000, time.Hour)}
	if logTo != nil {
		opts.Logger, _ = obs.NewLogger(logTo, "json")
	}
	ts.st = openTestStore(t, ts.store)
	ts.srv = NewServer(ts.st, opts)
	ts.http = httptest.NewServer(ts.srv)
	t.Cleanup(ts.http.Close)
	return ts
}

// burst sends n logins at once and counts the answers by status.
func burst(t *testing.T, url string, n int, body func(i int) []byte, xff func(i int) string) map[int]int {
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	counts := map[int]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, _ := rawLogin(t, url, body(i), xff(i))
			mu.Lock()
			counts[status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// LoginBurstCountedBeforeCheck: simultaneous guesses cannot overtake
// the limit. Before, 60 simultaneous guesses for one user from one address
// got 17–60 password checks; each attempt is now counted before its check:
// exactly 5 (the limit) are checked (401), the rest refused (429). Spread
// over 10 addresses, the per-user limit holds them to 10.
func testLoginBurstCountedBeforeCheck(t *testing.T) {
	ts := abuseServer(t, nil)
	got := burst(t, ts.http.URL, 60, func(int) []byte { return loginBody("bob", "guess", "") }, func(int) string { return "203.0.113.1" })
	if got[401] != guard.PerUserAddress.Max || got[429] != 60-guard.PerUserAddress.Max {
		t.Errorf("60 guesses, one user, one address: %v, want %d checked (401) and the rest 429", got, guard.PerUserAddress.Max)
	}
	got = burst(t, ts.http.URL, 100, func(int) []byte { return loginBody("admin", "guess", "") },
		func(i int) string { return fmt.Sprintf("198.51.100.%d", i%10) })
	if got[401] != guard.PerUser.Max || got[429] != 100-guard.PerUser.Max {
		t.Errorf("100 guesses, one user, 10 addresses: %v, want %d checked (401) and the rest 429", got, guard.PerUser.Max)
	}
	// Guessing across users from one address: the per-address limit.
	got = burst(t, ts.http.URL, 80, func(i int) []byte { return loginBody(fmt.Sprintf("user%d", i), "guess", "") },
		func(int) string { return "192.0.2.9" })
	if got[401] != guard.PerAddress.Max || got[429] != 80-guard.PerAddress.Max {
		t.Errorf("80 guesses over 80 names from one address: %v, want %d checked", got, guard.PerAddress.Max)
	}
	// The counts live in the server's store: a new server process on it
	// (a restart, or another process) still refuses.
	srv2 := NewServer(ts.st, Options{Now: func() time.Time { return testNow }, Proxies: ts.srv.proxies})
	h2 := httptest.NewServer(srv2)
	defer h2.Close()
	if status, hdr := rawLogin(t, h2.URL, loginBody("bob", "pw", ""), "203.0.113.1"); status != 429 || hdr.Get("Retry-After") == "" {
		t.Errorf("after a restart: %d (Retry-After %q), want 429 with Retry-After", status, hdr.Get("Retry-After"))
	}
	// Another address may still log in as bob with the right password.
	if status, _ := rawLogin(t, h2.URL, loginBody("bob", "pw", ""), "203.0.113.2"); status != 200 {
		t.Errorf("bob from another address: %d, want 200", status)
	}
}

// ClientAddressNeedsTrustedProxy: without --trusted-proxy a client
// cannot pick its address (and so its limit) with X-Forwarded-For.
func testClientAddressNeedsTrustedProxy(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.now = func() time.Time { return testNow }
	for i := range guard.PerUserAddress.Max {
		if status, _ := rawLogin(t, ts.http.URL, loginBody("bob", "guess", ""), fmt.Sprintf("203.0.113.%d", i)); status != 401 {
			t.Fatalf("guess %d: %d", i+1, status)
		}
	}
	if status, _ := rawLogin(t, ts.http.URL, loginBody("bob", "guess", ""), "203.0.113.99"); status != 429 {
		t.Errorf("a forged X-Forwarded-For escaped the limit: %d, want 429", status)
	}
}

// TOTPLockoutAtLogin: the server applies otp's lock-out rule (the
// CLI's): 5 wrong codes in a row (with the right password) lock codes for 5
// minutes, persisted in the user's record; then even the right code is
// refused until the lock ends.
func testTOTPLockoutAtLogin(t *testing.T) {
	ts := abuseServer(t, nil)
	now := testNow
	ts.srv.now = func() time.Time { return now }
	secret, err := otp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	ts.activateMFA(t, ts.bob, secret)
	right, _ := otp.Code(secret, now)
	wrong := "000000"
	if wrong == right {
		wrong = "111111"
	}
	// Each from its own address, so the password limits stay out of it.
	for i := range otp.MaxFailures {
		if status, _ := rawLogin(t, ts.http.URL, loginBody("bob", "pw", wrong), fmt.Sprintf("198.51.100.%d", i)); status != 401 {
			t.Fatalf("wrong code %d: %d, want 401", i+1, status)
		}
	}
	var att otp.Attempts
	ts.st.Read(context.Background(), func(tx Tx) error {
		u, err := tx.User(ts.bob)
		if err == nil {
			att = localstore.OTPAttempts(u)
		}
		return err
	})
	if locked, until := att.Locked(now); !locked || !until.Equal(now.Add(otp.LockDuration)) {
		t.Fatalf("stored attempts %+v: want locked until %s", att, now.Add(otp.LockDuration))
	}
	status, hdr := rawLogin(t, ts.http.URL, loginBody("bob", "pw", right), "198.51.100.200")
	if status != 429 || hdr.Get("Retry-After") != "300" {
		t.Errorf("right code while locked: %d (Retry-After %q), want 429 after 300 s", status, hdr.Get("Retry-After"))
	}
	now = now.Add(otp.LockDuration)
	right, _ = otp.Code(secret, now)
	if status, _ := rawLogin(t, ts.http.URL, loginBody("bob", "pw", right), "198.51.100.201"); status != 200 {
		t.Errorf("right code after the lock: %d, want 200", status)
	}
}

// LoginBoundsBeforeWork: a huge body or username is refused before any
// decoding, limiting or hashing, and a username with a newline is one
// quoted value in one log line.
func testLoginBoundsBeforeWork(t *testing.T) {
	var log bytes.Buffer
	var logMu gosync.Mutex
	ts := abuseServer(t, writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return log.Write(p) }))
	huge := loginBody(strings.Repeat("a", 8<<20), "pw", "")
	if status, _ := rawLogin(t, ts.http.URL, huge, ""); status != http.StatusRequestEntityTooLarge {
		t.Errorf("8 MB username: %d, want 413", status)
	}
	long := loginBody(strings.Repeat("é", maxLoginUsernameRunes+1), "pw", "")
	if status, _ := rawLogin(t, ts.http.URL, long, ""); status != http.StatusBadRequest {
		t.Errorf("%d-character username: %d, want 400", maxLoginUsernameRunes+1, status)
	}
	if status, _ := rawLogin(t, ts.http.URL, loginBody("ada\n{\"level\":\"INFO\",\"msg\":\"forged\"}", "x", ""), ""); status != 401 {
		t.Errorf("newline username: %d", status)
	}
	// Nothing was counted for the refused ones.
	n := 0
	ts.st.UpdateAttempts([]string{"a:127.0.0.1"}, func(recs []*guard.Record) error { n = len(recs[0].Times); return nil })
	if n != 1 {
		t.Errorf("%d attempts counted for 127.0.0.1, want 1 (only the newline username reached the limiter)", n)
	}
	logMu.Lock()
	defer logMu.Unlock()
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 requests:\n%s", len(lines), log.String())
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["msg"] != "request" || len(l) > 4096 {
			t.Errorf("log line %.200q: %v", l, err)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// GateBusy: with every hashing slot and waiting place taken, a login is
// answered 503 with Retry-After at once, and nothing is counted against
// the user.
func testGateBusy(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.gate = guard.NewGate(1, 0, time.Hour)
	release, err := ts.srv.gate.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	status, hdr := rawLogin(t, ts.http.URL, loginBody("bob", "pw", ""), "")
	release()
	if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") != "1" {
		t.Errorf("busy gate: %d (Retry-After %q), want 503 with Retry-After 1", status, hdr.Get("Retry-After"))
	}
	for range guard.PerUserAddress.Max {
		if status, _ := rawLogin(t, ts.http.URL, loginBody("bob", "pw", ""), ""); status != 200 {
			t.Fatalf("after the busy answer: %d, want 200 (the refused attempt is not counted)", status)
		}
	}
}

// OperatorRoutes: /healthz, /readyz and /metrics need no protocol
// header; metrics count requests by route and status, push outcomes and
// login failures.
func testOperatorRoutes(t *testing.T) {
	ts := newTestServer(t)
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, b := get("/healthz"); s != 200 || !strings.Contains(b, "ok") {
		t.Errorf("/healthz: %d %s", s, b)
	}
	if s, b := get("/readyz"); s != 200 || !strings.Contains(b, "ready") {
		t.Errorf("/readyz: %d %s", s, b)
	}
	rawLogin(t, ts.http.URL, loginBody("bob", "wrong", ""), "")
	a := ts.client(t, "a", "admin")
	if _, err := a.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body := get("/metrics")
	for _, want := range []string{
		`airt_http_requests_total{route="POST /v1/token",status="401"} 1`,
		`airt_http_requests_total{route="POST /v1/token",status="200"} 1`,
		`airt_http_requests_total{route="GET /healthz",status="200"} 1`,
		`airt_login_failures_total{reason="credentials"} 1`,
		`airt_http_request_duration_seconds_bucket{route="GET /v1/pull"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if testStoreKind != "bolt" {
		return
	}
	// A closed store is not ready.
	ts.store.Close()
	if s, _ := get("/readyz"); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a closed store: %d, want 503", s)
	}
	_, body = get("/metrics")
	if !strings.Contains(body, "airt_store_errors_total 1") {
		t.Errorf("/metrics: the store error is not counted")
	}
}

// BackupRoute: GET /v1/backup gives a super user the whole bbolt store (its
// length announced), refuses anyone else, and says to use the database's
// tools on PostgreSQL.
func testBackupRoute(t *testing.T) {
	ts := newTestServer(t)
	get := func(user string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", ts.http.URL+"/v1/backup", nil)
		req.Header.Set(usersync.HeaderProtocol, usersync.ProtocolVersion)
		req.Header.Set("Authorization", "Bearer "+loginToken(t, ts, user))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, _ := get("bob"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("bob: %d, want 403", resp.StatusCode)
	}
	resp, body := get("admin")
	if testStoreKind != "bolt" {
		if resp.StatusCode != http.StatusNotImplemented {
			t.Errorf("backup of a PostgreSQL server: %d, want 501", resp.StatusCode)
		}
		return
	}
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(body)) || resp.Header.Get("Airt-Epoch") != ts.srv.Epoch() {
		t.Fatalf("backup: %d, %d bytes of %d, epoch %q", resp.StatusCode, len(body), resp.ContentLength, resp.Header.Get("Airt-Epoch"))
	}
	// The copy is a store file with the server's users.
	path := t.TempDir() + "/copy.db"
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := localstore.Open(path, localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *localstore.Tx) error {
		_, err := tx.User(ts.bob)
		return err
	})
	if err != nil {
		t.Errorf("bob in the copy: %v", err)
	}
}

func init() {
	serverTests = append(serverTests, struct {
		name string
		fn   func(*testing.T)
	}{"BackupRoute", testBackupRoute})
}
