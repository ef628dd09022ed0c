package guard

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/airt/airt/localstore"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

type clock struct {
	mu sync
	t  time.Time
}

type sync = gosync.Mutex

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func stores(t *testing.T) map[string]Store {
	st, err := localstore.Open(filepath.Join(t.TempDir(), "srv.db"), localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return map[string]Store{"memory": NewMemoryStore(), "bolt": BoltStore{st}}
}

// burst makes n simultaneous attempts and returns how many were allowed.
func burst(l *Limiter, n int, user func(i int) string, addr func(i int) string) int {
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	allowed := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Reserve(user(i), addr(i)); err == nil {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return allowed
}

func TestLimiterBursts(t *testing.T) {
	same := func(s string) func(int) string { return func(int) string { return s } }
	each := func(p string) func(int) string { return func(i int) string { return fmt.Sprintf("%s%d", p, i) } }
	cases := []struct {
		name       string
		n          int
		user, addr func(int) string
		want       int
	}{
		{"one user one address", 60, same("ada"), same("10.0.0.1"), PerUserAddress.Max},
		{"one user ten addresses", 60, same("ada"), each("10.0.0."), PerUser.Max},
		{"many users one address", 200, each("user"), same("10.0.0.1"), PerAddress.Max},
		{"many users many addresses", 30, each("user"), each("10.1.0."), 30},
	}
	for name, st := range stores(t) {
		for i, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				if m, ok := st.(*MemoryStore); ok {
					*m = *NewMemoryStore()
				}
				// Each case at its own time: the bolt store keeps the
				// earlier cases' records, outside this one's window.
				ck := &clock{t: t0.Add(time.Duration(i+1) * 24 * time.Hour)}
				l := NewLimiter(st, ck.now)
				if got := burst(l, c.n, c.user, c.addr); got != c.want {
					t.Errorf("%d simultaneous attempts: %d allowed, want %d", c.n, got, c.want)
				}
			})
		}
	}
}

func TestLimiterWindowAndSuccess(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ck := &clock{t: t0}
			l := NewLimiter(st, ck.now)
			for i := range PerUserAddress.Max {
				if _, err := l.Reserve("ada", "a1"); err != nil {
					t.Fatalf("attempt %d: %v", i+1, err)
				}
				ck.add(time.Second)
			}
			_, err := l.Reserve("ada", "a1")
			var lim *Limited
			if !errors.As(err, &lim) || lim.Rule != "user+address" {
				t.Fatalf("attempt over the limit: %v", err)
			}
			if want := PerUserAddress.Window - 5*time.Second; lim.Retry != want {
				t.Errorf("retry after %s, want %s", lim.Retry, want)
			}
			// The oldest attempt leaves the window: one more is allowed.
			ck.add(lim.Retry)
			tk, err := l.Reserve("ada", "a1")
			if err != nil {
				t.Fatalf("after the window: %v", err)
			}
			// A success clears the user+address history and takes itself
			// back from the per-user count.
			if err := tk.Success(); err != nil {
				t.Fatal(err)
			}
			for i := range PerUserAddress.Max {
				tk, err := l.Reserve("ada", "a1")
				if err != nil {
					t.Fatalf("after a success, attempt %d: %v", i+1, err)
				}
				if i == 0 {
					// Abandoned (never checked): not counted.
					if err := tk.Abandon(); err != nil {
						t.Fatal(err)
					}
					if _, err := l.Reserve("ada", "a1"); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := l.Reserve("ada", "a1"); !errors.As(err, &lim) {
				t.Fatalf("over the limit again: %v", err)
			}
			// Another address still may, until the per-user limit.
			if _, err := l.Reserve("ada", "a2"); err != nil {
				t.Fatalf("other address: %v", err)
			}
		})
	}
}

func TestLimiterSweep(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ck := &clock{t: t0.Add(100 * time.Hour)}
			l := NewLimiter(st, ck.now)
			for i := range 20 {
				l.Reserve(fmt.Sprintf("name%d", i), "a1")
			}
			ck.add(PerAddress.Window + time.Minute)
			if _, err := l.Reserve("ada", "a2"); err != nil {
				t.Fatal(err)
			}
			n := 0
			st.UpdateAttempts([]string{"a:a1"}, func(recs []*Record) error { n = len(recs[0].Times); return nil })
			if n != 0 {
				t.Errorf("address a1 still has %d attempts after the window", n)
			}
			if m, ok := st.(*MemoryStore); ok && m.Len() != 3 {
				t.Errorf("%d records kept after the sweep, want the 3 of the last attempt", m.Len())
			}
		})
	}
}

func TestGate(t *testing.T) {
	g := NewGate(2, 1, time.Hour)
	r1, err1 := g.Acquire(context.Background())
	r2, err2 := g.Acquire(context.Background())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if g.InUse() != 2 {
		t.Fatalf("in use %d", g.InUse())
	}
	// The one waiting place: a waiter gets the slot released.
	got := make(chan error, 1)
	wait := func() {
		go func() {
			r, err := g.Acquire(context.Background())
			if err == nil {
				r()
			}
			got <- err
		}()
	}
	wait()
	// Once the waiter holds the place, the next caller is refused at once.
	for probing := true; probing; {
		select {
		case err := <-got:
			if !errors.Is(err, ErrBusy) {
				t.Fatalf("waiter: %v before any slot was released", err)
			}
			wait() // a probe held the place: wait again
			continue
		default:
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r, err := g.Acquire(ctx)
		switch {
		case errors.Is(err, ErrBusy):
			probing = false
		case err == nil:
			r()
		}
	}
	r1()
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	r2()
	if g.InUse() != 0 {
		t.Fatalf("in use %d after release", g.InUse())
	}
	// A waiter gives up when its context ends.
	g2 := NewGate(1, 1, time.Hour)
	r, _ := g2.Acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g2.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	r()
}
