package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// Engine is the client side: it pushes the outbox of Store to Client, then
// pulls and rebases.
//
// Pull strategy: the server's copy of each user is
// kept apart (bucket srv_copy) and the local view is rebuilt, in the
// transaction that applies each pulled page, as the server copy plus a replay
// of the still-pending outbox (localstore.Tx.Apply). The cursor advances even
// while uploads are pending. Keeping the server copy apart means either side
// can be wiped and re-synced without losing the other.
type Engine struct {
	// Store is the local store, kept open for the whole sync; or, when Open
	// is set, Open opens it for each transaction and the engine closes it
	// right after, so the file lock is not held while the engine talks to
	// the server and other airt commands on the store go on meanwhile.
	Store  *localstore.Store
	Open   func() (*localstore.Store, error)
	Client *Client
	// Batch is the number of mutations per push (0: MaxBatch: each push is
	// one transaction, and one commit, on both sides); Page the number of
	// change records per pull (0: DefaultPageSize).
	Batch, Page int
	// MaxBody bounds the encoded size of one push's mutations (0:
	// MaxPushBody less room for the rest of the request, the bound the
	// server enforces).
	MaxBody int
	// OwnChunk is the number of users per transaction when the engine
	// takes back the server's records of the users it pushed (0:
	// DefaultOwnChunk).
	OwnChunk int
	// Progress, when set, hears about each pushed batch and pulled page.
	Progress func(Progress)
}

// Progress reports how far a sync is.
type Progress struct {
	Phase       string // "push" or "pull"
	Done, Total int
}

// Report sums up a sync.
type Report struct {
	Pushed, Applied, Duplicate, Rejected, Conflicts int
	Pulled                                          int
}

// Partial reports whether some changes were rejected or conflict.
func (r Report) Partial() bool { return r.Rejected+r.Conflicts > 0 }

