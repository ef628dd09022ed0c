package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// rejection carries a rejected mutation's reason out of the rolled-back
// transaction.
type rejection struct{ reason string }

func (r *rejection) Error() string { return r.reason }

func reject(format string, args ...any) error {
	return &rejection{reason: fmt.Sprintf(format, args...)}
}

// Dedupe is the server's exactly-once rule for one mutation of a store whose
// last processed sequence number is last: seq ≤ last was processed before.
func Dedupe(last, seq uint64) (duplicate bool) { return seq <= last }

// PushOne processes one mutation of store as actorUUID, in one transaction
// that also records the store's last sequence number (a rejection is recorded
// in a second one, after the first rolled back whatever Apply did).
func (s *Server) PushOne(actorUUID, store string, m *localstore.Mutation) (usersync.Result, error) {
	res := usersync.Result{ID: m.ID, Seq: m.Seq}
	var rej *rejection
	err := s.store.Update(func(tx *localstore.Tx) error {
		dev, err := getDevice(tx, store)
		if err != nil {
			return err
		}
		if Dedupe(dev.LastSeq, m.Seq) {
			res = s.previous(tx, store, m)
			return nil
		}
		if err := s.decide(tx, actorUUID, store, m, &res); err != nil {
			return err
		}
		if err := putOutcome(tx, store, res); err != nil {
			return err
		}
		return putDevice(tx, store, device{LastSeq: m.Seq, Owner: actorUUID})
	})
	if !errors.As(err, &rej) {
		return res, err
	}
	res = usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Rejected, Reason: rej.reason}
	err = s.store.Update(func(tx *localstore.Tx) error {
		dev, err := getDevice(tx, store)
		if err != nil {
			return err
		}
		if Dedupe(dev.LastSeq, m.Seq) {
			res = s.previous(tx, store, m)
			return nil
		}
		if err := putOutcome(tx, store, res); err != nil {
			return err
		}
		return putDevice(tx, store, device{LastSeq: m.Seq, Owner: actorUUID})
	})
	return res, err
}

func putOutcome(tx *localstore.Tx, store string, res usersync.Result) error {
	b, err := tx.Bucket(bucketOutcomes)
	if err != nil {
		return err
	}
	p, err := encodeOutcome(res)
	if err != nil {
		return err
	}
	key := outcomeKey(store, res.Seq)
	return b.Put(key, localstore.SealRecord(key, p))
}

// previous answers a mutation processed before: duplicate, or its stored
// rejection or conflict. A number that was used by another mutation (a
// store restored from an older copy reuses numbers) is rejected, never taken
// for a duplicate: the change stays in that store's queue.
func (s *Server) previous(tx *localstore.Tx, store string, m *localstore.Mutation) usersync.Result {
	if b, _ := tx.Bucket(bucketOutcomes); b != nil {
		if v := b.Get(outcomeKey(store, m.Seq)); v != nil {
			p, err := tx.OpenRecord(string(bucketOutcomes), outcomeKey(store, m.Seq), v)
			if r, err2 := decodeOutcome(p); err == nil && err2 == nil {
				switch {
				case r.ID != m.ID:
					return usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Rejected,
						Reason: fmt.Sprintf("number %d of this store was already used by another change: the store was probably restored from an older copy; 'airt sync resolve %d --keep local' queues it again under a new number", m.Seq, m.Seq)}
				case r.Outcome == usersync.Applied:
					return usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Duplicate, Version: r.Version}
				}
				return r
			}
		}
	}
	return usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Duplicate}
}

// decide checks and applies m, filling res; a *rejection error rolls back.
func (s *Server) decide(tx *localstore.Tx, actorUUID, store string, m *localstore.Mutation, res *usersync.Result) error {
	actor, err := tx.User(actorUUID)
	if err != nil {
		return reject("the pushing user no longer exists")
	}
	if m.Actor != "" && m.Actor != actor.UUID {
		if _, err := tx.User(m.Actor); err != nil {
			return reject("made by a user who does not exist on this server (id %s, probably created offline in this store): discard the change ('airt sync discard %d') and make it again logged in as a user of the server", short(m.Actor), m.Seq)
		}
		return reject("made by another user than %s, whose token pushed it: log in to the server as the user who made it (airt token -s) and sync again", actor.Username)
	}
	if m.Op != localstore.OpCreate {
		target, err := tx.User(m.Target)
		if err != nil {
			return reject("%s", err)
		}
		if usersync.Noop(target, m) {
			if err := tx.Authorize(actor, target, m.Op); err != nil {
				return reject("%s", err)
			}
			res.Outcome, res.Version = usersync.Applied, target.Version
			return nil
		}
		if target.Version > m.BaseVersion {
			changed, err := changedSince(tx, target.UUID, m.BaseVersion, store)
			if err != nil {
				return err
			}
			if f := usersync.Conflicts(target, m, changed); len(f) > 0 {
				res.Outcome, res.Fields = usersync.Conflict, f
				res.Reason = conflictReason(target, m, f)
				res.Server, res.Local = map[string]string{}, map[string]string{}
				for _, name := range f {
					if v, ok := usersync.FieldValue(target, name); ok {
						res.Server[name] = v
					}
					if v, ok := usersync.ArgValue(m, name); ok {
						res.Local[name] = v
					}
				}
				rest := usersync.Without(m, f)
				if len(rest) == 0 {
					return nil
				}
				// Different fields merge: the rest is applied now, in this
				// transaction, which also records the conflict as this
				// mutation's outcome, so a retried push gets the conflict
				// again and never applies the rest twice.
				merged := usersync.Only(m, rest)
				u, err := s.apply(tx, actor, merged)
				if err != nil {
					return err
				}
				rev, err := s.record(tx, u, merged, store, rest)
				if err != nil {
					return err
				}
				res.Version = rev
				return nil
			}
		}
	}
	u, err := s.apply(tx, actor, m)
	if err != nil {
		return err
	}
	rev, err := s.record(tx, u, m, store, usersync.Fields(m))
	if err != nil {
		return err
	}
	res.Outcome, res.Version = usersync.Applied, rev
	return nil
}

