//go:build !unix

package localstore

import "time"

// waitForWriter: elsewhere bbolt's lock is not an flock; a short file is
// judged as it is.
func waitForWriter(string, time.Duration) error { return nil }
