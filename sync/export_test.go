package sync

// SetOwnChunkTaken makes fn run after each transaction but the last of the
// take-back that ends a push, and returns what undoes it.
func SetOwnChunkTaken(fn func() error) (undo func()) {
	ownChunkTaken = fn
	return func() { ownChunkTaken = nil }
}
