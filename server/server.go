package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	gosync "sync"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// Options configure NewServer.
type Options struct {
	// Log receives one line per request (method, path, status, duration,
	// the user and the push counts; never a secret). nil: no log.
	Log io.Writer
	// Now is the clock of the rate limiter and the TOTP check (nil: the
	// store's clock).
	Now func() time.Time
}

// Server is the airt server: an http.Handler over a store in the localstore
// format that it keeps open.
type Server struct {
	store   *localstore.Store
	now     func() time.Time
	log     io.Writer
	logMu   gosync.Mutex
	epoch   string
	limiter *limiter
	mux     *http.ServeMux
}

// NewServer prepares store to be served: on first use it creates the
// server's buckets and epoch and records every existing user as a change (a
// store bootstrapped offline with `airt --db FILE user create … -su`); later
// it records the changes made offline on the server's store since it was last
// served (its outbox) and empties that outbox. One Update.
func NewServer(store *localstore.Store, opts Options) (*Server, error) {
	s := &Server{store: store, now: opts.Now, log: opts.Log, limiter: newLimiter()}
	if s.now == nil {
		s.now = store.Now
	}
	err := store.Update(func(tx *localstore.Tx) error {
		for _, name := range [][]byte{bucketChanges, bucketHistory, bucketDevices, bucketOutcomes} {
			if _, err := tx.Bucket(name); err != nil {
				return err
			}
		}
		var offline []*localstore.Mutation
		if err := tx.Outbox(0, false, func(m *localstore.Mutation) error {
			c := *m
			offline = append(offline, &c)
			return nil
		}); err != nil {
			return err
		}
		s.epoch = string(tx.GetMeta(metaEpoch))
		if s.epoch == "" {
			s.epoch = randomID(16)
			if err := tx.PutMeta(metaEpoch, []byte(s.epoch)); err != nil {
				return err
			}
			var users []*account.User
			if err := tx.ForEachUser(func(u *account.User) error { users = append(users, u); return nil }); err != nil {
				return err
			}
			for _, u := range users {
				if _, err := s.record(tx, u, &localstore.Mutation{}, "", []string{usersync.FieldAll}); err != nil {
					return err
				}
			}
		} else {
			for _, m := range offline {
				u, err := tx.User(m.Target)
				if err != nil {
					continue
				}
				if _, err := s.record(tx, u, m, "", usersync.Fields(m)); err != nil {
					return err
				}
			}
		}
		for _, m := range offline {
			if err := tx.DeleteMutation(m.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("prepare the server store: %w", err)
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/token", s.handleLogin)
	s.mux.HandleFunc("POST /v1/push", s.handlePush)
	s.mux.HandleFunc("GET /v1/pull", s.handlePull)
	s.mux.HandleFunc("POST /v1/logout", s.handleLogout)
	return s, nil
}

// Epoch returns the server's history id.
func (s *Server) Epoch() string { return s.epoch }

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
