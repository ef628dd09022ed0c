package commands

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/server"
)

// isPostgresURL tells a PostgreSQL URL from a store path.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// serverDB returns what `airt server` serves: --db given on the command
// line, else AIRT_SERVER_DB, else AIRT_DB or the default store path.
func (c *cli) serverDB() string {
	if !c.dbSetByUser {
		if v := c.env.Getenv("AIRT_SERVER_DB"); v != "" {
			return v
		}
	}
	return c.dbPath
}

// redactURL drops a password from a database URL before it is shown.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	userinfo := u[scheme+3 : at]
	if name, _, ok := strings.Cut(userinfo, ":"); ok {
		return u[:scheme+3] + name + ":xxxxx" + u[at:]
	}
	return u
}

// openServerStore opens the server's store: a bbolt file (kept open and
// locked while the server runs) or a PostgreSQL database. where names it for
// the start-up line.
func (s *serverCmd) openServerStore() (st server.Store, where string, closeStore func(), err error) {
	c := s.c
	db := c.serverDB()
	var key []byte
	if u := c.env.Getenv("AIRT_TEST_SERVER_POSTGRES"); TestHooks && u != "" && !isPostgresURL(db) {
		// Test hook: serve the bbolt store through the PostgreSQL database
		// u, migrating it there on first start, so the sync scripts run
		// against both stores.
		var migrated bool
		if key, migrated, err = s.testMigrate(db, u); err != nil {
			return nil, "", nil, err
		}
		if migrated {
			db = u
		}
	} else if isPostgresURL(db) {
		if key, err = readKeyFile(s.keyFile); err != nil {
			return nil, "", nil, err
		}
	}
	if isPostgresURL(db) {
		pg, err := server.OpenPostgres(context.Background(), db, server.PostgresOptions{Key: key, Now: c.env.Now})
		if err != nil {
			return nil, "", nil, err
		}
		if pg.RequiresKey() {
			pg.Close()
			return nil, "", nil, account.Errorf(account.KindInvalid, "the database's TOTP secrets are sealed with a key, and none was given").
				WithHint("pass the key file written by 'airt server migrate' (--key-file or AIRT_SERVER_KEY_FILE)")
		}
		if pg.Epoch() == "" {
			pg.Close()
			return nil, "", nil, account.Errorf(account.KindInvalid, "the database %s holds no airt data: nobody could log in", redactURL(db)).
				WithHint("bootstrap a store offline (airt --db FILE user create … -su), then: airt server migrate --from FILE --to " + redactURL(db) + " --key-file KEYFILE")
		}
		return pg, redactURL(db), func() { pg.Close() }, nil
	}
	if db != c.dbPath {
		c.dbPath = db
	}
	c.mayCreateStore = true // a missing store is reported below as an empty one, with the bootstrap hint
	store, err := c.openStore()
	if err != nil {
		return nil, "", nil, err
	}
	var empty bool
	if err := store.View(func(tx *localstore.Tx) error { empty = !tx.HasUsers(); return nil }); err != nil {
		return nil, "", nil, err
	}
	if empty {
		return nil, "", nil, account.Errorf(account.KindInvalid, "the server's store %s has no users: nobody could log in", store.Path()).
			WithHint("bootstrap it first: airt --db " + store.Path() + " user create -un USERNAME … -su")
	}
	st, err = server.OpenBolt(store)
	if err != nil {
		return nil, "", nil, err
	}
	return st, store.Path(), func() {}, nil
}

// testMigrate migrates the bbolt store at path into the database at url
// unless the database already holds it, and returns the store's key. A
// store without users is left alone (false), for the error it gets.
func (s *serverCmd) testMigrate(path, url string) ([]byte, bool, error) {
	c := s.c
	c.dbPath = path
	c.mayCreateStore = true
	store, err := c.openStore()
	if err != nil {
		return nil, false, err
	}
	defer c.close()
	var users bool
	if err := store.View(func(tx *localstore.Tx) error { users = tx.HasUsers(); return nil }); err != nil || !users {
		return nil, false, err
	}
	var key []byte
	if err := store.Update(func(tx *localstore.Tx) (err error) {
		key, err = tx.Key()
		return err
	}); err != nil {
		return nil, false, err
	}
	ctx := context.Background()
	pg, err := server.OpenPostgres(ctx, url, server.PostgresOptions{Key: key, Now: c.env.Now})
	if err != nil {
		return nil, false, err
	}
	defer pg.Close()
	if pg.Epoch() == "" {
		if _, err := server.Migrate(ctx, store, pg); err != nil {
			return nil, false, err
		}
	}
	return key, true, nil
}

