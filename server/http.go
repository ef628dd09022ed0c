package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// maxBody bounds a request body (a full batch of mutations fits easily).
const maxBody = 32 << 20

// httpError is an error answer.
type httpError struct {
	status     int
	code, text string
	hint       string
	retryAfter int
}

func (e *httpError) Error() string { return e.text }

// ServeHTTP serves the protocol, logging one line per request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &logWriter{ResponseWriter: w, status: 200}
	if v := r.Header.Get(usersync.HeaderProtocol); v != usersync.ProtocolVersion {
		s.fail(rec, &httpError{status: http.StatusBadRequest, code: usersync.CodeVersion,
			text: fmt.Sprintf("protocol version %q not supported (this server speaks %s)", v, usersync.ProtocolVersion),
			hint: "use the same airt version on the client and the server"})
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		s.mux.ServeHTTP(rec, r)
	}
	if s.log != nil {
		s.logMu.Lock()
		fmt.Fprintf(s.log, "%s %s %s %d %s%s\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path,
			rec.status, time.Since(start).Round(time.Microsecond), rec.note)
		s.logMu.Unlock()
	}
}

type logWriter struct {
	http.ResponseWriter
	status int
	note   string
}

func (l *logWriter) WriteHeader(code int) { l.status = code; l.ResponseWriter.WriteHeader(code) }

func (l *logWriter) annotate(format string, args ...any) {
	l.note += " " + fmt.Sprintf(format, args...)
}

func annotate(w http.ResponseWriter, format string, args ...any) {
	if l, ok := w.(*logWriter); ok {
		l.annotate(format, args...)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fail writes err as an error answer: an *httpError as it is, an
// *account.Error by its kind, anything else as a 500 without its text.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var he *httpError
	var ae *account.Error
	switch {
	case errors.As(err, &he):
	case errors.As(err, &ae):
		he = &httpError{status: http.StatusBadRequest, code: usersync.CodeInvalid, text: ae.Text}
		switch ae.Kind {
		case account.KindUnauthenticated:
			he.status, he.code = http.StatusUnauthorized, usersync.CodeUnauthenticated
		case account.KindOTP:
			he.status, he.code = http.StatusUnauthorized, usersync.CodeOTP
		case account.KindForbidden:
			he.status, he.code = http.StatusForbidden, usersync.CodeForbidden
		}
	default:
		annotate(w, "error=%q", err.Error())
		he = &httpError{status: http.StatusInternalServerError, code: usersync.CodeInternal, text: "internal server error"}
	}
	if he.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(he.retryAfter))
	}
	writeJSON(w, he.status, usersync.ErrorBody{Error: he.text, Code: he.code, Hint: he.hint})
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return &httpError{status: http.StatusBadRequest, code: usersync.CodeInvalid, text: "bad request body: " + err.Error()}
	}
	return nil
}

// authenticate returns the uuid of the token's user.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*account.User, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return nil, &httpError{status: http.StatusUnauthorized, code: usersync.CodeUnauthenticated, text: "no token: log in first"}
	}
	var u *account.User
	err := s.store.View(func(tx *localstore.Tx) error {
		var err error
		u, err = tx.SessionUser(tok)
		if errors.Is(err, account.ErrAccountDisabled) || (errors.Is(err, account.ErrBadToken) && disabledToken(tx, tok)) {
			return &httpError{status: http.StatusForbidden, code: usersync.CodeDisabled, text: account.ErrAccountDisabled.Error()}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	annotate(w, "user=%s", u.Username)
	return u, nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// disabledToken tells whether tok is a token revoked because its user was
// disabled, and that user is still disabled.
func disabledToken(tx *localstore.Tx, tok string) bool {
	b, err := tx.Bucket(bucketDisabledTokens)
	if err != nil || b == nil {
		return false
	}
	k := []byte(localstore.TokenHash(tok))
	v := b.Get(k)
	var sess localstore.Session
	if v == nil || tx.OpenJSON(string(bucketDisabledTokens), k, v, &sess) != nil || !tx.Now().Before(sess.Expires) {
		return false
	}
	u, err := tx.User(sess.UserUUID)
	return err == nil && u.Disabled
}
