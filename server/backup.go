package server

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	usersync "github.com/airt/airt/sync"
)

// handleBackup streams a consistent copy of the server's bbolt store (one
// read transaction: pushes go on meanwhile) to a super user. The copy holds
// every password hash and sealed secret, hence super users only; it is
// restored by stopping the server and putting the file in place of its
// store (clients then see the history go back and say so).
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if !actor.SuperUser {
		s.fail(w, &httpError{status: http.StatusForbidden, code: usersync.CodeForbidden,
			text: "only super users may back up the server", hint: "log in as a super user (airt token -s)"})
		return
	}
	bs, ok := s.store.(interface {
		WriteBackup(w io.Writer, size func(int64)) (int64, error)
	})
	if !ok {
		s.fail(w, &httpError{status: http.StatusNotImplemented, code: usersync.CodeInvalid,
			text: "this server's store is not a bbolt file: back up its database with its own tools",
			hint: "for PostgreSQL: pg_dump --format=custom (see the README)"})
		return
	}
	// A large store takes longer to send than the server's write timeout
	// allows an answer: this one may take an hour.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "airt-server-"+s.now().UTC().Format("20060102T150405Z")+".db"))
	w.Header().Set("Airt-Epoch", s.epoch)
	n, err := bs.WriteBackup(w, func(size int64) {
		// The length lets the client tell a cut copy from a whole one.
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	})
	if err != nil {
		// Headers are gone: the client sees a short body (it checks the
		// copy opens) and the log says why.
		s.metrics.StoreError()
		annotate(w, "error", err.Error())
		return
	}
	annotate(w, "bytes", strconv.FormatInt(n, 10))
}
