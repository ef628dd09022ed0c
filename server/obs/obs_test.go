package obs

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		proxies Proxies
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies: the peer, header ignored", nil, "10.1.2.3:5555", []string{"203.0.113.9"}, "10.1.2.3"},
		{"untrusted peer: header ignored", proxies, "198.51.100.1:5555", []string{"203.0.113.9"}, "198.51.100.1"},
		{"trusted peer: last hop", proxies, "10.1.2.3:5555", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-written entries left of the real hop", proxies, "10.1.2.3:5555", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"chain of trusted proxies", proxies, "10.1.2.3:5555", []string{"203.0.113.9, 192.0.2.7", "10.9.9.9"}, "203.0.113.9"},
		{"garbage hop stops the walk", proxies, "10.1.2.3:5555", []string{"evil\nline, 10.2.2.2"}, "10.2.2.2"},
		{"trusted peer without header", proxies, "10.1.2.3:5555", nil, "10.1.2.3"},
		{"ipv4-mapped peer", proxies, "[::ffff:10.1.2.3]:5555", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := c.proxies.ClientAddr(r); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if _, err := ParseProxies([]string{"not-a-cidr"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

// A username holding a newline (or escape sequences) stays inside its
// quoted value: one request, one log line.
func TestLogQuotesUserValues(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			logger, err := NewLogger(&buf, format)
			if err != nil {
				t.Fatal(err)
			}
			h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				Annotate(r.Context(), slog.String("user", "ada\ntime=2024 level=INFO msg=forged\x1b[31m"))
				w.WriteHeader(401)
			}), logger, nil, nil)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/token", nil))
			out := buf.String()
			if n := strings.Count(out, "\n"); n != 1 {
				t.Fatalf("%d lines logged:\n%s", n, out)
			}
			if strings.ContainsAny(out, "\x1b") {
				t.Errorf("raw escape in the log: %q", out)
			}
			if format == "json" {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil || v["user"] != "ada\ntime=2024 level=INFO msg=forged\x1b[31m" || v["client"] != "192.0.2.1" {
					t.Errorf("json line %q: %v", out, err)
				}
			} else if !strings.Contains(out, `user="ada\ntime=2024`) || !strings.Contains(out, "client=192.0.2.1") {
				t.Errorf("text line %q", out)
			}
		})
	}
	if _, err := NewLogger(io.Discard, "xml"); err == nil {
		t.Error("xml format accepted")
	}
}

func TestMetricsByRoute(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/token", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) })
	h := Middleware(mux, nil, m, nil)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/token", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/random/path/1", nil))
	m.PushOutcome("applied", 3)
	m.LoginFailure("rate_limited")
	m.Lockout("user")
	m.StoreError()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`airt_http_requests_total{route="POST /v1/token",status="429"} 1`,
		`airt_http_requests_total{route="other",status="404"} 1`,
		`airt_http_request_duration_seconds_count{route="POST /v1/token"} 1`,
		`airt_push_mutations_total{outcome="applied"} 3`,
		`airt_login_failures_total{reason="rate_limited"} 1`,
		`airt_login_lockouts_total{rule="user"} 1`,
		`airt_store_errors_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
