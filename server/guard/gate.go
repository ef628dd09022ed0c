// Package guard keeps login abuse from costing the server: a gate that bounds
// how many password or code checks hash at once, and a limiter that counts
// every login attempt before it is checked, per username and address, per
// username across addresses and per address across usernames, in a store
// shared by every server process.
package guard

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// ErrBusy is Gate.Acquire's answer when every hashing slot and every waiting
// place is taken: the caller answers at once (503 with Retry-After) instead
// of queueing work it cannot afford.
var ErrBusy = errors.New("too many password checks in progress")

// Gate bounds concurrent password and code hashing. An argon2id check holds
// about 19 MiB for its duration, so with nothing bounding it 200 concurrent
// logins hold ~3.8 GiB; the gate lets Slots hash at once (one per core: more
// would not finish sooner) and Queue more wait for a slot at most MaxWait.
// Waiting costs a goroutine, not a hash buffer.
type Gate struct {
	slots   chan struct{}
	places  chan struct{} // slots + queue: every holder or waiter takes one
	maxWait time.Duration
}

// NewGate returns a gate of slots concurrent holders and queue waiters who
// wait at most maxWait. slots ≤ 0 means one per usable core.
func NewGate(slots, queue int, maxWait time.Duration) *Gate {
	if slots <= 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	return &Gate{
		slots:   make(chan struct{}, slots),
		places:  make(chan struct{}, slots+max(queue, 0)),
		maxWait: maxWait,
	}
}

// MaxSlots caps the default gate on large machines: 4 argon2id checks hold
// ~76 MiB, well inside the server's memory budget, and answer ~150 logins
// a second, more than an administration tool sees.
const MaxSlots = 4

// DefaultGate is the server's gate: one hash per core (at most MaxSlots),
// four callers per slot waiting up to two seconds (a normal burst of logins
// still succeeds), the rest refused at once.
func DefaultGate() *Gate {
	n := min(runtime.GOMAXPROCS(0), MaxSlots)
	return NewGate(n, 4*n, 2*time.Second)
}

// Acquire takes a hashing slot, waiting while ctx lives and at most MaxWait
// when all slots are held. It returns ErrBusy at once when the queue is full
// too, and ErrBusy after waiting MaxWait; release gives the slot back.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case g.places <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	default:
	}
	timer := time.NewTimer(g.maxWait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	case <-timer.C:
		<-g.places
		return nil, ErrBusy
	case <-ctx.Done():
		<-g.places
		return nil, ctx.Err()
	}
}

func (g *Gate) release() {
	<-g.slots
	<-g.places
}

// InUse reports how many slots are held (for the metrics).
func (g *Gate) InUse() int { return len(g.slots) }
