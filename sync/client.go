package sync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/airt/airt/account"
)

// Client speaks the protocol to one server. Transient failures (network
// errors, 5xx) are retried with exponential backoff and full jitter, at most
// Retries times; every request is idempotent (a push by its sequence numbers),
// so a retry never applies anything twice.
type Client struct {
	// URL is the server's base URL ("http://127.0.0.1:8080").
	URL string
	// Token is the server token (Authorization: Bearer).
	Token string
	// HTTP is the HTTP client (nil: one with a 60s timeout).
	HTTP *http.Client
	// Retries bounds the retries of one request (0: 5; negative: none).
	Retries int
	// Backoff is the first retry's upper bound, doubled each time up to
	// MaxBackoff (0: 250ms and 5s).
	Backoff, MaxBackoff time.Duration
	// OnRetry, when set, hears about every retry before its wait.
	OnRetry func(attempt int, err error, wait time.Duration)
}

// HistoryResetError reports a server whose history does not contain what
// this store pulled (restored from an older copy, or replaced).
type HistoryResetError struct{ Text string }

func (e *HistoryResetError) Error() string { return e.Text }

// transientError is a failure worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// httpClient is c.HTTP (or a client with a 60s timeout) that never follows
// a redirect: a login carries the password in its body, and a redirect,
// even a 307 from a trusted address, could re-post it to any URL, plain
// http included. A server that moved is given to 'airt token -s' anew.
func (c *Client) httpClient() *http.Client {
	hc := http.Client{Timeout: 60 * time.Second}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// certificateError returns a permanent error when err is a failed TLS
// certificate check: retrying cannot fix it, and the "could not be reached"
// wording would send the user looking at the network.
func (c *Client) certificateError(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		host     x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		problem  string
		insecure x509.InsecureAlgorithmError
	)
	switch {
	case errors.As(err, &unknown):
		problem = "its certificate is signed by an authority this machine does not trust"
	case errors.As(err, &host):
		problem = "its certificate is not valid for this host name (" + host.Error() + ")"
	case errors.As(err, &invalid):
		problem = "its certificate is not valid (" + invalid.Error() + ")"
	case errors.As(err, &insecure):
		problem = "its certificate uses an insecure algorithm (" + insecure.Error() + ")"
	case errors.As(err, &verify):
		problem = "its certificate could not be verified (" + verify.Err.Error() + ")"
	default:
		return nil
	}
	// The problem text quotes the server's certificate: no control
	// characters reach the terminal.
	problem = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, problem)
	return &account.Error{Kind: account.KindUnreachable,
		Text: fmt.Sprintf("server %s: TLS certificate problem: %s; nothing was sent", c.URL, problem),
		Hint: "if the server uses a private certificate authority, pass its certificate with --cacert FILE (or AIRT_CA_CERT=FILE); check the URL's host name against the certificate"}
}

