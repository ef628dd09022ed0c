//go:build !linux

package localstore

// ReleaseMapped does nothing here: the resident-memory accounting it works
// around is measured on Linux.
func (s *Store) ReleaseMapped() {}
