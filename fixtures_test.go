package main

// Store fixtures for the scripts (chezmoi's mkhomedir pattern): mkstore makes
// a store with users directly, through the same localstore and credentials
// calls that `airt user create` and `airt token` make, so a script whose
// subject is not creating users or logging in does not pay for those runs.
// storedump shows a store's contents without its random parts, so
// mkstore.txtar can check that mkstore and the commands make the same store.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/airt/airt/account"
	"github.com/airt/airt/commands"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
)

const mkstoreUsage = "usage: mkstore [-login USERNAME] USERNAME,FIRST,LAST,SUBSCRIPTION[,su][,ph=PHONE][,e=EMAIL][,p=PASSWORD]..."

// fixtureUser is one user of mkstore: the fields of `airt user create`.
type fixtureUser struct {
	username, first, last, subscription, email, password, phone string
	superUser                                                   bool
}

// parseFixtureUser reads "alice,Alice,Liddell,small[,su][,ph=…][,e=…][,p=…]".
// The email defaults to USERNAME@example.com and the password to
// "USERNAME password", the scripts' convention.
func parseFixtureUser(spec string) (fixtureUser, error) {
	f := strings.Split(spec, ",")
	if len(f) < 4 {
		return fixtureUser{}, fmt.Errorf("user %q: want USERNAME,FIRST,LAST,SUBSCRIPTION", spec)
	}
	u := fixtureUser{username: f[0], first: f[1], last: f[2], subscription: f[3],
		email: f[0] + "@example.com", password: f[0] + " password"}
	for _, opt := range f[4:] {
		switch k, v, _ := strings.Cut(opt, "="); k {
		case "su":
			u.superUser = true
		case "ph":
			u.phone = v
		case "e":
			u.email = v
		case "p":
			u.password = v
		default:
			return fixtureUser{}, fmt.Errorf("user %q: unknown option %q", spec, opt)
		}
	}
	return u, nil
}

// scriptStorePath is the store a bare `airt` uses in the script: AIRT_DB,
// else the XDG default (scripts always set XDG_DATA_HOME).
func scriptStorePath(ts *testscript.TestScript) string {
	if p := ts.Getenv("AIRT_DB"); p != "" {
		return ts.MkAbs(p)
	}
	return filepath.Join(ts.Getenv("XDG_DATA_HOME"), "airt", "airt.db")
}

// openScriptStore opens the script's store and its keyring as airt does,
// with the script's clock (AIRT_NOW) and keyring mode (AIRT_KEYRING).
func openScriptStore(ts *testscript.TestScript, path string) (*localstore.Store, credentials.Store, error) {
	now, err := time.Parse(time.RFC3339, ts.Getenv("AIRT_NOW"))
	if err != nil {
		return nil, nil, fmt.Errorf("AIRT_NOW: %w", err)
	}
	var creds credentials.Store
	s, err := localstore.Open(path, localstore.Options{
		LockTimeout: 5 * time.Second,
		Now:         func() time.Time { return now },
		Key: func(_ string, create bool) ([]byte, error) {
			k, _, err := credentials.StoreKey(creds, create)
			return k, err
		},
	})
	if err != nil {
		return nil, nil, err
	}
	creds, err = credentials.Open(credentials.Config{StoreID: s.ID(), StorePath: path,
		Mode: ts.Getenv("AIRT_KEYRING"), Getenv: ts.Getenv})
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("keyring: %w", err)
	}
	return s, creds, nil
}

// cmdMkStore: mkstore [-login USERNAME] USER... makes a new store (at
// AIRT_DB or the default path) holding USERs, each as `airt user create`
// makes them: the first one bootstraps the empty store (it must be a super
// user), the others are created by it, and each create is queued in the
// outbox. With -login, USERNAME is logged in as `airt token` does. The
// store must hold no users (it may exist, as a failed command can leave an
// empty one). `! mkstore` expects a refusal and prints it.
func cmdMkStore(ts *testscript.TestScript, neg bool, args []string) {
	err := mkstore(ts, args)
	switch {
	case neg && err == nil:
		ts.Fatalf("mkstore: unexpected success")
	case neg:
		fmt.Fprintf(ts.Stderr(), "mkstore: %v\n", err)
	case err != nil:
		ts.Fatalf("mkstore: %v", err)
	}
}

func mkstore(ts *testscript.TestScript, args []string) error {
	fs := flag.NewFlagSet("mkstore", flag.ContinueOnError)
	fs.SetOutput(ts.Stderr())
	login := fs.String("login", "", "log this user in")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return errors.New(mkstoreUsage)
	}
	var users []fixtureUser
	for _, spec := range fs.Args() {
		u, err := parseFixtureUser(spec)
		if err != nil {
			return err
		}
		users = append(users, u)
	}
	muts := make([]*localstore.Mutation, len(users))
	for i, u := range users {
		m, err := createMutation(u)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.username, err)
		}
		muts[i] = m
	}
	path := scriptStorePath(ts)
	s, creds, err := openScriptStore(ts, path)
	if err != nil {
		return err
	}
	defer s.Close()
	var token string
	err = s.Update(func(tx *localstore.Tx) error {
		if tx.HasUsers() {
			return fmt.Errorf("%s holds users already", path)
		}
		var creator *account.User
		for i, m := range muts {
			if creator != nil {
				m.Actor = creator.UUID
			}
			u, err := tx.Apply(creator, m)
			if err != nil {
				return fmt.Errorf("create %s: %w", users[i].username, err)
			}
			if err := tx.Enqueue(m); err != nil {
				return err
			}
			if creator == nil {
				creator = u
			}
		}
		if *login == "" {
			return nil
		}
		u, err := tx.UserByUsername(*login)
		if err != nil {
			return fmt.Errorf("-login %s: %w", *login, err)
		}
		token, err = tx.NewSession(u.UUID)
		return err
	})
	if err != nil || token == "" {
		return err
	}
	return creds.Set(credentials.EntrySession, token)
}

