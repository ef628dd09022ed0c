package otp

import (
	"testing"
	"time"
)

func TestAttempts(t *testing.T) {
	now := frozen
	var a Attempts
	if locked, _ := a.Locked(now); locked {
		t.Fatal("zero Attempts is locked")
	}
	for i := 1; i < MaxFailures; i++ {
		a.Fail(now)
		if locked, _ := a.Locked(now); locked || a.Failures != i {
			t.Fatalf("after %d failures: locked=%v failures=%d", i, locked, a.Failures)
		}
	}
	a.Fail(now) // the MaxFailures-th
	until := now.Add(LockDuration)
	for _, tc := range []struct {
		at     time.Time
		locked bool
	}{
		{now, true},
		{until.Add(-time.Nanosecond), true},
		{until, false}, // the lock ends at LockedUntil exactly
		{until.Add(time.Second), false},
	} {
		locked, end := a.Locked(tc.at)
		if locked != tc.locked || (locked && !end.Equal(until)) {
			t.Errorf("Locked(%v) = %v, %v; want %v, %v", tc.at.Sub(now), locked, end, tc.locked, until)
		}
	}
	if a.Failures != 0 {
		t.Errorf("counter not reset at lock-out: %d", a.Failures)
	}

	// After the lock-out a new series of MaxFailures is needed to lock again.
	later := until.Add(time.Minute)
	for i := 1; i < MaxFailures; i++ {
		a.Fail(later)
	}
	if locked, _ := a.Locked(later); locked {
		t.Error("locked again before MaxFailures new failures")
	}
	a.Succeed()
	if a != (Attempts{}) {
		t.Errorf("Succeed left %+v", a)
	}
}
