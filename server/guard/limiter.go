package guard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	gosync "sync"
	"time"
)

// Rule is one login limit: at most Max attempts within Window.
type Rule struct {
	Max    int
	Window time.Duration
}

// The login limits. Every attempt is counted when it arrives, before its
// password is checked, and a successful one is taken back, so what they count
// is failures plus checks in flight: a burst of simultaneous guesses gets
// exactly Max checks, never more.
var (
	// PerUserAddress: one username from one client address.
	PerUserAddress = Rule{Max: 5, Window: 5 * time.Minute}
	// PerUser: one username from any address, so spreading guesses over
	// addresses gains two windows' worth at most. The price, an attacker
	// being able to keep one account's logins refused, is the usual one
	// (OWASP's authentication cheat sheet); the lock ends by itself.
	PerUser = Rule{Max: 10, Window: 5 * time.Minute}
	// PerAddress: one client address, any username, against guessing
	// across accounts (password spraying). Behind a proxy, clients share its
	// address unless the server is told to trust it (--trusted-proxy).
	PerAddress = Rule{Max: 50, Window: 5 * time.Minute}
)

// Record is the attempt history of one limiter key: the arrival times of the
// attempts still inside the window, oldest first.
type Record struct {
	Times []time.Time `json:"times"`
}

// prune drops the times older than window before now.
func (r *Record) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(r.Times) && !now.Before(r.Times[i].Add(window)) {
		i++
	}
	r.Times = r.Times[i:]
}

// Store keeps the limiter's records where every server process sees them
// (the server's bbolt file, or its database), so a client cannot reset its
// count by reaching another process.
type Store interface {
	// UpdateAttempts loads the records of keys (zero Records for keys not
	// stored), calls fn with them and stores what fn left, all in one
	// transaction serialised with every other UpdateAttempts: two bursts
	// never both see the same count. A Record left with no times is deleted.
	// fn's error aborts without storing anything.
	UpdateAttempts(keys []string, fn func(recs []*Record) error) error
	// DeleteAttemptsBefore deletes the records whose newest time is before
	// t (expired under every rule), so names guessed once do not pile up.
	DeleteAttemptsBefore(t time.Time) error
}

// Limiter applies the login rules over a Store.
type Limiter struct {
	store Store
	now   func() time.Time

	sweepMu   gosync.Mutex
	lastSweep time.Time
}

// NewLimiter returns a limiter over store with the clock now.
func NewLimiter(store Store, now func() time.Time) *Limiter {
	return &Limiter{store: store, now: now}
}

// Ticket is a counted attempt: call Success when it passed (the attempt is
// taken back) or Abandon when it was never checked (the server was busy); a
// failed attempt needs nothing, it stays counted.
type Ticket struct {
	l    *Limiter
	keys []string
	at   time.Time
	// Filled names the rules this attempt brought to their limit: if it
	// fails, the next attempt under them is refused (a lock-out begins).
	Filled []string
}

// Limited is Reserve's refusal: the rule that refused and how long until an
// attempt is allowed again.
type Limited struct {
	Rule  string // "user+address", "user" or "address"
	Retry time.Duration
}

func (e *Limited) Error() string {
	return fmt.Sprintf("too many failed logins (%s): retry in %s", e.Rule, e.Retry.Round(time.Second))
}

// keys returns the limiter keys of an attempt and the rule of each. The
// username (normalised by the caller) enters as its SHA-256, so every key is
// short, printable and holds no byte a store might refuse (PostgreSQL text
// cannot hold NUL); addr is an IP address.
func keys(user, addr string) ([]string, []Rule, []string) {
	sum := sha256.Sum256([]byte(user))
	u := hex.EncodeToString(sum[:16])
	return []string{"ua:" + u + ":" + addr, "u:" + u, "a:" + addr},
		[]Rule{PerUserAddress, PerUser, PerAddress},
		[]string{"user+address", "user", "address"}
}

// Reserve counts an attempt to log in as user from addr before anything is
// checked. It returns a *Limited error when any rule is at its limit (nothing
// is counted then).
func (l *Limiter) Reserve(user, addr string) (*Ticket, error) {
	now := l.now()
	l.maybeSweep(now)
	ks, rules, names := keys(user, addr)
	var filled []string
	err := l.store.UpdateAttempts(ks, func(recs []*Record) error {
		filled = filled[:0]
		var worst *Limited
		for i, r := range recs {
			r.prune(now, rules[i].Window)
			if len(r.Times) >= rules[i].Max {
				wait := r.Times[len(r.Times)-rules[i].Max].Add(rules[i].Window).Sub(now)
				if worst == nil || wait > worst.Retry {
					worst = &Limited{Rule: names[i], Retry: wait}
				}
			}
		}
		if worst != nil {
			return worst
		}
		for i, r := range recs {
			r.Times = append(r.Times, now)
			if len(r.Times) == rules[i].Max {
				filled = append(filled, names[i])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Ticket{l: l, keys: ks, at: now, Filled: filled}, nil
}

// Success takes the attempt back: the user+address history is cleared (the
// right password ends a run of typos) and this attempt leaves the other two.
func (t *Ticket) Success() error {
	return t.l.store.UpdateAttempts(t.keys, func(recs []*Record) error {
		recs[0].Times = nil
		for _, r := range recs[1:] {
			r.takeBack(t.at)
		}
		return nil
	})
}

// Abandon takes back an attempt that was never checked.
func (t *Ticket) Abandon() error {
	return t.l.store.UpdateAttempts(t.keys, func(recs []*Record) error {
		for _, r := range recs {
			r.takeBack(t.at)
		}
		return nil
	})
}

func (r *Record) takeBack(at time.Time) {
	if i := slices.IndexFunc(r.Times, at.Equal); i >= 0 {
		r.Times = slices.Delete(r.Times, i, i+1)
	}
}

// maybeSweep deletes expired records at most once a minute.
func (l *Limiter) maybeSweep(now time.Time) {
	l.sweepMu.Lock()
	due := now.Sub(l.lastSweep) >= time.Minute || now.Before(l.lastSweep)
	if due {
		l.lastSweep = now
	}
	l.sweepMu.Unlock()
	if due {
		longest := max(PerUserAddress.Window, PerUser.Window, PerAddress.Window)
		// A failed sweep leaves records that later sweeps delete.
		_ = l.store.DeleteAttemptsBefore(now.Add(-longest))
	}
}

// MemoryStore is a Store in memory, for one process and for tests.
type MemoryStore struct {
	mu   gosync.Mutex
	recs map[string]Record
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{recs: map[string]Record{}} }

// UpdateAttempts implements Store.
func (m *MemoryStore) UpdateAttempts(keys []string, fn func([]*Record) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs := make([]*Record, len(keys))
	for i, k := range keys {
		r := m.recs[k]
		r.Times = slices.Clone(r.Times)
		recs[i] = &r
	}
	if err := fn(recs); err != nil {
		return err
	}
	for i, k := range keys {
		if len(recs[i].Times) == 0 {
			delete(m.recs, k)
		} else {
			m.recs[k] = *recs[i]
		}
	}
	return nil
}

// DeleteAttemptsBefore implements Store.
func (m *MemoryStore) DeleteAttemptsBefore(t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, r := range m.recs {
		if len(r.Times) == 0 || r.Times[len(r.Times)-1].Before(t) {
			delete(m.recs, k)
		}
	}
	return nil
}

// Len reports how many records are kept (for tests).
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs)
}
