package sync

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// Login rate limiting: LoginFailures failed logins per username and client
// address within LoginWindow answer 429 until the oldest failure leaves the
// window.
const (
	LoginFailures = 5
	LoginWindow   = 5 * time.Minute
)

// maxBody bounds a request body (a full batch of mutations fits easily).
const maxBody = 32 << 20

// ServerOptions configure NewServer.
type ServerOptions struct {
	// Log receives one line per request (method, path, status, duration,
	// the user and the push counts; never a secret). nil: no log.
	Log io.Writer
	// Now is the clock of the rate limiter and the TOTP check (nil: the
	// store's clock).
	Now func() time.Time
}

// Server is the airt server: an http.Handler over a store in the localstore
// format that it keeps open.
type Server struct {
	store   *localstore.Store
	now     func() time.Time
	log     io.Writer
	logMu   gosync.Mutex
	epoch   string
	limiter *limiter
	mux     *http.ServeMux
}

// change is the record of one applied change (bucketChanges).
type change struct {
	// ID is random: a client's cursor names a revision and the ID it saw
	// there, so a server restored from an older copy (which reuses revision
	// numbers) is recognised.
	ID       string   `json:"id"`
	UUID     string   `json:"uuid"`
	Store    string   `json:"store,omitempty"` // pushing store; "" for the server's own changes
	Seq      uint64   `json:"seq,omitempty"`
	Mutation string   `json:"mutation,omitempty"`
	Fields   []string `json:"fields"`
}

// device is what the server knows of a pushing store: the last sequence
// number it processed and the user whose token first pushed for it. A store
// belongs to that user: another user's token cannot
// push under its id, so nobody can make another store's changes look like
// duplicates.
type device struct {
	LastSeq uint64 `json:"last_seq"`
	Owner   string `json:"owner,omitempty"`
}

