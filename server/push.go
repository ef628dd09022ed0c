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

// pushOne processes one mutation of store as actorUUID in tx, the push
// request's transaction, and records its outcome and the store's last
// sequence number there. A rejected mutation's writes are rolled back to the
// savepoint taken before it, so it does not abort the others.
func (s *Server) pushOne(tx Tx, actorUUID, store string, m *localstore.Mutation) (usersync.Result, error) {
	res := usersync.Result{ID: m.ID, Seq: m.Seq}
	dev, err := tx.Device(store)
	if err != nil {
		return res, err
	}
	if Dedupe(dev.LastSeq, m.Seq) {
		return previous(tx, store, m)
	}
	if err := tx.Savepoint(); err != nil {
		return res, err
	}
	var rej *rejection
	if err := s.decide(tx, actorUUID, store, m, &res); errors.As(err, &rej) {
		if err := tx.RollbackToSavepoint(); err != nil {
			return res, err
		}
		res = usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Rejected, Reason: rej.reason}
	} else if err != nil {
		return res, err
	}
	if err := tx.PutOutcome(store, res); err != nil {
		return res, err
	}
	return res, tx.PutDevice(store, device{LastSeq: m.Seq, Owner: actorUUID})
}

// previous answers a mutation processed before: duplicate, or its stored
// rejection or conflict. A number that was used by another mutation (a
// store restored from an older copy reuses numbers) is rejected, never taken
// for a duplicate: the change stays in that store's queue.
func previous(tx Tx, store string, m *localstore.Mutation) (usersync.Result, error) {
	r, ok, err := tx.Outcome(store, m.Seq)
	switch {
	case err != nil:
		return r, err
	case !ok:
		return usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Duplicate}, nil
	case r.ID != m.ID:
		return usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Rejected,
			Reason: fmt.Sprintf("number %d of this store was already used by another change: the store was probably restored from an older copy; 'airt sync resolve %d --keep local' queues it again under a new number", m.Seq, m.Seq)}, nil
	case r.Outcome == usersync.Applied:
		return usersync.Result{ID: m.ID, Seq: m.Seq, Outcome: usersync.Duplicate, Version: r.Version}, nil
	}
	return r, nil
}

// decide checks and applies m, filling res; a *rejection error rolls back
// to the savepoint before m.
func (s *Server) decide(tx Tx, actorUUID, store string, m *localstore.Mutation, res *usersync.Result) error {
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
	// Authorisation first: nothing below may answer for a target the
	// pusher has no right to.
	if err := authorise(actor, m); err != nil {
		return reject("%s", err)
	}
	if err := checkOnline(actor, m); err != nil {
		return err
	}
	// Then the values, with the local command's rules, before a conflict
	// could offer an invalid value for resolution.
	if err := localstore.ValidateMutation(m, tx.Now()); err != nil {
		return reject("%s", err)
	}
	if m.Op != localstore.OpCreate {
		target, err := tx.User(m.Target)
		if err != nil {
			return reject("%s", err)
		}
		if usersync.Noop(target, m) {
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
				rev, err := record(tx, u, merged, store, rest)
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
	rev, err := record(tx, u, m, store, usersync.Fields(m))
	if err != nil {
		return err
	}
	res.Outcome, res.Version = usersync.Applied, rev
	return nil
}

// apply applies m as actor; a refusal is a *rejection.
func (s *Server) apply(tx Tx, actor *account.User, m *localstore.Mutation) (*account.User, error) {
	var revoked map[string]localstore.Session
	if m.Op == localstore.OpDisable {
		var err error
		if revoked, err = tx.SessionsOf(m.Target); err != nil {
			return nil, err
		}
	}
	u, err := localstore.ApplyTo(tx, actor, m)
	if err != nil {
		var ae *account.Error
		if errors.As(err, &ae) {
			return nil, reject("%s", ae.Text)
		}
		return nil, reject("%s", err)
	}
	for k, sess := range revoked {
		if err := tx.PutDisabledToken(k, sess); err != nil {
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
	resp := usersync.PushResponse{Results: make([]usersync.Result, 0, len(req.Mutations)), Epoch: s.epoch}
	counts := map[string]int{}
	// One transaction for the whole request: a push of many changes costs
	// one commit, and a failure leaves nothing half done (the client
	// retries the batch).
	err = s.store.Write(r.Context(), func(tx Tx) error {
		resp.Results, counts = resp.Results[:0], map[string]int{}
		if err := s.checkHistory(tx, req.Epoch, req.Cursor, req.CursorID); err != nil {
			return err
		}
		head0, err := tx.Head()
		if err != nil {
			return err
		}
		dev, err := tx.Device(req.StoreID)
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
		for i := range req.Mutations {
			wm := &req.Mutations[i]
			m := wm.Mutation
			if wm.Secrets != nil {
				m.Args.Secrets = *wm.Secrets
			}
			res, err := s.pushOne(tx, actor.UUID, req.StoreID, &m)
			if err != nil {
				annotate(w, "stopped_at", m.Seq)
				return err
			}
			counts[res.Outcome]++
			resp.Results = append(resp.Results, res)
		}
		if dev, err = tx.Device(req.StoreID); err != nil {
			return err
		}
		resp.LastSeq = dev.LastSeq
		if resp.Head, err = tx.Head(); err != nil {
			return err
		}
		// The client had pulled everything before this push, and the writes
		// are serialised: every change after its cursor is its own. Send
		// the records it changed and the new position, so it does not pull
		// its own changes back.
		if req.Epoch != "" && req.Cursor == head0 && resp.Head > head0 {
			return s.ownChanges(tx, actor, head0, &resp)
		}
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	annotate(w, "store", short(req.StoreID), "applied", counts[usersync.Applied], "duplicate", counts[usersync.Duplicate],
		"rejected", counts[usersync.Rejected], "conflict", counts[usersync.Conflict])
	for outcome, n := range counts {
		s.metrics.PushOutcome(outcome, n)
	}
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

// ownChanges fills resp with the pushing user's view of the users this push
// changed (as a pull would send them) and the position after them.
func (s *Server) ownChanges(tx Tx, actor *account.User, head0 uint64, resp *usersync.PushResponse) error {
	last, ok, err := tx.ChangeAt(resp.Head)
	if err != nil || !ok {
		return err
	}
	seen := map[string]bool{}
	users := []usersync.WireUser{}
	for _, r := range resp.Results {
		if r.Version <= head0 {
			continue // nothing changed (a duplicate, a no-op, a rejection)
		}
		ch, ok, err := tx.ChangeAt(r.Version)
		if err != nil {
			return err
		}
		if !ok || seen[ch.UUID] || (!actor.SuperUser && ch.UUID != actor.UUID) {
			continue
		}
		seen[ch.UUID] = true
		u, err := tx.User(ch.UUID)
		if err != nil {
			return err
		}
		wu, err := s.wire(tx, u, u.UUID == actor.UUID)
		if err != nil {
			return err
		}
		wu.Own = true
		users = append(users, wu)
	}
	resp.Cursor, resp.CursorID, resp.Users = resp.Head, last.ID, users
	return nil
}
