package server

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	gosync "sync"
	"time"
)

// Options configure NewServer.
type Options struct {
	// Log receives one line per request (method, path, status, duration,
	// the user and the push counts; never a secret). nil: no log.
	Log io.Writer
	// Now is the clock of the login limits and the TOTP check (nil: the
	// store's clock).
	Now func() time.Time
}

// Server is the airt server: an http.Handler over a Store.
type Server struct {
	store Store
	now   func() time.Time
	log   io.Writer
	logMu gosync.Mutex
	epoch string
	mux   *http.ServeMux
}

// NewServer serves store (OpenBolt or OpenPostgres prepared it).
func NewServer(store Store, opts Options) *Server {
	s := &Server{store: store, now: opts.Now, log: opts.Log, epoch: store.Epoch()}
	if s.now == nil {
		s.now = store.Now
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/token", s.handleLogin)
	s.mux.HandleFunc("POST /v1/push", s.handlePush)
	s.mux.HandleFunc("GET /v1/pull", s.handlePull)
	s.mux.HandleFunc("POST /v1/logout", s.handleLogout)
	return s
}

// Epoch returns the server's history id.
func (s *Server) Epoch() string { return s.epoch }

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