// NewServer prepares store to be served: on first use it creates the
// server's buckets and epoch and records every existing user as a change (a
// store bootstrapped offline with `airt --db FILE user create … -su`); later
// it records the changes made offline on the server's store since it was last
// served (its outbox) and empties that outbox. One Update.
func NewServer(store *localstore.Store, opts ServerOptions) (*Server, error) {
	s := &Server{store: store, now: opts.Now, log: opts.Log, limiter: newLimiter()}
	if s.now == nil {
		s.now = store.Now
	}
	err := store.Update(func(tx *localstore.Tx) error {
		for _, name := range [][]byte{bucketChanges, bucketHistory, bucketDevices, bucketOutcomes} {
			if _, err := tx.Bucket(name); err != nil {
				return err
			}
		}
		var offline []*localstore.Mutation
		if err := tx.Outbox(0, false, func(m *localstore.Mutation) error {
			c := *m
			offline = append(offline, &c)
			return nil
		}); err != nil {
			return err
		}
		s.epoch = string(tx.GetMeta(metaEpoch))
		if s.epoch == "" {
			s.epoch = randomID(16)
			if err := tx.PutMeta(metaEpoch, []byte(s.epoch)); err != nil {
				return err
			}
			var users []*account.User
			if err := tx.ForEachUser(func(u *account.User) error { users = append(users, u); return nil }); err != nil {
				return err
			}
			for _, u := range users {
				if _, err := s.record(tx, u, &localstore.Mutation{}, "", []string{fieldAll}); err != nil {
					return err
				}
			}
		} else {
			for _, m := range offline {
				u, err := tx.User(m.Target)
				if err != nil {
					continue
				}
				if _, err := s.record(tx, u, m, "", Fields(m)); err != nil {
					return err
				}
			}
		}
		for _, m := range offline {
			if err := tx.DeleteMutation(m.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("prepare the server store: %w", err)
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/token", s.handleLogin)
	s.mux.HandleFunc("POST /v1/push", s.handlePush)
	s.mux.HandleFunc("GET /v1/pull", s.handlePull)
	s.mux.HandleFunc("POST /v1/logout", s.handleLogout)
	return s, nil
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

func revKey(rev uint64) []byte { return binary.BigEndian.AppendUint64(nil, rev) }

// record bumps the revision, stamps u with it and appends the change, in tx.
func (s *Server) record(tx *localstore.Tx, u *account.User, m *localstore.Mutation, store string, fields []string) (uint64, error) {
	changes, err := tx.Bucket(bucketChanges)
	if err != nil {
		return 0, err
	}
	rev, err := changes.NextSequence()
	if err != nil {
		return 0, err
	}
	old := *u
	u.Version = rev
	if err := tx.PutUser(&old, u); err != nil {
		return 0, err
	}
	data, err := json.Marshal(change{ID: randomID(8), UUID: u.UUID, Store: store, Seq: m.Seq, Mutation: m.ID, Fields: fields})
	if err != nil {
		return 0, err
	}
	if err := changes.Put(revKey(rev), data); err != nil {
		return 0, err
	}
	hist, err := tx.Bucket(bucketHistory)
	if err != nil {
		return 0, err
	}
	return rev, hist.Put(append([]byte(u.UUID), revKey(rev)...), nil)
}

// changedSince returns the fields of uuid changed after revision base by
// anyone but store.
func changedSince(tx *localstore.Tx, uuid string, base uint64, store string) (map[string]bool, error) {
	hist, err := tx.Bucket(bucketHistory)
	if err != nil {
		return nil, err
	}
	changes, err := tx.Bucket(bucketChanges)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	prefix := []byte(uuid)
	c := hist.Cursor()
	for k, _ := c.Seek(append(append([]byte(nil), prefix...), revKey(base+1)...)); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		var ch change
		if err := json.Unmarshal(changes.Get(k[len(prefix):]), &ch); err != nil {
			return nil, fmt.Errorf("decode change %d: %w", binary.BigEndian.Uint64(k[len(prefix):]), err)
		}
		if store != "" && ch.Store == store {
			continue // the pushing store's own earlier change: its admin saw it
		}
		for _, f := range ch.Fields {
			out[f] = true
		}
	}
	return out, nil
}

func getDevice(tx *localstore.Tx, store string) (device, error) {
	var d device
	b, err := tx.Bucket(bucketDevices)
	if err != nil {
		return d, err
	}
	if v := b.Get([]byte(store)); v != nil {
		err = json.Unmarshal(v, &d)
	}
	return d, err
}

func putDevice(tx *localstore.Tx, store string, d device) error {
	return putJSON(tx, bucketDevices, []byte(store), d)
}

// putJSON stores v as JSON under key in one of the server's buckets.
func putJSON(tx *localstore.Tx, bucket, key []byte, v any) error {
	b, err := tx.Bucket(bucket)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return b.Put(key, data)
}

func outcomeKey(store string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(store+"/"), seq)
}

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
func (s *Server) PushOne(actorUUID, store string, m *localstore.Mutation) (Result, error) {
	res := Result{ID: m.ID, Seq: m.Seq}
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
	res = Result{ID: m.ID, Seq: m.Seq, Outcome: Rejected, Reason: rej.reason}
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

func putOutcome(tx *localstore.Tx, store string, res Result) error {
	return putJSON(tx, bucketOutcomes, outcomeKey(store, res.Seq), res)
}

// previous answers a mutation processed before: duplicate, or its stored
// rejection or conflict. A number that was used by another mutation (a
// store restored from an older copy reuses numbers) is rejected, never taken
// for a duplicate: the change stays in that store's queue.
func (s *Server) previous(tx *localstore.Tx, store string, m *localstore.Mutation) Result {
	if b, _ := tx.Bucket(bucketOutcomes); b != nil {
		if v := b.Get(outcomeKey(store, m.Seq)); v != nil {
			var r Result
			if json.Unmarshal(v, &r) == nil {
				switch {
				case r.ID != m.ID:
					return Result{ID: m.ID, Seq: m.Seq, Outcome: Rejected,
						Reason: fmt.Sprintf("number %d of this store was already used by another change: the store was probably restored from an older copy; 'airt sync resolve %d --keep local' queues it again under a new number", m.Seq, m.Seq)}
				case r.Outcome == Applied:
					return Result{ID: m.ID, Seq: m.Seq, Outcome: Duplicate, Version: r.Version}
				}
				return r
			}
		}
	}
	return Result{ID: m.ID, Seq: m.Seq, Outcome: Duplicate}
}

// decide checks and applies m, filling res; a *rejection error rolls back.
func (s *Server) decide(tx *localstore.Tx, actorUUID, store string, m *localstore.Mutation, res *Result) error {
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
		if noop(target, m) {
			if err := tx.Authorize(actor, target, m.Op); err != nil {
				return reject("%s", err)
			}
			res.Outcome, res.Version = Applied, target.Version
			return nil
		}
		if target.Version > m.BaseVersion {
			changed, err := changedSince(tx, target.UUID, m.BaseVersion, store)
			if err != nil {
				return err
			}
			if f := Conflicts(target, m, changed); len(f) > 0 {
				res.Outcome, res.Fields = Conflict, f
				res.Reason = conflictReason(target, m, f)
				res.Server, res.Local = map[string]string{}, map[string]string{}
				for _, name := range f {
					if v, ok := fieldValue(target, name); ok {
						res.Server[name] = v
					}
					if v, ok := argValue(m, name); ok {
						res.Local[name] = v
					}
				}
				rest := without(m, f)
				if len(rest) == 0 {
					return nil
				}
				// Different fields merge: the rest is applied now, in this
				// transaction, which also records the conflict as this
				// mutation's outcome, so a retried push gets the conflict
				// again and never applies the rest twice.
				merged := Only(m, rest)
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
	rev, err := s.record(tx, u, m, store, Fields(m))
	if err != nil {
		return err
	}
	res.Outcome, res.Version = Applied, rev
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

// disabledToken tells whether tok is a token revoked because its user was
// disabled, and that user is still disabled.
func disabledToken(tx *localstore.Tx, tok string) bool {
	b, err := tx.Bucket(bucketDisabledTokens)
	if err != nil || b == nil {
		return false
	}
	v := b.Get([]byte(localstore.TokenHash(tok)))
	var sess localstore.Session
	if v == nil || json.Unmarshal(v, &sess) != nil || !tx.Now().Before(sess.Expires) {
		return false
	}
	u, err := tx.User(sess.UserUUID)
	return err == nil && u.Disabled
}

// conflictReason words a conflict: the fields, the versions and, for the
// profile fields, the value on each side.
func conflictReason(target *account.User, m *localstore.Mutation, fields []string) string {
	r := fmt.Sprintf("%s changed on the server since version %d (now %d)", strings.Join(fields, ", "), m.BaseVersion, target.Version)
	var vals []string
	for _, f := range fields {
		theirs, ok1 := fieldValue(target, f)
		ours, ok2 := argValue(m, f)
		if ok1 && ok2 {
			vals = append(vals, fmt.Sprintf("%s: server %q, this store %q", f, theirs, ours))
		}
	}
	if len(vals) > 0 {
		r += "; " + strings.Join(vals, "; ")
	}
	return r
}

// checkHistory answers whether the client's position (epoch, cursor and the
// change id at it) belongs to this server's history.
func (s *Server) checkHistory(tx *localstore.Tx, epoch string, cursor uint64, cursorID string) error {
	if epoch != "" && epoch != s.epoch {
		return &httpError{status: http.StatusConflict, code: CodeHistoryReset,
			text: fmt.Sprintf("the server's history was replaced (epoch %s, this store synced with epoch %s)", short(s.epoch), short(epoch))}
	}
	if cursor == 0 {
		return nil
	}
	changes, err := tx.Bucket(bucketChanges)
	if err != nil {
		return err
	}
	var ch change
	v := changes.Get(revKey(cursor))
	head := changes.Sequence()
	if v == nil || json.Unmarshal(v, &ch) != nil || ch.ID != cursorID {
		return &httpError{status: http.StatusConflict, code: CodeHistoryReset,
			text: fmt.Sprintf("the server's history went back: this store pulled up to revision %d, the server is at revision %d with another history", cursor, head)}
	}
	return nil
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// httpError is an error answer.
type httpError struct {
	status     int
	code, text string
	hint       string
	retryAfter int
}

func (e *httpError) Error() string { return e.text }

// ServeHTTP serves the protocol, logging one line per request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &logWriter{ResponseWriter: w, status: 200}
	if v := r.Header.Get(HeaderProtocol); v != ProtocolVersion {
		s.fail(rec, &httpError{status: http.StatusBadRequest, code: CodeVersion,
			text: fmt.Sprintf("protocol version %q not supported (this server speaks %s)", v, ProtocolVersion),
			hint: "use the same airt version on the client and the server"})
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		s.mux.ServeHTTP(rec, r)
	}
	if s.log != nil {
		s.logMu.Lock()
		fmt.Fprintf(s.log, "%s %s %s %d %s%s\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path,
			rec.status, time.Since(start).Round(time.Microsecond), rec.note)
		s.logMu.Unlock()
	}
}

type logWriter struct {
	http.ResponseWriter
	status int
	note   string
}

func (l *logWriter) WriteHeader(code int) { l.status = code; l.ResponseWriter.WriteHeader(code) }

func (l *logWriter) annotate(format string, args ...any) {
	l.note += " " + fmt.Sprintf(format, args...)
}

func annotate(w http.ResponseWriter, format string, args ...any) {
	if l, ok := w.(*logWriter); ok {
		l.annotate(format, args...)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fail writes err as an error answer: an *httpError as it is, an
// *account.Error by its kind, anything else as a 500 without its text.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var he *httpError
	var ae *account.Error
	switch {
	case errors.As(err, &he):
	case errors.As(err, &ae):
		he = &httpError{status: http.StatusBadRequest, code: CodeInvalid, text: ae.Text}
		switch ae.Kind {
		case account.KindUnauthenticated:
			he.status, he.code = http.StatusUnauthorized, CodeUnauthenticated
		case account.KindOTP:
			he.status, he.code = http.StatusUnauthorized, CodeOTP
		case account.KindForbidden:
			he.status, he.code = http.StatusForbidden, CodeForbidden
		}
	default:
		annotate(w, "error=%q", err.Error())
		he = &httpError{status: http.StatusInternalServerError, code: CodeInternal, text: "internal server error"}
	}
	if he.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(he.retryAfter))
	}
	writeJSON(w, he.status, ErrorBody{Error: he.text, Code: he.code, Hint: he.hint})
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return &httpError{status: http.StatusBadRequest, code: CodeInvalid, text: "bad request body: " + err.Error()}
	}
	return nil
}

// authenticate returns the uuid of the token's user.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*account.User, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return nil, &httpError{status: http.StatusUnauthorized, code: CodeUnauthenticated, text: "no token: log in first"}
	}
	var u *account.User
	err := s.store.View(func(tx *localstore.Tx) error {
		var err error
		u, err = tx.SessionUser(tok)
		if errors.Is(err, account.ErrAccountDisabled) || (errors.Is(err, account.ErrBadToken) && disabledToken(tx, tok)) {
			return &httpError{status: http.StatusForbidden, code: CodeDisabled, text: account.ErrAccountDisabled.Error()}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	annotate(w, "user=%s", u.Username)
	return u, nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	annotate(w, "user=%s", req.Username)
	key := account.NormalizeKey(req.Username) + "|" + clientIP(r)
	now := s.now()
	if wait := s.limiter.wait(key, now); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		s.fail(w, &httpError{status: http.StatusTooManyRequests, code: CodeRateLimited, retryAfter: secs,
			text: fmt.Sprintf("too many failed logins for %s: try again in %d seconds", req.Username, secs)})
		return
	}
	// The password is checked in a read transaction: hashing must not hold
	// the write lock.
	var u *account.User
	_ = s.store.View(func(tx *localstore.Tx) error {
		u, _ = tx.UserByUsername(req.Username)
		return nil
	})
	if u == nil {
		// Spend the time a wrong password costs, so the answer's timing does
		// not tell whether the account exists.
		account.CheckPassword(dummyHash(), req.Password)
	}
	if u == nil || !account.CheckPassword(u.PasswordHash, req.Password) || (!u.MFAActive() && req.OTP != "") {
		s.limiter.fail(key, now)
		s.fail(w, account.ErrBadCredentials)
		return
	}
	var resp LoginResponse
	err := s.store.Update(func(tx *localstore.Tx) error {
		u, err := tx.User(u.UUID)
		if err != nil {
			return account.ErrBadCredentials
		}
		if err := account.CheckActive(u); err != nil {
			return err
		}
		if u.MFAActive() {
			if req.OTP == "" {
				return account.ErrOTPRequired
			}
			secret, err := s.mfaSecret(tx, u)
			if err != nil {
				return err
			}
			step, err := otp.Verify(secret, req.OTP, now, u.MFA.LastStep)
			if err != nil {
				s.limiter.fail(key, now)
				return account.ErrInvalidOTP
			}
			m := &localstore.Mutation{Op: localstore.OpMFAStep, Target: u.UUID, Actor: u.UUID, Args: localstore.Args{Step: step}}
			if u, err = tx.Apply(u, m); err != nil {
				return err
			}
			if _, err := s.record(tx, u, m, "", Fields(m)); err != nil {
				return err
			}
		}
		tok, err := tx.NewSession(u.UUID)
		if err != nil {
			return err
		}
		wu, err := s.wire(tx, u, true)
		if err != nil {
			return err
		}
		resp = LoginResponse{Token: tok, Expires: tx.Now().Add(localstore.SessionLifetime), User: wu, Epoch: s.epoch}
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	s.limiter.reset(key)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) mfaSecret(tx *localstore.Tx, u *account.User) (string, error) {
	key, err := tx.Key()
	if err != nil {
		return "", err
	}
	b, err := otp.Open(key, u.MFA.SealedSecret, []byte(u.UUID))
	return string(b), err
}

// wire returns u as sent to a client; self adds the user's own secrets.
func (s *Server) wire(tx *localstore.Tx, u *account.User, self bool) (WireUser, error) {
	wu := WireUser{User: u.Public()}
	if !self {
		return wu, nil
	}
	sec := &UserSecrets{PasswordHash: u.PasswordHash}
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

// handleLogout revokes the request's token.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authenticate(w, r); err != nil {
		s.fail(w, err)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.store.Update(func(tx *localstore.Tx) error { return tx.DeleteSession(tok) }); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	var req PushRequest
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
			return &httpError{status: http.StatusForbidden, code: CodeForbidden,
				text: fmt.Sprintf("store %s pushes as another user, not as %s", short(req.StoreID), actor.Username),
				hint: "log in to the server as that store's user, or use another store (--db)"}
		}
		if dev.LastSeq < req.After {
			return &httpError{status: http.StatusConflict, code: CodeOutOfOrder,
				text: fmt.Sprintf("the server processed this store's changes up to %d, the store says up to %d: changes were lost on the server", dev.LastSeq, req.After),
				hint: "the server's store was probably restored from an older copy; ask its operator"}
		}
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	resp := PushResponse{Results: make([]Result, 0, len(req.Mutations)), Epoch: s.epoch}
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
		counts[Applied], counts[Duplicate], counts[Rejected], counts[Conflict])
	writeJSON(w, http.StatusOK, resp)
}

func checkPush(req *PushRequest) error {
	bad := func(format string, args ...any) error {
		return &httpError{status: http.StatusBadRequest, code: CodeInvalid, text: fmt.Sprintf(format, args...)}
	}
	if req.StoreID == "" {
		return bad("store_id is missing")
	}
	if len(req.Mutations) > MaxBatch {
		return bad("%d mutations in one push; at most %d", len(req.Mutations), MaxBatch)
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
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	resp := PullResponse{Epoch: s.epoch, Cursor: after, CursorID: q.Get("after_id"), Users: []WireUser{}}
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
		for k, v := c.Seek(revKey(after + 1)); k != nil && n < limit; k, v = c.Next() {
			n++
			var ch change
			if err := json.Unmarshal(v, &ch); err != nil {
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

var dummyHash = gosync.OnceValue(func() string {
	h, _ := account.HashPassword(randomID(16))
	return h
})

// limiter counts failed logins per key in a sliding window.
type limiter struct {
	mu    gosync.Mutex
	fails map[string][]time.Time
}

func newLimiter() *limiter { return &limiter{fails: map[string][]time.Time{}} }

func (l *limiter) prune(key string, now time.Time) []time.Time {
	var keep []time.Time
	for _, t := range l.fails[key] {
		if now.Sub(t) < LoginWindow {
			keep = append(keep, t)
		}
	}
	if keep == nil {
		delete(l.fails, key)
	} else {
		l.fails[key] = keep
	}
	return keep
}

// wait returns how long key must wait before the next attempt (0: none).
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.prune(key, now)
	if len(f) < LoginFailures {
		return 0
	}
	return f[0].Add(LoginWindow).Sub(now)
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 10000 {
		// Many names tried: drop the entries whose failures all expired, so
		// guessing names cannot grow the map without bound.
		for k := range l.fails {
			l.prune(k, now)
		}
	}
	l.fails[key] = append(l.prune(key, now), now)
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
