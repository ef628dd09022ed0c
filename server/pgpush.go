package server

import (
	"encoding/json"
	"fmt"

	"github.com/airt/airt/account"
	usersync "github.com/airt/airt/sync"
)

// prefetcher is a Tx that can read ahead, in a few queries, the committed
// rows a push request will look at; without it every created user costs
// two round trips to the database (its record, the holders of its username
// and email), which dominate a push of thousands of changes.
type prefetcher interface {
	Prefetch(uuids, nameKeys, emailKeys []string) error
}

// prefetchPush reads ahead what the mutations of a push will look up: their
// targets and the usernames and emails they set. A key it misses is read
// when it is needed, as without it.
func prefetchPush(tx Tx, ms []usersync.WireMutation) error {
	p, ok := tx.(prefetcher)
	if !ok || len(ms) == 0 {
		return nil
	}
	var uuids, names, emails []string
	for i := range ms {
		m := &ms[i].Mutation
		if m.Target != "" {
			uuids = append(uuids, normUUID(m.Target))
		}
		if a := m.Args.Username; a != nil {
			names = append(names, account.NormalizeKey(*a))
		}
		if a := m.Args.Email; a != nil {
			emails = append(emails, account.NormalizeKey(*a))
		}
	}
	return p.Prefetch(uuids, names, emails)
}

// Prefetch reads the committed records of uuids and the holders of the
// username and email keys into the transaction's read-once caches, in two
// queries. It runs under the version row's lock, as every read of a write
// transaction does, so what it reads is what a later single read would.
func (t *pgTx) Prefetch(uuids, nameKeys, emailKeys []string) error {
	var missing []string
	for _, id := range uuids {
		if _, ok := t.dbUsers[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		rows, err := t.tx.Query(t.ctx, `SELECT uuid, data FROM airt_users WHERE uuid = ANY($1)`, missing)
		if err != nil {
			return fmt.Errorf("read users ahead: %w", err)
		}
		found := map[string]*account.User{}
		for rows.Next() {
			var id string
			var data []byte
			if err := rows.Scan(&id, &data); err != nil {
				rows.Close()
				return err
			}
			var u account.User
			if err := json.Unmarshal(data, &u); err != nil {
				rows.Close()
				return fmt.Errorf("decode user %s: %w", id, err)
			}
			found[id] = &u
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read users ahead: %w", err)
		}
		for _, id := range missing {
			t.dbUsers[id] = found[id] // nil: no such user
		}
	}
	var names, emails []string
	for _, k := range nameKeys {
		if _, ok := t.dbNames[k]; !ok {
			names = append(names, k)
		}
	}
	for _, k := range emailKeys {
		if _, ok := t.dbEmails[k]; !ok {
			emails = append(emails, k)
		}
	}
	if len(names)+len(emails) == 0 {
		return nil
	}
	rows, err := t.tx.Query(t.ctx, `SELECT uuid, username_key, email_key FROM airt_users WHERE username_key = ANY($1) OR email_key = ANY($2)`, names, emails)
	if err != nil {
		return fmt.Errorf("read username and email holders ahead: %w", err)
	}
	defer rows.Close()
	nameOwner, emailOwner := map[string]string{}, map[string]string{}
	for rows.Next() {
		var id, n, e string
		if err := rows.Scan(&id, &n, &e); err != nil {
			return err
		}
		nameOwner[n], emailOwner[e] = id, id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read username and email holders ahead: %w", err)
	}
	for _, k := range names {
		t.dbNames[k] = nameOwner[k] // "": nobody holds it
	}
	for _, k := range emails {
		t.dbEmails[k] = emailOwner[k]
	}
	return nil
}
