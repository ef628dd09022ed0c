package server

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

// Migrate copies the bbolt server store from into the database of to, which
// must hold no airt data: users, the change history (same revisions and
// change ids), the history epoch, pushing stores and their outcomes, tokens
// and disabled tokens, pending SMS codes and their send times. Client stores
// then keep syncing against the database without logging in again. It first prepares from as OpenBolt does (its
// offline changes become history). It returns from's sealing key, which
// to now checks against and every server process on the database needs.
// One transaction on each side: a failure leaves the database empty.
func Migrate(ctx context.Context, from *localstore.Store, to *PostgresStore) (MigrateReport, error) {
	var rep MigrateReport
	if _, err := OpenBolt(from); err != nil {
		return rep, err
	}
	var key []byte
	if err := from.Update(func(tx *localstore.Tx) (err error) {
		key, err = tx.Key()
		return err
	}); err != nil {
		return rep, fmt.Errorf("the key of %s: %w", from.Path(), err)
	}
	var epoch string
	err := pgx.BeginFunc(ctx, to.pool, func(pg pgx.Tx) error {
		var rev uint64
		if err := pg.QueryRow(ctx, `SELECT rev FROM airt_version WHERE id = 1 FOR UPDATE`).Scan(&rev); err != nil {
			return err
		}
		var used bool
		if err := pg.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM airt_users) OR EXISTS (SELECT 1 FROM airt_meta) OR EXISTS (SELECT 1 FROM airt_changes)`).Scan(&used); err != nil {
			return err
		}
		if used || rev != 0 {
			return account.Errorf(account.KindInvalid, "the database already holds airt data: migrate only into an empty database").
				WithHint("create a new database (createdb) and migrate into it")
		}
		return from.View(func(tx *localstore.Tx) error {
			epoch = string(tx.GetMeta(metaEpoch))
			return copyToPostgres(ctx, tx, pg, key, epoch, from.ID(), &rep)
		})
	})
	if err != nil {
		return rep, fmt.Errorf("migrate %s: %w", from.Path(), err)
	}
	to.key, to.epoch = key, epoch
	rep.Epoch, rep.Key = epoch, key
	return rep, nil
}

// MigrateReport says what Migrate copied.
type MigrateReport struct {
	Users, Changes int
	Epoch          string
	// Key is the sealing key of the store migrated.
	Key []byte
}

func copyToPostgres(ctx context.Context, tx *localstore.Tx, pg pgx.Tx, key []byte, epoch, storeID string, rep *MigrateReport) error {
	bt := &boltTx{Tx: tx}
	var users [][]any
	if err := tx.ForEachUser(func(u *account.User) error {
		data, err := json.Marshal(u)
		if err != nil {
			return err
		}
		users = append(users, []any{u.UUID, account.NormalizeKey(u.Username), account.NormalizeKey(u.Email), u.SuperUser && !u.Disabled, data})
		return nil
	}); err != nil {
		return err
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_users"}, []string{"uuid", "username_key", "email_key", "enabled_super", "data"}, pgx.CopyFromRows(users)); err != nil {
		return fmt.Errorf("copy users: %w", err)
	}
	rep.Users = len(users)
	var head uint64
	var changes [][]any
	if b, _ := tx.Bucket(bucketChanges); b != nil {
		head = b.Sequence()
		if err := b.ForEach(func(k, v []byte) error {
			ch, err := bt.changeFrom(k, v)
			if err != nil {
				return err
			}
			if ch.Fields == nil {
				ch.Fields = []string{}
			}
			changes = append(changes, []any{binary.BigEndian.Uint64(k), ch.ID, ch.UUID, ch.Store, ch.Seq, ch.Mutation, ch.Fields})
			return nil
		}); err != nil {
			return err
		}
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_changes"}, []string{"rev", "id", "uuid", "store", "seq", "mutation", "fields"}, pgx.CopyFromRows(changes)); err != nil {
		return fmt.Errorf("copy the history: %w", err)
	}
	rep.Changes = len(changes)
	if _, err := pg.Exec(ctx, `UPDATE airt_version SET rev = $1 WHERE id = 1`, head); err != nil {
		return err
	}
	var rows [][]any
	if b, _ := tx.Bucket(bucketDevices); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			var d device
			if _, err := bt.getJSON(bucketDevices, k, &d); err != nil {
				return err
			}
			rows = append(rows, []any{string(k), d.LastSeq, d.Owner})
			return nil
		}); err != nil {
			return err
		}
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_devices"}, []string{"store", "last_seq", "owner"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy the pushing stores: %w", err)
	}
	rows = nil
	if b, _ := tx.Bucket(bucketOutcomes); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			r, err := bt.outcomeFrom(k, v)
			if len(k) < 9 || err != nil {
				return fmt.Errorf("decode outcome %x: %v", k, err)
			}
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			rows = append(rows, []any{string(k[:len(k)-9]), binary.BigEndian.Uint64(k[len(k)-8:]), data})
			return nil
		}); err != nil {
			return err
		}
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_outcomes"}, []string{"store", "seq", "result"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy the outcomes: %w", err)
	}
	rows = nil
	if err := tx.ForEachSession(func(hash string, s localstore.Session) error {
		rows = append(rows, []any{hash, s.UserUUID, s.Created, s.Expires})
		return nil
	}); err != nil {
		return err
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_sessions"}, []string{"token_hash", "user_uuid", "created", "expires"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy the tokens: %w", err)
	}
	rows = nil
	if b, _ := tx.Bucket(bucketDisabledTokens); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			var s localstore.Session
			if _, err := bt.getJSON(bucketDisabledTokens, k, &s); err != nil {
				return err
			}
			rows = append(rows, []any{string(k), s.UserUUID, s.Created, s.Expires})
			return nil
		}); err != nil {
			return err
		}
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_disabled_tokens"}, []string{"token_hash", "user_uuid", "created", "expires"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy the disabled tokens: %w", err)
	}
	// Pending SMS codes and send times: a user halfway through an SMS flow
	// finishes it on the new store, and the send limit still counts.
	var codes, sends [][]any
	if err := tx.ForEachSMS(func(uuid, purpose string, ch otp.SMSChallenge) error {
		clear, err := json.Marshal(ch)
		if err != nil {
			return err
		}
		sealed, err := otp.Seal(key, clear, smsAD(uuid, purpose))
		if err != nil {
			return fmt.Errorf("seal sms code: %w", err)
		}
		codes = append(codes, []any{uuid, purpose, sealed})
		return nil
	}, func(uuid string, sent []time.Time) error {
		for _, at := range sent {
			sends = append(sends, []any{uuid, at})
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read the pending sms codes: %w", err)
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_sms_codes"}, []string{"user_uuid", "purpose", "sealed"}, pgx.CopyFromRows(codes)); err != nil {
		return fmt.Errorf("copy the pending sms codes: %w", err)
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"airt_sms_sends"}, []string{"user_uuid", "at"}, pgx.CopyFromRows(sends)); err != nil {
		return fmt.Errorf("copy the sms send times: %w", err)
	}
	check, err := otp.Seal(key, keyCheckText, []byte(storeID))
	if err != nil {
		return err
	}
	_, err = pg.Exec(ctx, `INSERT INTO airt_meta VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8)`,
		pgMetaEpoch, epoch, pgMetaStoreID, storeID, pgMetaKeyCheck, base64.StdEncoding.EncodeToString(check),
		pgMetaNameKeys, account.NameKeyVersion)
	return err
}

// keyCheckText is sealed with the key into the database's meta, so a process
// given another key is refused before it seals anything with it.
var keyCheckText = []byte("airt server key check")
