package server

import (
	"fmt"
	"net/http"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// record takes the next revision, stamps u with it and appends the change,
// in tx.
func record(tx Tx, u *account.User, m *localstore.Mutation, store string, fields []string) (uint64, error) {
	rev, err := tx.NextRevision()
	if err != nil {
		return 0, err
	}
	old := *u
	u.Version = rev
	if err := tx.PutUser(&old, u); err != nil {
		return 0, err
	}
	return rev, tx.PutChange(rev, change{ID: randomID(8), UUID: u.UUID, Store: store, Seq: m.Seq, Mutation: m.ID, Fields: fields})
}

// changedSince returns the fields of uuid changed after revision base by
// anyone but store.
func changedSince(tx Tx, uuid string, base uint64, store string) (map[string]bool, error) {
	changes, err := tx.ChangesOf(uuid, base)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, ch := range changes {
		if store != "" && ch.Store == store {
			continue // the pushing store's own earlier change: its admin saw it
		}
		for _, f := range ch.Fields {
			out[f] = true
		}
	}
	return out, nil
}

// checkHistory answers whether the client's position (epoch, cursor and the
// change id at it) belongs to this server's history.
func (s *Server) checkHistory(tx Tx, epoch string, cursor uint64, cursorID string) error {
	if epoch != "" && epoch != s.epoch {
		return &httpError{status: http.StatusConflict, code: usersync.CodeHistoryReset,
			text: fmt.Sprintf("the server's history was replaced (epoch %s, this store synced with epoch %s)", short(s.epoch), short(epoch))}
	}
	if cursor == 0 {
		return nil
	}
	ch, ok, err := tx.ChangeAt(cursor)
	if err != nil {
		return err
	}
	if !ok || ch.ID != cursorID {
		head, err := tx.Head()
		if err != nil {
			return err
		}
		return &httpError{status: http.StatusConflict, code: usersync.CodeHistoryReset,
			text: fmt.Sprintf("the server's history went back: this store pulled up to revision %d, the server is at revision %d with another history", cursor, head)}
	}
	return nil
}
