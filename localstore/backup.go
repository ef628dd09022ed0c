package localstore

import (
	"io"

	bolt "go.etcd.io/bbolt"
)

// WriteBackup writes a consistent copy of the whole store file to w from one
// read transaction (bbolt's Tx.WriteTo): writers go on meanwhile, and the
// copy is the store as of the moment the transaction began. The copy is a
// store file in its own right; restoring is putting it in place of the
// file while nothing has it open. size, when not nil, is told the copy's
// length before it is written (an HTTP answer's Content-Length).
func (s *Store) WriteBackup(w io.Writer, size func(int64)) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}
