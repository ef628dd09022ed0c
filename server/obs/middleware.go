package obs

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

type addrKey struct{}

// Addr returns the client address Middleware put in ctx ("" outside it).
func Addr(ctx context.Context) string {
	a, _ := ctx.Value(addrKey{}).(string)
	return a
}

// Middleware wraps the server's mux: it works out the client address (for
// the handlers' login limits and the log), then after the handler logs one
// line (method, route, path, status, duration, client and the handler's
// notes) and counts the request in metrics by route pattern, so unknown paths
// do not make a metric per path.
func Middleware(next http.Handler, logger *slog.Logger, m *Metrics, proxies Proxies) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		addr := proxies.ClientAddr(r)
		n := &notes{}
		ctx := context.WithValue(context.WithValue(r.Context(), addrKey{}, addr), notesKey{}, n)
		r = r.WithContext(ctx)
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK, notes: n}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "other"
		}
		if m != nil {
			m.Request(route, rec.status, d)
		}
		if logger == nil {
			return
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", d.Round(time.Microsecond)),
			slog.String("client", addr),
		}
		n.mu.Lock()
		attrs = append(attrs, n.attrs...)
		n.mu.Unlock()
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		logger.LogAttrs(ctx, level, "request", attrs...)
	})
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
	notes  *notes
}

// Note adds attributes, given as slog key-value pairs, to the log line of
// the request w answers (w as Middleware passed it on, or a wrapper with an
// Unwrap method). Outside Middleware it does nothing.
func Note(w http.ResponseWriter, args ...any) {
	for w != nil {
		if s, ok := w.(*statusWriter); ok {
			var rec slog.Record
			rec.Add(args...)
			s.notes.mu.Lock()
			rec.Attrs(func(a slog.Attr) bool { s.notes.attrs = append(s.notes.attrs, a); return true })
			s.notes.mu.Unlock()
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the backup
// stream extends its write deadline).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