// apply applies m as actor; a refusal is a *rejection.
func (s *Server) apply(tx *localstore.Tx, actor *account.User, m *localstore.Mutation) (*account.User, error) {
	if h := m.Args.Secrets.PasswordHash; h != "" {
		if err := account.ValidatePasswordHash(h); err != nil {
			return nil, reject("password hash: %s", err)
		}
	}
	var revoked map[string]localstore.Session
	if m.Op == localstore.OpDisable {
		var err error
		if revoked, err = tx.SessionsOf(m.Target); err != nil {
			return nil, err
		}
	}
	u, err := tx.Apply(actor, m)
	if err != nil {
		var ae *account.Error
		if errors.As(err, &ae) {
			return nil, reject("%s", ae.Text)
		}
		return nil, reject("%s", err)
	}
	for k, sess := range revoked {
		if err := putJSON(tx, bucketDisabledTokens, []byte(k), sess); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// conflictReason words a conflict: the fields, the versions and, for the
// profile fields, the value on each side.
func conflictReason(target *account.User, m *localstore.Mutation, fields []string) string {
	r := fmt.Sprintf("%s changed on the server since version %d (now %d)", strings.Join(fields, ", "), m.BaseVersion, target.Version)
	var vals []string
	for _, f := range fields {
		theirs, ok1 := usersync.FieldValue(target, f)
		ours, ok2 := usersync.ArgValue(m, f)
		if ok1 && ok2 {
			vals = append(vals, fmt.Sprintf("%s: server %q, this store %q", f, theirs, ours))
		}
	}
	if len(vals) > 0 {
		r += "; " + strings.Join(vals, "; ")
	}
	return r
}

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	var req usersync.PushRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := checkPush(&req); err != nil {
		s.fail(w, err)
		return
	}
	err = s.store.View(func(tx *localstore.Tx) error {
		if err := s.checkHistory(tx, req.Epoch, req.Cursor, req.CursorID); err != nil {
			return err
		}
		dev, err := getDevice(tx, req.StoreID)
		if err != nil {
			return err
		}
		if dev.Owner != "" && dev.Owner != actor.UUID {
			return &httpError{status: http.StatusForbidden, code: usersync.CodeForbidden,
				text: fmt.Sprintf("store %s pushes as another user, not as %s", short(req.StoreID), actor.Username),
				hint: "log in to the server as that store's user, or use another store (--db)"}
		}
		if dev.LastSeq < req.After {
			return &httpError{status: http.StatusConflict, code: usersync.CodeOutOfOrder,
				text: fmt.Sprintf("the server processed this store's changes up to %d, the store says up to %d: changes were lost on the server", dev.LastSeq, req.After),
				hint: "the server's store was probably restored from an older copy; ask its operator"}
		}
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	resp := usersync.PushResponse{Results: make([]usersync.Result, 0, len(req.Mutations)), Epoch: s.epoch}
	counts := map[string]int{}
	for i := range req.Mutations {
		wm := &req.Mutations[i]
		m := wm.Mutation
		if wm.Secrets != nil {
			m.Args.Secrets = *wm.Secrets
		}
		res, err := s.PushOne(actor.UUID, req.StoreID, &m)
		if err != nil {
			// Stop here: the client keeps the rest and retries.
			annotate(w, "stopped_at=%d", m.Seq)
			s.fail(w, err)
			return
		}
		counts[res.Outcome]++
		resp.Results = append(resp.Results, res)
	}
	_ = s.store.View(func(tx *localstore.Tx) error {
		dev, err := getDevice(tx, req.StoreID)
		resp.LastSeq = dev.LastSeq
		if b, _ := tx.Bucket(bucketChanges); b != nil {
			resp.Head = b.Sequence()
		}
		return err
	})
	annotate(w, "store=%s applied=%d duplicate=%d rejected=%d conflict=%d", short(req.StoreID),
		counts[usersync.Applied], counts[usersync.Duplicate], counts[usersync.Rejected], counts[usersync.Conflict])
	writeJSON(w, http.StatusOK, resp)
}

func checkPush(req *usersync.PushRequest) error {
	bad := func(format string, args ...any) error {
		return &httpError{status: http.StatusBadRequest, code: usersync.CodeInvalid, text: fmt.Sprintf(format, args...)}
	}
	if req.StoreID == "" {
		return bad("store_id is missing")
	}
	if len(req.Mutations) > usersync.MaxBatch {
		return bad("%d mutations in one push; at most %d", len(req.Mutations), usersync.MaxBatch)
	}
	prev := req.After
	for i := range req.Mutations {
		m := &req.Mutations[i].Mutation
		if m.StoreID != req.StoreID {
			return bad("mutation %d belongs to store %s, not %s", m.Seq, m.StoreID, req.StoreID)
		}
		if m.Seq == 0 || (i > 0 && m.Seq <= prev) {
			return bad("mutations out of order: %d after %d", m.Seq, prev)
		}
		prev = m.Seq
	}
	return nil
}
