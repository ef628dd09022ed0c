package commands

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// airt token -s URL: log in to an airt server, and the HTTP client that
// talks to it (TLS trust, no redirects); airt logout's server side.

// serverTokenKey is the keyring entry of the server token for a server URL.
func serverTokenKey(url string) string { return "server-token:" + url }

// normalizeServerURL checks a -s URL and drops a trailing slash.
func normalizeServerURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", account.Errorf(account.KindInvalid, "server URL %q: not an http:// or https:// URL", raw).
			WithHint("pass the URL 'airt server' printed, such as http://127.0.0.1:8080")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return "", account.Errorf(account.KindInvalid, "server URL %q: plain http is only for this machine (passwords and secrets cross the wire)", raw).
			WithHint("serve HTTPS ('airt server --tls-cert F --tls-key F') and use an https:// URL")
	}
	return strings.TrimRight(raw, "/"), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverLogin is `airt token -s URL`: log in to the server, keep its token in
// the keyring per URL, remember the server for `airt sync`, pull (so the
// user's own record, password hash included, is in the local store) and open
// a local session, so the user can also work offline.
func (t *tokenCmd) serverLogin() error {
	c := t.c
	srvURL, err := normalizeServerURL(t.server)
	if err != nil {
		return err
	}
	s, err := c.openStore()
	if err != nil {
		return err
	}
	var known, seenEpoch string
	if err := s.View(func(tx *localstore.Tx) error {
		known = string(tx.GetMeta(usersync.MetaServer))
		seenEpoch = usersync.SeenEpoch(tx)
		return nil
	}); err != nil {
		return err
	}
	// A store is bound to one server (one history); the server may move to
	// another URL (port, host name, https). The store follows it when the
	// server at the new URL has the history this store pulled from.
	moving := known != "" && known != srvURL
	if moving && seenEpoch == "" {
		return account.Errorf(account.KindInvalid, "this store syncs with %s and has not pulled from it yet, so it cannot tell whether %s is the same server", known, srvURL).
			WithHint("run 'airt sync' while " + known + " answers, or use another store (--db) for " + srvURL)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client, err := c.syncClient(srvURL, "")
	if err != nil {
		return err
	}
	resp, err := client.Login(ctx, usersync.LoginRequest{Username: t.username, Password: t.password, OTP: t.otp})
	if err != nil {
		return err
	}
	if moving && resp.Epoch != seenEpoch {
		// Another server: give back the token just issued (best effort).
		c.revokeServerToken(srvURL, resp.Token)
		return account.Errorf(account.KindInvalid, "this store syncs with %s; %s is another server (history %s, this store's is %s)",
			known, srvURL, shortID(resp.Epoch), shortID(seenEpoch)).
			WithHint("this store's queued changes stay here and go only to " + known + " ('airt sync status' lists them); use another store (--db) for " + srvURL)
	}
	c.moveCredentials()
	if err := c.creds.Set(serverTokenKey(srvURL), resp.Token); err != nil {
		return fmt.Errorf("keep the server token in the keyring: %w", err)
	}
	if moving {
		if old, err := c.creds.Get(serverTokenKey(known)); err == nil {
			c.revokeServerToken(srvURL, old) // same server, new address
		}
		if err := c.creds.Delete(serverTokenKey(known)); err != nil && !errors.Is(err, credentials.ErrNotFound) {
			fmt.Fprintf(c.env.Stderr, "warning: remove the old server token from the keyring: %s\n", err)
		}
		fmt.Fprintf(c.env.Stderr, "this store now syncs with %s (same server as %s)\n", srvURL, known)
	}
	err = s.Update(func(tx *localstore.Tx) error {
		if err := tx.PutMeta(usersync.MetaServer, []byte(srvURL)); err != nil {
			return err
		}
		return usersync.Rebase(tx, []usersync.WireUser{resp.User})
	})
	if err != nil {
		return err
	}
	client.Token = resp.Token
	eng := &usersync.Engine{Store: s, Client: client}
	if _, err := eng.Pull(ctx); err != nil {
		return c.syncError(err)
	}
	var token string
	err = s.Update(func(tx *localstore.Tx) error {
		if _, err := tx.User(resp.User.UUID); err != nil {
			return fmt.Errorf("your record did not reach the local store: %w", err)
		}
		token, err = tx.NewSession(resp.User.UUID)
		return err
	})
	if err != nil {
		return err
	}
	if err := c.creds.Set(keySession, token); err != nil {
		return fmt.Errorf("keep the session in the keyring: %w", err)
	}
	c.debugf("logged in to %s as %s (%s)", srvURL, resp.User.Username, resp.User.UUID)
	if t.quiet {
		fmt.Fprintln(c.env.Stdout, token)
		return nil
	}
	fmt.Fprintf(c.env.Stdout, "token: %s\n", token)
	return nil
}

// revokeServerToken revokes a server token on the server at url (best
// effort: one try, a short timeout, errors ignored).
func (c *cli) revokeServerToken(url, token string) {
	hc, err := c.httpClient(5 * time.Second)
	if err != nil {
		return
	}
	client := &usersync.Client{URL: url, Token: token, Retries: -1, HTTP: hc}
	_ = client.Logout(context.Background())
}

func shortID(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// syncClient returns a protocol client that trusts --cacert and logs its
// retries to stderr.
func (c *cli) syncClient(url, token string) (*usersync.Client, error) {
	hc, err := c.httpClient(60 * time.Second)
	if err != nil {
		return nil, err
	}
	return &usersync.Client{URL: url, Token: token, HTTP: hc, OnRetry: func(attempt int, err error, wait time.Duration) {
		fmt.Fprintf(c.env.Stderr, "warning: %s; retry %d in %s\n", err, attempt, wait.Round(time.Millisecond))
	}}, nil
}

// httpClient is the HTTP client for the server: the system's certificate
// authorities (SSL_CERT_FILE and SSL_CERT_DIR replace them, as for every Go
// program) plus the one of --cacert / AIRT_CA_CERT, for a server with a
// private CA.
func (c *cli) httpClient(timeout time.Duration) (*http.Client, error) {
	hc := &http.Client{Timeout: timeout}
	if c.caCert == "" {
		return hc, nil
	}
	pem, err := os.ReadFile(c.caCert)
	if err != nil {
		return nil, account.Errorf(account.KindInvalid, "--cacert %s: %v", c.caCert, errors.Unwrap(err)).
			WithHint("give the PEM file of the certificate authority that signed the server's certificate")
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, account.Errorf(account.KindInvalid, "--cacert %s: no PEM certificate in the file", c.caCert).
			WithHint("give the PEM file (-----BEGIN CERTIFICATE-----) of the certificate authority that signed the server's certificate")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc.Transport = tr
	return hc, nil
}

// serverLogout revokes the store's server token on the server (best
// effort: one try, a short timeout) and removes it from the keyring. It
// reports whether there was one.
func (c *cli) serverLogout(s *localstore.Store) bool {
	var srvURL string
	_ = s.View(func(tx *localstore.Tx) error {
		srvURL = string(tx.GetMeta(usersync.MetaServer))
		return nil
	})
	if srvURL == "" {
		return false
	}
	tok, err := c.creds.Get(serverTokenKey(srvURL))
	if err != nil {
		return false
	}
	err = nil
	if hc, herr := c.httpClient(5 * time.Second); herr != nil {
		err = herr
	} else {
		client := &usersync.Client{URL: srvURL, Token: tok, Retries: -1, HTTP: hc}
		err = client.Logout(context.Background())
	}
	if err != nil && account.KindOf(err) != account.KindUnauthenticated {
		fmt.Fprintf(c.env.Stderr, "warning: the server token could not be revoked on %s (%s); it was removed from the keyring and expires on its own\n", srvURL, err)
	}
	if err := c.creds.Delete(serverTokenKey(srvURL)); err != nil {
		fmt.Fprintf(c.env.Stderr, "warning: remove the server token from the keyring: %s\n", err)
	}
	return true
}
