package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/server/obs"
	usersync "github.com/airt/airt/sync"
)

// Request bodies are bounded per route before anything reads them: a login
// is a few hundred bytes, a push a full batch of mutations with their
// secrets. A larger body is cut at the bound and answered 413.
const (
	maxLoginBody = 8 << 10
	maxSmallBody = 1 << 10
	maxPushBody  = 32 << 20
)

// httpError is an error answer.
type httpError struct {
	status     int
	code, text string
	hint       string
	retryAfter int
}

func (e *httpError) Error() string { return e.text }

// ServeHTTP serves the protocol and the operator's routes through the
// logging and metrics middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// routes registers every route; the protocol's go through protocol().
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/token", s.protocol(maxLoginBody, s.handleLogin))
	s.mux.HandleFunc("POST /v1/push", s.protocol(maxPushBody, s.handlePush))
	s.mux.HandleFunc("GET /v1/pull", s.protocol(maxSmallBody, s.handlePull))
	s.mux.HandleFunc("POST /v1/logout", s.protocol(maxSmallBody, s.handleLogout))
	s.mux.HandleFunc("GET /v1/backup", s.protocol(maxSmallBody, s.handleBackup))
	s.mux.HandleFunc("POST /v1/online", s.protocol(maxOnlineBody, s.handleOnline))
	s.mux.HandleFunc("POST /v1/sms", s.protocol(maxOnlineBody, s.handleSMS))
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	s.mux.Handle("GET /metrics", s.metrics.Handler())
	s.handler = obs.Middleware(s.mux, s.logger, s.metrics, s.proxies)
}

// protocol checks the protocol version and bounds the body to limit
// before h reads anything.
func (s *Server) protocol(limit int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get(usersync.HeaderProtocol); v != usersync.ProtocolVersion {
			s.fail(w, &httpError{status: http.StatusBadRequest, code: usersync.CodeVersion,
				text: fmt.Sprintf("protocol version %q not supported (this server speaks %s)", v, usersync.ProtocolVersion),
				hint: "use the same airt version on the client and the server"})
			return
		}
		if r.ContentLength > limit {
			s.fail(w, tooLarge(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h(w, r)
	}
}

func tooLarge(limit int64) error {
	return &httpError{status: http.StatusRequestEntityTooLarge, code: usersync.CodeInvalid,
		text: fmt.Sprintf("request body too large: at most %d bytes", limit)}
}

// handleHealth answers that the process serves requests.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady answers whether the store can be read: a load balancer sends
// no traffic to a process whose store is unreachable.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	err := s.store.Ping(r.Context())
	if err != nil {
		s.metrics.StoreError()
		annotate(w, "error", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// annotate adds slog key-value pairs to the request's log line.
func annotate(w http.ResponseWriter, args ...any) { obs.Note(w, args...) }

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
	var tl *http.MaxBytesError
	switch {
	case errors.As(err, &he):
	case errors.As(err, &tl):
		he = tooLarge(tl.Limit).(*httpError)
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
		annotate(w, "error", err.Error())
		s.metrics.StoreError()
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
		var tl *http.MaxBytesError
		if errors.As(err, &tl) {
			return tooLarge(tl.Limit)
		}
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
	err := s.store.Read(r.Context(), func(tx Tx) error {
		var err error
		u, err = tx.SessionUser(tok)
		if errors.Is(err, account.ErrBadToken) {
			disabled, derr := disabledToken(tx, tok)
			if derr != nil {
				return derr
			}
			if disabled {
				err = account.ErrAccountDisabled
			}
		}
		if errors.Is(err, account.ErrAccountDisabled) {
			return &httpError{status: http.StatusForbidden, code: usersync.CodeDisabled, text: account.ErrAccountDisabled.Error()}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	annotate(w, "user", u.Username)
	return u, nil
}

// disabledToken tells whether tok is a token revoked because its user was
// disabled, and that user is still disabled.
func disabledToken(tx Tx, tok string) (bool, error) {
	sess, ok, err := tx.DisabledToken(localstore.TokenHash(tok))
	if err != nil || !ok || !tx.Now().Before(sess.Expires) {
		return false, err
	}
	u, err := tx.User(sess.UserUUID)
	return err == nil && u.Disabled, nil
}
