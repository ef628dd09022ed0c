package commands

import (
	"bytes"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serverLoginEnv runs `airt token -s` in-process against a fresh store in a
// temporary folder, with the password on stdin, so nothing but the test's
// servers is reached.
func serverLogin(t *testing.T, extraEnv map[string]string, args ...string) (code int, stderr string) {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{
		"AIRT_KEYRING": "file", "HOME": dir, "XDG_DATA_HOME": filepath.Join(dir, "data"),
		"AIRT_DB": filepath.Join(dir, "airt.db"),
	}
	for k, v := range extraEnv {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader("some password\n"), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] },
		Now:    time.Now,
	}
	code = Run(append(args, "-u", "alice", "--password-stdin"), env)
	return code, errb.String()
}

// TestClientRefusesRedirects: a 307 from the server (even a loopback one)
// to another address must not re-post the login, which carries the
// password, anywhere.
func TestClientRefusesRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		http.Error(w, "should never be reached", http.StatusTeapot)
	}))
	defer other.Close()
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	code, stderr := serverLogin(t, nil, "token", "-s", srv.URL)
	if code != ExitError {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitError, stderr)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the server got %d requests, want 1 (a redirect is not retried)", n)
	}
	for _, want := range []string{"with a redirect to \"" + other.URL + "/v1/token\"", "airt does not follow redirects", "Hint: if the server moved"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestClientCertificate: a server whose certificate is not trusted fails at
// once (no retries) with its own message naming --cacert; with --cacert (or
// AIRT_CA_CERT) naming its CA the request goes through.
func TestClientCertificate(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"Incorrect username or password. Please try again."}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stderr := serverLogin(t, nil, "token", "-s", srv.URL)
	if code != ExitUnreachable {
		t.Errorf("untrusted: exit %d, want %d", code, ExitUnreachable)
	}
	for _, want := range []string{"TLS certificate problem: its certificate is signed by an authority this machine does not trust; nothing was sent", "--cacert FILE"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("untrusted: stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, unwanted := range []string{"retry", "could not be reached", "run 'airt sync' again"} {
		if strings.Contains(stderr, unwanted) {
			t.Errorf("untrusted: stderr has %q:\n%s", unwanted, stderr)
		}
	}

	code, stderr = serverLogin(t, nil, "--cacert", caFile, "token", "-s", srv.URL)
	if code != ExitAuth || !strings.Contains(stderr, "Incorrect username or password") {
		t.Errorf("--cacert: exit %d, want %d (the server answered); stderr:\n%s", code, ExitAuth, stderr)
	}
	t.Setenv("AIRT_CA_CERT", caFile) // kingpin reads flag variables from the process
	code, stderr = serverLogin(t, nil, "token", "-s", srv.URL)
	os.Unsetenv("AIRT_CA_CERT")
	if code != ExitAuth {
		t.Errorf("AIRT_CA_CERT: exit %d, want %d; stderr:\n%s", code, ExitAuth, stderr)
	}
	if n := asked.Load(); n != 2 {
		t.Errorf("the server's handler ran %d times, want 2 (only the trusted logins)", n)
	}

	code, stderr = serverLogin(t, nil, "--cacert", filepath.Join(t.TempDir(), "missing.pem"), "token", "-s", srv.URL)
	if code != ExitError || !strings.Contains(stderr, "--cacert ") || !strings.Contains(stderr, "no such file or directory") {
		t.Errorf("missing --cacert file: exit %d; stderr:\n%s", code, stderr)
	}
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	code, stderr = serverLogin(t, nil, "--cacert", notPEM, "token", "-s", srv.URL)
	if code != ExitError || !strings.Contains(stderr, "no PEM certificate in the file") {
		t.Errorf("--cacert without PEM: exit %d; stderr:\n%s", code, stderr)
	}
}
