package server

import (
	"context"
	gosync "sync"
	"time"
)

// memLimits are LoginLimits in memory, for a store served by one process.
type memLimits struct {
	mu    gosync.Mutex
	fails map[string][]time.Time
}

func newMemLimits() *memLimits { return &memLimits{fails: map[string][]time.Time{}} }

// prune drops key's failures before forgetBefore.
func (l *memLimits) prune(key string, forgetBefore time.Time) []time.Time {
	var keep []time.Time
	for _, t := range l.fails[key] {
		if t.After(forgetBefore) {
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

func (l *memLimits) LoginFailures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Time
	for _, t := range l.fails[key] {
		if t.After(since) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (l *memLimits) RecordLoginFailure(ctx context.Context, key string, at, forgetBefore time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 10000 {
		// Many names tried: drop the entries whose failures all expired, so
		// guessing names cannot grow the map without bound.
		for k := range l.fails {
			l.prune(k, forgetBefore)
		}
	}
	l.fails[key] = append(l.prune(key, forgetBefore), at)
	return nil
}

func (l *memLimits) ResetLoginFailures(ctx context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
	return nil
}
