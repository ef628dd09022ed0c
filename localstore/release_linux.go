package localstore

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// ReleaseMapped drops the pages of the store's memory map from this
// process's resident memory. They stay in the kernel's page cache and are
// mapped again on the next read, so nothing is lost but the accounting: a
// bulk import of a million users touches most of a 1 GB file, and without
// this every page it read stays resident until the process ends (1.8 GiB
// RSS). Call it between transactions only (bulk import does, after each
// chunk): bbolt remaps the file while a write grows it.
func (s *Store) ReleaseMapped() {
	var data uintptr
	var used int64
	_ = s.db.View(func(tx *bolt.Tx) error {
		data, used = tx.DB().Info().Data, tx.Size()
		return nil
	})
	if data == 0 || used == 0 {
		return
	}
	// The pages in use are always mapped (the mapping may be longer, the
	// file too, but only this range is certainly the store's).
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, data, uintptr(used), syscall.MADV_DONTNEED)
}
