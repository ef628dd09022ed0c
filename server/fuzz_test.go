package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// FuzzProtocol feeds arbitrary bodies to the server's push, online, SMS and
// login routes as a logged-in non-super user (bob) and as nobody: whatever
// the bytes, the server answers (no panic, no 5xx) and a mutation it
// applies has passed the local command's validation.
func FuzzProtocol(f *testing.F) {
	for _, seed := range []string{
		`{"store_id":"s1","after":0,"mutations":[{"id":"x","store_id":"s1","seq":1,"op":"user.update","target":"","args":{"first_name":"A"}}]}`,
		`{"store_id":"s1","mutations":[{"id":"x","store_id":"s1","seq":1,"op":"phone.verified","args":{"phone_number":"\u001b]0;x\u0007"}}]}`,
		`{"store_id":"s1","mutations":[{"id":"x","store_id":"s1","seq":1,"op":"password.reset","secrets":{"password_hash":"$argon2id$v=19$m=1048576,t=2,p=1$c2FsdA$aGFzaA"}}]}`,
		`{"store_id":"s1","mutations":[{"id":"x","store_id":"s1","seq":18446744073709551615,"op":"mfa.step","args":{"step":18446744073709551615}}]}`,
		`{"op":"mfa.disable","otp":"000000"}`,
		`{"op":"password.reset","username":"bob","new_password":"xxxxxxxx","otp":"1"}`,
		`{"purpose":"reset_password","username":"bob"}`,
		`{"username":"bob","password":"pw","otp":"123456"}`,
		`{"store_id":"s1","mutations":[null,{}]}`,
		`[]`, `{`, `null`, "\x00",
	} {
		f.Add(seed)
	}
	ts := newTestServer(f)
	c := &usersync.Client{URL: ts.http.URL, Retries: -1}
	resp, err := c.Login(context.Background(), usersync.LoginRequest{Username: "bob", Password: "pw"})
	if err != nil {
		f.Fatal(err)
	}
	token := resp.Token
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/push", "/v1/online", "/v1/sms", "/v1/token"} {
			for _, auth := range []string{"Bearer " + token, ""} {
				r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader([]byte(body)))
				r.Header.Set(usersync.HeaderProtocol, usersync.ProtocolVersion)
				if auth != "" {
					r.Header.Set("Authorization", auth)
				}
				w := httptest.NewRecorder()
				ts.srv.ServeHTTP(w, r)
				if w.Code >= 500 {
					t.Fatalf("%s %q: %d %s", path, body, w.Code, w.Body)
				}
			}
		}
		// Whatever was applied is valid by the local command's rules.
		err := ts.store.View(func(tx *localstore.Tx) error {
			for _, id := range []string{ts.admin, ts.bob} {
				u, err := tx.User(id)
				if err != nil {
					return err
				}
				if err := localstore.ValidateProfile(u); err != nil {
					t.Fatalf("after %q: user %s is invalid: %v", body, u.UUID, err)
				}
				if u.Phone != "" {
					if p, err := account.NormalizePhone(u.Phone); err != nil || p != u.Phone {
						t.Fatalf("after %q: phone %q stored", body, u.Phone)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzPullResponse decodes arbitrary bytes as the client decodes a pull
// answer: it never panics.
func FuzzPullResponse(f *testing.F) {
	f.Add(`{"epoch":"e","cursor":1,"cursor_id":"x","head":2,"more":true,"users":[{"uuid":"u","username":"a","secrets":{"password_hash":"h"}}]}`)
	f.Add(`{"users":[null]}`)
	f.Fuzz(func(t *testing.T, body string) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(body))
		}))
		defer srv.Close()
		c := &usersync.Client{URL: srv.URL, Retries: -1}
		_, _ = c.Pull(context.Background(), "", 0, "", 10, "")
	})
}