func (e *Engine) with(fn func(*localstore.Store) error) error {
	if e.Open == nil {
		return fn(e.Store)
	}
	s, err := e.Open()
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

func (e *Engine) view(fn func(*localstore.Tx) error) error {
	return e.with(func(s *localstore.Store) error { return s.View(fn) })
}

func (e *Engine) update(fn func(*localstore.Tx) error) error {
	return e.with(func(s *localstore.Store) error { return s.Update(fn) })
}

// errMoved says another process moved the cursor meanwhile: read it again.
var errMoved = errors.New("cursor moved")

// queued reports whether mutation seq is still in the outbox (another
// process may have discarded it while this one talked to the server).
func queued(tx *localstore.Tx, seq uint64) (bool, error) {
	found := false
	err := tx.Outbox(seq-1, false, func(m *localstore.Mutation) error {
		found = m.Seq == seq
		return localstore.ErrStop
	})
	return found, err
}

// Sync pushes then pulls. A push error stops before the pull.
func (e *Engine) Sync(ctx context.Context) (Report, error) {
	r, err := e.Push(ctx)
	if err != nil {
		return r, err
	}
	n, err := e.Pull(ctx)
	r.Pulled = n
	return r, err
}

func metaUint(tx *localstore.Tx, key string) uint64 {
	n, _ := strconv.ParseUint(string(tx.GetMeta(key)), 10, 64)
	return n
}

func putMetaUint(tx *localstore.Tx, key string, n uint64) error {
	return tx.PutMeta(key, []byte(strconv.FormatUint(n, 10)))
}

func (e *Engine) progress(phase string, done, total int) {
	if e.Progress != nil {
		e.Progress(Progress{Phase: phase, Done: done, Total: total})
	}
}

// Push sends the pending outbox in order, in batches. applied and duplicate
// leave the outbox; rejected and conflict stay, marked with the reason; a
// transient failure stops the push (the outbox keeps its order) and returns
// an account.KindUnreachable error after the client's retries.
func (e *Engine) Push(ctx context.Context) (Report, error) {
	var r Report
	batch := e.Batch
	if batch <= 0 {
		batch = MaxBatch
	}
	batch = min(batch, MaxBatch)
	maxBody := e.MaxBody
	if maxBody <= 0 || maxBody > MaxPushBody-pushEnvelope {
		maxBody = MaxPushBody - pushEnvelope
	}
	total := 0
	// The total is for the progress report only: counting decodes the
	// whole outbox, which costs as much as reading it for the batches.
	if e.Progress != nil {
		if err := e.view(func(tx *localstore.Tx) error {
			return tx.Outbox(0, false, func(m *localstore.Mutation) error {
				if m.State == "" {
					total++
				}
				return nil
			})
		}); err != nil {
			return r, err
		}
	}
	e.progress("push", 0, total)
	after := uint64(0) // where the next batch starts in the outbox
	// own follows the pushes whose answers carried every change since the
	// store's cursor (the store's own): their users and the position after
	// them, taken at the end once the queue is empty (taking them per batch
	// would replay the rest of the queue each time), OwnChunk users per
	// transaction (takeOwn).
	var own struct {
		ok                bool
		start, cursor     uint64
		startID, cursorID string
		head              uint64
		users             []WireUser
	}
	own.ok = true
	first := true
	for {
		req := &PushRequest{}
		var ms []*localstore.Mutation
		err := e.view(func(tx *localstore.Tx) error {
			req.StoreID = tx.StoreID()
			req.After = metaUint(tx, metaPushedSeq)
			req.Epoch = string(tx.GetMeta(metaEpochSeen))
			if first {
				own.start, own.startID = metaUint(tx, metaCursor), string(tx.GetMeta(metaCursorID))
				own.cursor, own.cursorID = own.start, own.startID
				first = false
			}
			req.Cursor, req.CursorID = own.cursor, own.cursorID
			if !own.ok {
				req.Cursor, req.CursorID = own.start, own.startID
			}
			size := 0 // encoded size of the batch's mutations so far
			return tx.Outbox(after, true, func(m *localstore.Mutation) error {
				if m.State != "" {
					return nil
				}
				wm := WireMutation{Mutation: *m}
				if !m.Args.Secrets.IsZero() {
					sec := m.Args.Secrets
					wm.Secrets = &sec
				}
				// The server refuses a body over MaxPushBody: stop before a
				// mutation that would take the batch past maxBody (a batch holds
				// at least one, which alone the validation rules keep far
				// below the bound).
				data, err := json.Marshal(&wm)
				if err != nil {
					return fmt.Errorf("encode mutation %d: %w", m.Seq, err)
				}
				if len(ms) > 0 && size+len(data)+1 > maxBody {
					return localstore.ErrStop
				}
				size += len(data) + 1
				ms = append(ms, m)
				req.Mutations = append(req.Mutations, wm)
				if len(ms) == batch {
					return localstore.ErrStop
				}
				return nil
			})
		})
		if err != nil {
			return r, err
		}
		if len(ms) == 0 {
			return r, e.takeOwn(own.ok && own.cursor != own.start, own.start, own.startID, own.cursor, own.cursorID, own.head, own.users)
		}
		resp, err := e.Client.Push(ctx, req)
		if err != nil {
			return r, err
		}
		switch {
		case !own.ok:
		case resp.Cursor > 0:
			own.cursor, own.cursorID, own.head = resp.Cursor, resp.CursorID, resp.Head
			own.users = append(own.users, resp.Users...)
		case resp.Head != own.cursor:
			own.ok = false // another store's change came between
		}
		err = e.update(func(tx *localstore.Tx) error {
			for i, res := range resp.Results {
				m := ms[i]
				if res.Seq != m.Seq {
					return fmt.Errorf("server answered for mutation %d in place of %d", res.Seq, m.Seq)
				}
				switch res.Outcome {
				case Applied, Duplicate:
					if err := tx.DeleteMutation(m.Seq); err != nil {
						return err
					}
				case Rejected, Conflict:
					if ok, err := queued(tx, m.Seq); err != nil || !ok {
						if err != nil {
							return err
						}
						continue // discarded meanwhile
					}
					m.State, m.Reason = res.Outcome, res.Reason
					if res.Outcome == Conflict {
						m.State = localstore.StateConflict
						// The server merged the other fields: what is
						// left to settle is the conflicting ones.
						if len(res.Fields) > 0 {
							m = Only(m, res.Fields)
						}
					}
					if err := tx.UpdateMutation(m); err != nil {
						return err
					}
				default:
					return fmt.Errorf("server answered %q for mutation %d", res.Outcome, m.Seq)
				}
			}
			// A store restored from an older copy would give numbers the
			// server already processed again.
			if err := tx.AdvanceOutboxSequence(resp.LastSeq); err != nil {
				return err
			}
			if resp.LastSeq > metaUint(tx, metaPushedSeq) {
				if err := putMetaUint(tx, metaPushedSeq, resp.LastSeq); err != nil {
					return err
				}
			}
			return tx.PutMeta(metaLastPush, []byte(tx.Now().Format(time.RFC3339)))
		})
		if err != nil {
			return r, err
		}
		for _, res := range resp.Results {
			r.Pushed++
			switch res.Outcome {
			case Applied:
				r.Applied++
			case Duplicate:
				r.Duplicate++
			case Rejected:
				r.Rejected++
			case Conflict:
				r.Conflicts++
			}
		}
		after = ms[len(ms)-1].Seq
		e.progress("push", r.Pushed, total)
	}
}

// DefaultOwnChunk is the number of pushed users the client takes back per
// transaction after a push.
const DefaultOwnChunk = 1000

// ownChunkTaken, set only by this package's tests (export_test.go), runs
// after each transaction of takeOwn but the last; an error stops takeOwn
// there, as a kill would.
var ownChunkTaken func() error

// takeOwn stores the server's records of the users the push changed, and
// moves the cursor past the push's changes, when ok and nobody pulled into
// the store meanwhile.
func (e *Engine) takeOwn(ok bool, start uint64, startID string, cursor uint64, cursorID string, head uint64, users []WireUser) error {
	if !ok {
		return nil
	}
	chunk := e.OwnChunk
	if chunk <= 0 {
		chunk = DefaultOwnChunk
	}
	// The users go in several transactions of chunk users: bbolt cannot
	// reuse within a transaction the pages it frees, so rewriting 10,000
	// users in one grows the file by a copy of their pages. Each chunk only
	// stores server records (a pull from the unmoved cursor would store the
	// same ones again, or newer ones over them); the cursor moves in the
	// last, so a sync killed in between pulls those changes again.
	// One opening of the store for all of them: its file lock is held from
	// the first to the last.
	return e.with(func(s *localstore.Store) error {
		for {
			last := len(users) <= chunk
			part := users
			if !last {
				part = users[:chunk]
			}
			moved := false
			err := s.Update(func(tx *localstore.Tx) error {
				if metaUint(tx, metaCursor) != start || string(tx.GetMeta(metaCursorID)) != startID {
					moved = true
					return nil
				}
				if err := Rebase(tx, part); err != nil || !last {
					return err
				}
				if err := putMetaUint(tx, metaCursor, cursor); err != nil {
					return err
				}
				if err := tx.PutMeta(metaCursorID, []byte(cursorID)); err != nil {
					return err
				}
				return putMetaUint(tx, metaHead, head)
			})
			if err != nil || moved || last {
				return err
			}
			if ownChunkTaken != nil {
				if err := ownChunkTaken(); err != nil {
					return err
				}
			}
			users = users[chunk:]
		}
	})
}

// Pull asks for the changes after the cursor, page by page, and applies each
// page with the pending outbox replayed on top, in one transaction. It
// returns the number of users received that another store changed (not
// this store's own pushed changes coming back). A server whose history does not hold
// the cursor gives a *HistoryResetError and nothing is merged.
func (e *Engine) Pull(ctx context.Context) (int, error) {
	n, moved := 0, 0
	for {
		var epoch, cursorID, storeID string
		var cursor uint64
		if err := e.view(func(tx *localstore.Tx) error {
			storeID = tx.StoreID()
			epoch = string(tx.GetMeta(metaEpochSeen))
			cursor = metaUint(tx, metaCursor)
			cursorID = string(tx.GetMeta(metaCursorID))
			return nil
		}); err != nil {
			return n, err
		}
		resp, err := e.Client.Pull(ctx, epoch, cursor, cursorID, e.Page, storeID)
		if err != nil {
			return n, err
		}
		if epoch != "" && resp.Epoch != epoch {
			return n, &HistoryResetError{Text: fmt.Sprintf("the server's history was replaced (epoch %s, this store synced with epoch %s)", short(resp.Epoch), short(epoch))}
		}
		if resp.Cursor < cursor || resp.Head < cursor {
			return n, &HistoryResetError{Text: fmt.Sprintf("the server's history went back: this store pulled up to revision %d, the server is at revision %d", cursor, resp.Head)}
		}
		err = e.update(func(tx *localstore.Tx) error {
			if metaUint(tx, metaCursor) != cursor || string(tx.GetMeta(metaCursorID)) != cursorID {
				return errMoved // another sync pulled meanwhile
			}
			if err := Rebase(tx, resp.Users); err != nil {
				return err
			}
			if err := tx.PutMeta(metaEpochSeen, []byte(resp.Epoch)); err != nil {
				return err
			}
			if err := putMetaUint(tx, metaCursor, resp.Cursor); err != nil {
				return err
			}
			if err := tx.PutMeta(metaCursorID, []byte(resp.CursorID)); err != nil {
				return err
			}
			if err := putMetaUint(tx, metaHead, resp.Head); err != nil {
				return err
			}
			return tx.PutMeta(metaLastPull, []byte(tx.Now().Format(time.RFC3339)))
		})
		if errors.Is(err, errMoved) {
			if moved++; moved > 10 {
				return n, errors.New("another airt sync keeps pulling into this store; run one at a time")
			}
			continue
		}
		moved = 0
		if err != nil {
			return n, err
		}
		for _, u := range resp.Users {
			if !u.Own {
				n++
			}
		}
		e.progress("pull", int(resp.Cursor), int(resp.Head))
		if !resp.More {
			return n, e.update(finishFullPull)
		}
	}
}

// AcceptReset makes the store forget the history position it pulled (after a
// reported history reset, on a human's request) so the next sync takes the
// server's current history: the server copies are dropped, the next pull
// starts from revision 0 and, when it ends, users the server does not have
// leave the local view. Queued changes stay queued and are pushed again;
// changes this store pushed that the server lost are not sent again.
func AcceptReset(tx *localstore.Tx) error {
	for _, k := range []string{metaEpochSeen, metaCursor, metaCursorID, metaHead, metaPushedSeq} {
		if err := tx.PutMeta(k, nil); err != nil {
			return err
		}
	}
	b, err := tx.Bucket(bucketServerCopy)
	if err != nil {
		return err
	}
	var keys [][]byte
	if err := b.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil }); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return tx.PutMeta(metaFullPull, []byte("1"))
}