// Login asks for a token.
func (c *Client) Login(ctx context.Context, req LoginRequest) (*LoginResponse, error) {
	var resp LoginResponse
	if err := c.do(ctx, http.MethodPost, "/v1/token", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Logout revokes the client's token on the server.
func (c *Client) Logout(ctx context.Context) error {
	var out struct{}
	return c.do(ctx, http.MethodPost, "/v1/logout", struct{}{}, &out)
}

// Push sends one batch.
func (c *Client) Push(ctx context.Context, req *PushRequest) (*PushResponse, error) {
	var resp PushResponse
	if err := c.do(ctx, http.MethodPost, "/v1/push", req, &resp); err != nil {
		return nil, err
	}
	if len(resp.Results) != len(req.Mutations) {
		return nil, fmt.Errorf("server %s answered %d results for %d mutations", c.URL, len(resp.Results), len(req.Mutations))
	}
	return &resp, nil
}

// Pull asks for the changes after a position. store names the pulling
// store ("": none), so the server marks the users only it changed (Own).
func (c *Client) Pull(ctx context.Context, epoch string, after uint64, afterID string, limit int, store string) (*PullResponse, error) {
	q := url.Values{}
	if store != "" {
		q.Set("store", store)
	}
	q.Set("after", strconv.FormatUint(after, 10))
	if afterID != "" {
		q.Set("after_id", afterID)
	}
	if epoch != "" {
		q.Set("epoch", epoch)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var resp PullResponse
	if err := c.do(ctx, http.MethodGet, "/v1/pull?"+q.Encode(), nil, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	retries := c.Retries
	if retries == 0 {
		retries = 5
	}
	backoff, maxBackoff := c.Backoff, c.MaxBackoff
	if backoff <= 0 {
		backoff = 250 * time.Millisecond
	}
	if maxBackoff <= 0 {
		maxBackoff = 5 * time.Second
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, path, body, out)
		var te *transientError
		if !errors.As(err, &te) {
			return err
		}
		if attempt >= retries || ctx.Err() != nil {
			hint := "check the address and the network; nothing was lost, run 'airt sync' again"
			if path == "/v1/token" {
				// A login: there is nothing to lose yet, and the command to
				// repeat is the login.
				hint = "check the address and the network (is 'airt server' running there?), then run 'airt token -s " + c.URL + "' again"
			}
			return &account.Error{Kind: account.KindUnreachable,
				Text: fmt.Sprintf("server %s could not be reached: %s", c.URL, te.err), Hint: hint}
		}
		wait := rand.N(backoff) + backoff/2
		if c.OnRetry != nil {
			c.OnRetry(attempt+1, te.err, wait)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

func (c *Client) once(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("server URL %q: %w", c.URL, err)
	}
	req.Header.Set(HeaderProtocol, ProtocolVersion)
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if cerr := c.certificateError(err); cerr != nil {
			return cerr
		}
		return &transientError{err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return &transientError{err}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &account.Error{Kind: account.KindFailed,
			Text: fmt.Sprintf("server %s answered %s with a redirect to %q; airt does not follow redirects (the request may carry a password)", c.URL, resp.Status, resp.Header.Get("Location")),
			Hint: "if the server moved, log in at its new address: 'airt token -s NEW-URL'"}
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			return &transientError{fmt.Errorf("bad answer: %w", err)}
		}
		return nil
	}
	return c.answerError(path, resp, data)
}

// answerError turns a non-200 answer to path, with body data, into an error.
func (c *Client) answerError(path string, resp *http.Response, data []byte) error {
	var eb ErrorBody
	if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
		eb.Error = strings.TrimSpace(string(data))
		if eb.Error == "" {
			eb.Error = resp.Status
		}
	}
	switch {
	case resp.StatusCode >= 500:
		return &transientError{fmt.Errorf("%s: %s", resp.Status, eb.Error)}
	case eb.Code == CodeHistoryReset:
		return &HistoryResetError{Text: eb.Error}
	case eb.Code == CodeVersion:
		return &account.Error{Kind: account.KindFailed, Text: "server " + c.URL + ": " + eb.Error,
			Hint: "upgrade airt (client and server must speak the same protocol)"}
	case eb.Code == CodeDisabled:
		return &account.Error{Kind: account.KindUnauthenticated, Text: eb.Error,
			Hint: "your account is disabled on the server " + c.URL + ": ask an administrator to enable it; your queued changes stay in this store ('airt sync status')"}
	case eb.Code == CodeOTP:
		return &account.Error{Kind: account.KindOTP, Text: eb.Error}
	case resp.StatusCode == http.StatusUnauthorized:
		e := &account.Error{Kind: account.KindUnauthenticated, Text: eb.Error,
			Hint: "run 'airt token -s " + c.URL + "' to log in to the server again"}
		if path == "/v1/token" {
			e.Hint = ""
		}
		return e
	case resp.StatusCode == http.StatusForbidden:
		return &account.Error{Kind: account.KindForbidden, Text: eb.Error}
	case resp.StatusCode == http.StatusTooManyRequests:
		return &account.Error{Kind: account.KindUnauthenticated, Text: eb.Error,
			Hint: "wait " + resp.Header.Get("Retry-After") + " seconds before the next attempt"}
	}
	return &account.Error{Kind: account.KindFailed, Text: "server " + c.URL + ": " + eb.Error, Hint: eb.Hint}
}
