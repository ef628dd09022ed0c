// Package obs is what an operator watches of airt server: one structured log
// (log/slog, text or JSON), Prometheus metrics, the client address behind
// trusted proxies, and the middleware that ties them to every request.
package obs

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"
	gosync "sync"
)

// NewLogger returns the server's logger writing format ("text" or "json")
// to w. Both handlers quote user-supplied values (a username holding a
// newline stays on its line), so no value can forge a log line.
func NewLogger(w io.Writer, format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// ErrorLog routes Go's own http.Server messages (TLS handshake errors,
// panics in handlers, accept errors) through logger at warning level.
func ErrorLog(logger *slog.Logger) *log.Logger {
	return slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
}

// notes carries the attributes handlers add to their request's log line.
type notes struct {
	mu    gosync.Mutex
	attrs []slog.Attr
}

type notesKey struct{}

// Annotate adds attributes to the log line of the request whose context is
// ctx (the user, push counts...). Outside Middleware it does nothing.
func Annotate(ctx context.Context, attrs ...slog.Attr) {
	if n, ok := ctx.Value(notesKey{}).(*notes); ok {
		n.mu.Lock()
		n.attrs = append(n.attrs, attrs...)
		n.mu.Unlock()
	}
}
