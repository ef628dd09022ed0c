package server

import (
	"net/http"
	"strconv"

	"github.com/airt/airt/account"
	usersync "github.com/airt/airt/sync"
)

func (s *Server) handlePull(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	q := r.URL.Query()
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = usersync.DefaultPageSize
	}
	limit = min(limit, usersync.MaxPageSize)
	resp := usersync.PullResponse{Epoch: s.epoch, Cursor: after, CursorID: q.Get("after_id"), Users: []usersync.WireUser{}}
	// ?store= names the pulling store: users whose every change in the
	// page came from it are marked Own, so the client does not count its
	// own pushed changes as new work.
	pulling := q.Get("store")
	err = s.store.Read(r.Context(), func(tx Tx) error {
		if err := s.checkHistory(tx, q.Get("epoch"), after, q.Get("after_id")); err != nil {
			return err
		}
		var err error
		if resp.Head, err = tx.Head(); err != nil {
			return err
		}
		changes, err := tx.ChangesAfter(after, limit)
		if err != nil {
			return err
		}
		others := map[string]bool{}
		var order []string
		for _, ch := range changes {
			resp.Cursor, resp.CursorID = ch.Rev, ch.ID
			if !actor.SuperUser && ch.UUID != actor.UUID {
				continue
			}
			if _, seen := others[ch.UUID]; !seen {
				others[ch.UUID] = false
				order = append(order, ch.UUID)
			}
			if pulling == "" || ch.Store != pulling {
				others[ch.UUID] = true
			}
		}
		resp.More = resp.Cursor < resp.Head
		for _, id := range order {
			u, err := tx.User(id)
			if err != nil {
				continue
			}
			wu, err := s.wire(tx, u, id == actor.UUID)
			if err != nil {
				return err
			}
			wu.Own = !others[id]
			resp.Users = append(resp.Users, wu)
		}
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	annotate(w, "after", after, "cursor", resp.Cursor, "users", len(resp.Users))
	writeJSON(w, http.StatusOK, resp)
}

// wire returns u as sent to a client; self adds the user's own secrets.
func (s *Server) wire(tx Tx, u *account.User, self bool) (usersync.WireUser, error) {
	wu := usersync.WireUser{User: u.Public()}
	if !self {
		return wu, nil
	}
	sec := &usersync.UserSecrets{PasswordHash: u.PasswordHash}
	if u.MFA != nil {
		sec.MFALastStep = u.MFA.LastStep
		if u.MFA.Active {
			secret, err := s.mfaSecret(tx, u)
			if err != nil {
				return wu, err
			}
			sec.MFASecret = secret
		}
	}
	wu.Secrets = sec
	return wu, nil
}
