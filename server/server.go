package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/airt/airt/server/guard"
	"github.com/airt/airt/server/obs"
)

// Options configure NewServer.
type Options struct {
	// Logger receives one line per request (method, path, status,
	// duration, client address, the user and the push counts; never a
	// secret). nil: no log.
	Logger *slog.Logger
	// Now is the clock of the login limits and the TOTP check (nil: the
	// store's clock).
	Now func() time.Time
	// SMSCommand sends the one-time codes of the online operations (the
	// server's AIRT_SMS_COMMAND; "": they cannot be sent).
	SMSCommand string
	// Metrics collects the server's metrics (nil: a registry of its own).
	Metrics *obs.Metrics
	// Proxies are the trusted proxies whose X-Forwarded-For names the
	// client (for the log and the login limits).
	Proxies obs.Proxies
	// Gate bounds concurrent password and code hashing (nil:
	// guard.DefaultGate, one per core).
	Gate *guard.Gate
}

// Server is the airt server: an http.Handler over a Store.
type Server struct {
	store   Store
	now     func() time.Time
	logger  *slog.Logger
	metrics *obs.Metrics
	proxies obs.Proxies
	gate    *guard.Gate
	epoch   string
	// limiter counts login attempts in the store (guard.Store), so every
	// process on it shares the counts and a restart keeps them.
	limiter *guard.Limiter
	mux     *http.ServeMux
	handler http.Handler
	// smsCommand: Options.SMSCommand.
	smsCommand string
}

// NewServer serves store (OpenBolt or OpenPostgres prepared it).
func NewServer(store Store, opts Options) *Server {
	s := &Server{store: store, now: opts.Now, logger: opts.Logger, metrics: opts.Metrics, proxies: opts.Proxies,
		gate: opts.Gate, epoch: store.Epoch(), smsCommand: opts.SMSCommand}
	if s.now == nil {
		s.now = store.Now
	}
	if s.metrics == nil {
		s.metrics = obs.NewMetrics()
	}
	if s.gate == nil {
		s.gate = guard.DefaultGate()
	}
	s.limiter = guard.NewLimiter(store, s.now)
	s.routes()
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
