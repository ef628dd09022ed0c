package pgtest

import (
	"os"
	"testing"
)

// TestStopLeavesNothing: one cluster serves every database of the process,
// and Stop removes it.
func TestStopLeavesNothing(t *testing.T) {
	u1 := URL(t)
	u2 := URL(t)
	if u1 == u2 {
		t.Fatalf("two databases share the URL %s", u1)
	}
	mu.Lock()
	c := cluster
	mu.Unlock()
	if c == nil {
		t.Skip("databases on " + URLEnv + ": no private cluster")
	}
	Stop()
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("cluster folder %s after Stop: %v", c.dir, err)
	}
}