// finishFullPull ends a pull that followed AcceptReset.
func finishFullPull(tx *localstore.Tx) error {
	if len(tx.GetMeta(metaFullPull)) == 0 {
		return nil
	}
	keep := map[string]bool{}
	if err := tx.Outbox(0, false, func(m *localstore.Mutation) error { keep[m.Target] = true; return nil }); err != nil {
		return err
	}
	var gone []*account.User
	if err := tx.ForEachUser(func(u *account.User) error {
		if keep[u.UUID] {
			return nil
		}
		sc, err := ServerCopy(tx, u.UUID)
		if err != nil {
			return err
		}
		if sc == nil {
			gone = append(gone, u)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, u := range gone {
		if err := tx.DeleteUser(u); err != nil {
			return err
		}
	}
	return tx.PutMeta(metaFullPull, nil)
}

// fromWire converts a pulled user to what the local store keeps: the public
// record, plus (own record only) the password hash and the TOTP secret
// sealed with this store's key.
func fromWire(tx *localstore.Tx, wu *WireUser) (*account.User, error) {
	u := wu.User.Public()
	if wu.Secrets == nil {
		return &u, nil
	}
	u.PasswordHash = wu.Secrets.PasswordHash
	if u.MFA != nil {
		u.MFA.LastStep = wu.Secrets.MFALastStep
		if wu.Secrets.MFASecret != "" {
			key, err := tx.Key()
			if err != nil {
				return nil, err
			}
			sealed, err := otp.Seal(key, []byte(wu.Secrets.MFASecret), []byte(u.UUID))
			if err != nil {
				return nil, err
			}
			u.MFA.SealedSecret = sealed
		}
	}
	return &u, nil
}

// ServerCopy returns the server's copy of a user (nil when none).
func ServerCopy(tx *localstore.Tx, uuid string) (*account.User, error) {
	return tx.ServerCopy(uuid)
}

// Rebase stores the pulled users as the server's copies and rebuilds the
// local view of them and of every user the outbox touches: server copy, then
// the pending mutations replayed in order. Runs in tx (one per page).
func Rebase(tx *localstore.Tx, users []WireUser) error {
	affected := map[string]bool{}
	// The copies just written, as rebuild would read them back: a push of
	// 10,000 changes takes 10,000 of them in one transaction.
	copies := map[string]*account.User{}
	for i := range users {
		u, err := fromWire(tx, &users[i])
		if err != nil {
			return err
		}
		old, err := ServerCopy(tx, u.UUID)
		if err != nil {
			return err
		}
		if old != nil && old.Version > u.Version {
			continue
		}
		if old != nil && old.PasswordHash != "" && u.PasswordHash != "" && old.PasswordHash != u.PasswordHash {
			// The password was reset elsewhere: end the local sessions too.
			if err := tx.DeleteSessionsOf(u.UUID); err != nil {
				return err
			}
		}
		if err := tx.PutServerCopy(u); err != nil {
			return err
		}
		affected[u.UUID] = true
		copies[u.UUID] = u
	}
	return rebuild(tx, affected, copies)
}

// replayActor replays pending mutations: they were authorised when they were
// made, and the server authorises them again when they are pushed.
var replayActor = &account.User{UUID: "replay", SuperUser: true}

// rebuild rebuilds the local view of the users in affected plus every user
// the outbox touches. copies holds server copies the caller wrote in tx
// (read from the store when missing; nil: none).
func rebuild(tx *localstore.Tx, affected map[string]bool, copies map[string]*account.User) error {
	var pending []*localstore.Mutation
	if err := tx.Outbox(0, true, func(m *localstore.Mutation) error {
		affected[m.Target] = true
		if m.State == "" {
			pending = append(pending, m)
		}
		return nil
	}); err != nil {
		return err
	}
	ids := make([]string, 0, len(affected))
	for id := range affected {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	touched := map[string]bool{}
	for _, m := range pending {
		touched[m.Target] = true
	}
	// A user no pending change touches, whose new server copy keeps the
	// username and email of its local record (the users a push takes back
	// differ in their version and creation time only), is rewritten in
	// place: no unique key moves, so no other user can be in its way or be
	// put out of it.
	inPlace := map[string]bool{}
	for _, id := range ids {
		sc := copies[id]
		if touched[id] || sc == nil {
			continue
		}
		u, err := tx.User(id)
		if err != nil || !localstore.SameKeys(u, sc) {
			continue
		}
		c := *sc
		if err := tx.PutUser(u, &c); err != nil {
			return err
		}
		inPlace[id] = true
	}
	for _, id := range ids {
		if inPlace[id] {
			continue
		}
		if u, err := tx.User(id); err == nil {
			if err := tx.DeleteUser(u); err != nil {
				return err
			}
		}
	}
	var evicted []string
	for _, id := range ids {
		if inPlace[id] {
			continue
		}
		sc, ok := copies[id]
		if !ok {
			var err error
			if sc, err = ServerCopy(tx, id); err != nil {
				return err
			}
		}
		if sc != nil {
			ev, err := putEvicting(tx, sc)
			if err != nil {
				return err
			}
			evicted = append(evicted, ev...)
		}
	}
	for _, m := range pending {
		// A pending change that no longer applies on top of the server's
		// state stays queued: the server decides when it is pushed.
		_, _ = tx.Apply(replayActor, m)
	}
	// Users moved aside for a newer server copy come back when they fit.
	for _, id := range evicted {
		if _, err := tx.User(id); err == nil {
			continue
		}
		if sc, err := ServerCopy(tx, id); err == nil && sc != nil {
			if err := tx.PutUser(nil, sc); err != nil && !isTaken(err) {
				return err
			}
		}
	}
	// Where no queued change touches a user, its local record is the
	// server's copy: keep it once.
	for _, id := range ids {
		if !touched[id] {
			if err := tx.ShareServerCopy(id); err != nil {
				return err
			}
		}
	}
	return nil
}

func isTaken(err error) bool {
	return errors.Is(err, account.ErrUserExists) || errors.Is(err, account.ErrUsernameTaken) || errors.Is(err, account.ErrEmailTaken)
}

// putEvicting writes a server copy into the local view. A stale local record
// holding its username or email (renamed on the server in a change of a later
// page) is moved aside and returned.
func putEvicting(tx *localstore.Tx, u *account.User) ([]string, error) {
	var evicted []string
	for range 3 {
		c := *u
		err := tx.PutUser(nil, &c)
		if err == nil {
			return evicted, nil
		}
		if !isTaken(err) {
			return evicted, err
		}
		holder, herr := tx.UserByUsername(u.Username)
		if herr != nil || holder.UUID == u.UUID {
			if holder, herr = tx.UserByEmail(u.Email); herr != nil {
				return evicted, err
			}
		}
		if err := tx.DeleteUser(holder); err != nil {
			return evicted, err
		}
		evicted = append(evicted, holder.UUID)
	}
	return evicted, fmt.Errorf("server copy of %s does not fit the local store", u.UUID)
}

// SeenEpoch returns the server history id this store pulled from ("" when
// it never pulled).
func SeenEpoch(tx *localstore.Tx) string { return string(tx.GetMeta(metaEpochSeen)) }

// Status is what `airt sync status` shows.
type Status struct {
	Server   string                `json:"server"`
	Pending  int                   `json:"pending"`
	Oldest   *time.Time            `json:"oldest_pending,omitempty"`
	Problems []localstore.Mutation `json:"problems"`
	LastPush *time.Time            `json:"last_push,omitempty"`
	LastPull *time.Time            `json:"last_pull,omitempty"`
	Cursor   uint64                `json:"cursor"`
	Head     uint64                `json:"server_revision"`
	Epoch    string                `json:"epoch,omitempty"`
}

// ReadStatus reads the sync state of the store, in tx.
func ReadStatus(tx *localstore.Tx) (*Status, error) {
	st := &Status{Server: string(tx.GetMeta(MetaServer)), Cursor: metaUint(tx, metaCursor),
		Head: metaUint(tx, metaHead), Epoch: string(tx.GetMeta(metaEpochSeen)), Problems: []localstore.Mutation{}}
	parse := func(key string) *time.Time {
		if t, err := time.Parse(time.RFC3339, string(tx.GetMeta(key))); err == nil {
			return &t
		}
		return nil
	}
	st.LastPush, st.LastPull = parse(metaLastPush), parse(metaLastPull)
	err := tx.Outbox(0, false, func(m *localstore.Mutation) error {
		if m.State != "" {
			st.Problems = append(st.Problems, *m)
			return nil
		}
		st.Pending++
		if st.Oldest == nil || m.Created.Before(*st.Oldest) {
			t := m.Created
			st.Oldest = &t
		}
		return nil
	})
	return st, err
}

// FindMutation returns the outbox entry named by its id or its seq.
func FindMutation(tx *localstore.Tx, ref string) (*localstore.Mutation, error) {
	var found *localstore.Mutation
	seq, _ := strconv.ParseUint(ref, 10, 64)
	err := tx.Outbox(0, true, func(m *localstore.Mutation) error {
		if m.ID == ref || (seq != 0 && m.Seq == seq) {
			found = m
			return localstore.ErrStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, account.Errorf(account.KindNotFound, "no queued change %q", ref).
			WithHint("'airt sync status' lists the queued changes with their ids and numbers")
	}
	return found, nil
}

// Discard drops a queued change and rebuilds its user from the server copy
// and the other pending changes, in tx.
func Discard(tx *localstore.Tx, m *localstore.Mutation) error {
	if err := tx.DeleteMutation(m.Seq); err != nil {
		return err
	}
	return rebuild(tx, map[string]bool{m.Target: true}, nil)
}

// KeepLocal re-queues a rejected or conflicting change as a new pending
// mutation whose base version is the server's current version of the user,
// so the next push overrides the server's value; it returns the new entry.
func KeepLocal(tx *localstore.Tx, m *localstore.Mutation) (*localstore.Mutation, error) {
	sc, err := ServerCopy(tx, m.Target)
	if err != nil {
		return nil, err
	}
	if err := tx.DeleteMutation(m.Seq); err != nil {
		return nil, err
	}
	n := *m
	n.ID, n.Seq, n.State, n.Reason, n.Created = "", 0, "", "", time.Time{}
	if sc != nil {
		n.BaseVersion = sc.Version
	}
	if err := tx.Enqueue(&n); err != nil {
		return nil, err
	}
	return &n, rebuild(tx, map[string]bool{m.Target: true}, nil)
}

// short abbreviates an id (an epoch, a store id) for a message.
func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