// createMutation is the change `airt user create` queues for u: the same
// checks, the same normalised phone, the same uuid and password hash.
func createMutation(u fixtureUser) (*localstore.Mutation, error) {
	profile := account.User{Username: u.username, FirstName: u.first, LastName: u.last,
		Email: u.email, SubscriptionType: u.subscription}
	if err := localstore.ValidateProfile(&profile); err != nil {
		return nil, err
	}
	if err := account.ValidatePassword(u.password); err != nil {
		return nil, err
	}
	hash, err := account.HashPassword(u.password)
	if err != nil {
		return nil, err
	}
	m := &localstore.Mutation{Op: localstore.OpCreate, Target: commands.TestUserUUID(u.username), Args: localstore.Args{
		Username: &u.username, Email: &u.email, FirstName: &u.first, LastName: &u.last,
		SubscriptionType: &u.subscription, SuperUser: localstore.Bool(u.superUser),
		Secrets: localstore.Secrets{PasswordHash: hash},
	}}
	if u.phone != "" {
		p, err := account.NormalizePhone(u.phone)
		if err != nil {
			return nil, err
		}
		m.Args.Phone = &p
	}
	return m, nil
}

// cmdStoreDump: storedump [STORE] prints what a store holds (default: the
// script's store), without what is random in it (ids, salts, tokens,
// nonces): its users, its outbox with secrets opened, its sessions and the
// keyring's session entry. Password hashes print as their parameters and
// whether "USERNAME password" verifies, so two stores made the same way print
// the same text.
func cmdStoreDump(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: storedump [STORE]")
	}
	path := scriptStorePath(ts)
	if len(args) == 1 {
		path = ts.MkAbs(args[0])
	}
	s, creds, err := openScriptStore(ts, path)
	ts.Check(err)
	defer s.Close()
	out := ts.Stdout()
	hash := func(h, username string) string {
		f := strings.Split(h, "$") // "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
		switch {
		case h == "":
			return "none"
		case len(f) == 6 && f[1] == "argon2id":
			return fmt.Sprintf("argon2id(%s,%s) verifies=%v", f[2], f[3], account.CheckPassword(h, username+" password"))
		}
		return fmt.Sprintf("other verifies=%v", account.CheckPassword(h, username+" password"))
	}
	names := map[string]string{} // uuid -> username
	ts.Check(s.View(func(tx *localstore.Tx) error {
		// The schema version as "current", so a new layout version does not
		// change the golden text.
		schema := string(tx.GetMeta("schema_version"))
		if schema == strconv.Itoa(localstore.SchemaVersion) {
			schema = "current"
		}
		fmt.Fprintf(out, "meta schema_version=%s\nmeta created=%s\n", schema, tx.GetMeta("created"))
		if _, err := tx.Key(); err != nil {
			return fmt.Errorf("store key: %w", err)
		}
		fmt.Fprintln(out, "store key: matches the store")
		err := tx.ForEachUser(func(u *account.User) error {
			names[u.UUID] = u.Username
			c := *u
			c.PasswordHash = hash(u.PasswordHash, u.Username)
			if c.MFA != nil && len(c.MFA.SealedSecret) > 0 {
				mfa := *c.MFA
				mfa.SealedSecret = []byte("sealed")
				c.MFA = &mfa
			}
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "user %s\n", b)
			sessions, err := tx.SessionsOf(u.UUID)
			if err != nil {
				return err
			}
			var lines []string
			for _, sess := range sessions {
				lines = append(lines, fmt.Sprintf("session of %s created %s expires %s", u.Username,
					sess.Created.Format(time.RFC3339), sess.Expires.Format(time.RFC3339)))
			}
			sort.Strings(lines)
			for _, l := range lines {
				fmt.Fprintln(out, l)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Outbox(0, true, func(m *localstore.Mutation) error {
			c := *m
			c.ID, c.StoreID = "", ""
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "outbox %s secrets: password %s\n", b, hash(m.Args.Secrets.PasswordHash, names[m.Target]))
			return nil
		})
	}))
	tok, err := creds.Get(credentials.EntrySession)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		fmt.Fprintln(out, "keyring session: none")
	case err != nil:
		ts.Fatalf("keyring: %v", err)
	default:
		ts.Check(s.View(func(tx *localstore.Tx) error {
			u, err := tx.SessionUser(tok)
			if err != nil {
				return fmt.Errorf("keyring session: %w", err)
			}
			fmt.Fprintf(out, "keyring session: %s\n", u.Username)
			return nil
		}))
	}
}
