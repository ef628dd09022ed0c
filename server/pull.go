package server

import (
	"encoding/binary"
	"net/http"
	"strconv"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
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
	err = s.store.View(func(tx *localstore.Tx) error {
		if err := s.checkHistory(tx, q.Get("epoch"), after, q.Get("after_id")); err != nil {
			return err
		}
		changes, err := tx.Bucket(bucketChanges)
		if err != nil {
			return err
		}
		resp.Head = changes.Sequence()
		seen := map[string]bool{}
		var order []string
		c := changes.Cursor()
		n := 0
		for k, _ := c.Seek(revKey(after + 1)); k != nil && n < limit; k, _ = c.Next() {
			n++
			ch, err := getChange(tx, changes, k)
			if err != nil {
				return err
			}
			resp.Cursor, resp.CursorID = binary.BigEndian.Uint64(k), ch.ID
			if !seen[ch.UUID] && (actor.SuperUser || ch.UUID == actor.UUID) {
				seen[ch.UUID] = true
				order = append(order, ch.UUID)
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
			resp.Users = append(resp.Users, wu)
		}
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	annotate(w, "after=%d cursor=%d users=%d", after, resp.Cursor, len(resp.Users))
	writeJSON(w, http.StatusOK, resp)
}

// wire returns u as sent to a client; self adds the user's own secrets.
func (s *Server) wire(tx *localstore.Tx, u *account.User, self bool) (usersync.WireUser, error) {
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