// readKeyFile reads the sealing key of a PostgreSQL server store. No file:
// no key (a database whose users have no TOTP secret sealed yet is refused
// later if it needs one).
func readKeyFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(k) != otp.KeySize {
		return nil, account.Errorf(account.KindInvalid, "key file %s: not a key written by 'airt server migrate'", path)
	}
	return k, nil
}

// writeKeyFile writes key to a new file (0600), or checks that an existing
// file holds the same key.
func writeKeyFile(path string, key []byte) error {
	if old, err := readKeyFile(path); err == nil {
		if string(old) != string(key) {
			return account.Errorf(account.KindInvalid, "key file %s holds another key", path).
				WithHint("name a new file with --key-file; the database needs the key of the store it was migrated from")
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("key file: %w", err)
	}
	return f.Close()
}

type serverMigrateCmd struct {
	c        *cli
	from, to string
	// keyFile is `airt server`'s --key-file, which its subcommands share.
	keyFile *string
}

func registerServerMigrate(c *cli, parent *kingpin.CmdClause, keyFile *string) {
	m := &serverMigrateCmd{c: c, keyFile: keyFile}
	cmd := parent.Command("migrate", "Copy a bbolt server store into an empty PostgreSQL database.\n\n"+
		"Users, the change history and its epoch, what the server knows of each pushing store, tokens and outcomes move, "+
		"so client stores keep syncing against the database without logging in again. "+
		"The key that seals the users' TOTP secrets is written to --key-file (a new file, mode 0600, or one holding the same key); every server process on the database needs it. "+
		"Stop the bbolt server first.\n\n"+
		"Example: airt server migrate --from /srv/airt/server.db --to postgres://airt@db/airt --key-file /etc/airt/server.key")
	cmd.Flag("from", "The bbolt server store to copy.").Required().PlaceHolder("FILE").StringVar(&m.from)
	cmd.Flag("to", "The PostgreSQL database (postgres://USER@HOST/DB); it must hold no airt data.").Required().PlaceHolder("URL").StringVar(&m.to)
	c.action(cmd, m.run)
}

func (m *serverMigrateCmd) run() error {
	c := m.c
	if *m.keyFile == "" {
		return usageError{"required flag --key-file not provided: where to write the key that seals the users' TOTP secrets"}
	}
	if !isPostgresURL(m.to) {
		return account.Errorf(account.KindInvalid, "--to %q is not a PostgreSQL URL", m.to).
			WithHint("name the database as postgres://USER@HOST/DB")
	}
	c.dbPath = m.from
	store, err := c.openStore()
	if err != nil {
		return err
	}
	var key []byte
	if err := store.Update(func(tx *localstore.Tx) (err error) {
		key, err = tx.Key()
		return err
	}); err != nil {
		return err
	}
	ctx := context.Background()
	pg, err := server.OpenPostgres(ctx, m.to, server.PostgresOptions{Now: c.env.Now})
	if err != nil {
		return err
	}
	defer pg.Close()
	if pg.Epoch() != "" {
		return account.Errorf(account.KindInvalid, "the database %s already holds airt data: migrate only into an empty database", redactURL(m.to)).
			WithHint("create a new database (createdb) and migrate into it")
	}
	if err := writeKeyFile(*m.keyFile, key); err != nil {
		return err
	}
	rep, err := server.Migrate(ctx, store, pg)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "migrated %d users and %d changes (epoch %s) to %s; key in %s\n",
		rep.Users, rep.Changes, rep.Epoch[:8], redactURL(m.to), *m.keyFile)
	return nil
}
