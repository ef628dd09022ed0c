package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/airt/airt/server/guard"
	usersync "github.com/airt/airt/sync"
)

// Fuzz targets for the request decoding of every server handler. `go test`
// runs their seeds (so `make test` does); `go test -fuzz FuzzLogin ./server`
// explores. A handler may refuse anything, but must never answer 500 or
// panic on a request body or query.

// fuzzServer is one test server per fuzz target, its limits out of the way
// (a fuzzer is one address guessing thousands of names).
func fuzzServer(f *testing.F) (*testServer, string) {
	ts := newTestServer(f)
	ts.srv.limiter = guard.NewLimiter(guard.NewMemoryStore(), time.Now)
	return ts, loginToken(f, ts, "admin")
}

func loginToken(t testing.TB, ts *testServer, user string) string {
	resp, err := (&usersync.Client{URL: ts.http.URL, Retries: -1}).Login(t.Context(), usersync.LoginRequest{Username: user, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Token
}

func serve(ts *testServer, method, target, token string, body []byte) int {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set(usersync.HeaderProtocol, usersync.ProtocolVersion)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	return rec.Code
}

func FuzzLogin(f *testing.F) {
	for _, s := range []string{
		`{"username":"admin","password":"pw"}`,
		`{"username":"bob","password":"wrong","otp":"123456"}`,
		`{"username":"` + string(make([]byte, 300)) + `"}`,
		`{"username":"a\u0000\u202e","password":1}`,
		`{"username":["x"]}`, `{`, ``, `null`, `{"username":"admin","password":"pw"}{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	ts, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if code := serve(ts, "POST", "/v1/token", "", body); code >= 500 && code != http.StatusServiceUnavailable {
			t.Errorf("login %q: %d", body, code)
		}
	})
}

func FuzzPush(f *testing.F) {
	for _, s := range []string{
		`{"store_id":"s1","after":0,"mutations":[]}`,
		`{"store_id":"s1","after":0,"mutations":[{"store_id":"s1","seq":1,"id":"m1","op":"user.update","target":"x","args":{"first_name":"A"}}]}`,
		`{"store_id":"s1","mutations":[{"store_id":"s1","seq":1,"op":"user.create","args":{"username":"n","email":"n@example.com"}}]}`,
		`{"store_id":"s1","mutations":[{"store_id":"s2","seq":1}]}`,
		`{"store_id":"s1","mutations":[{"store_id":"s1","seq":2},{"store_id":"s1","seq":1}]}`,
		`{"store_id":"s1","epoch":"nope","cursor":99,"cursor_id":"x"}`,
		`{`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	ts, tok := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if code := serve(ts, "POST", "/v1/push", tok, body); code >= 500 {
			t.Errorf("push %q: %d", body, code)
		}
	})
}

func FuzzPull(f *testing.F) {
	for _, s := range []string{"after=0", "after=1&after_id=x&limit=5", "after=-1&limit=99999999999", "epoch=x&after=18446744073709551615", "%zz", "limit=0&limit=1"} {
		f.Add(s)
	}
	ts, tok := fuzzServer(f)
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/v1/pull", nil)
		req.URL.RawQuery = query
		req.Header.Set(usersync.HeaderProtocol, usersync.ProtocolVersion)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		ts.srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("pull ?%s: %d", query, rec.Code)
		}
	})
}

// FuzzAuthorization: the token header of logout, pull, push and backup.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer ", "Bearer x", "Basic abc", "Bearer " + string(make([]byte, 64)), ""} {
		f.Add(s)
	}
	ts, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, auth string) {
		for _, r := range []struct{ method, path string }{{"POST", "/v1/logout"}, {"GET", "/v1/pull"}, {"POST", "/v1/push"}, {"GET", "/v1/backup"}} {
			req := httptest.NewRequest(r.method, r.path, bytes.NewReader([]byte("{}")))
			req.Header.Set(usersync.HeaderProtocol, usersync.ProtocolVersion)
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			ts.srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Errorf("%s %s with Authorization %q: %d", r.method, r.path, auth, rec.Code)
			}
		}
	})
}
