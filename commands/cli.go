package commands

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
)

// cli is the state shared by the commands of one invocation: the global
// flags, the environment and the store and keyring, opened on first use.
type cli struct {
	env     *Env
	app     *kingpin.Application
	actions map[string]func() error

	dbPath string
	debug  bool
	// mayCreateStore is set by the commands that may start a new store
	// (user create, user import, token -s); the others refuse a missing
	// store instead of leaving an empty file behind.
	mayCreateStore bool

	store *localstore.Store
	creds credentials.Store
	// stdin is the line reader shared by every prompt (prompt.go).
	stdin *bufio.Reader
}

// keySession names the session token's keyring entry (per store).
const keySession = credentials.EntrySession

func newCLI(env *Env) *cli {
	c := &cli{env: env, actions: map[string]func() error{}}
	app := kingpin.New("airt", "airt: offline-first administration of user accounts.\n\n"+exitCodeHelp).
		UsageWriter(env.Stdout).ErrorWriter(env.Stderr)
	app.Terminate(func(code int) { panic(exitCode(code)) })
	app.HelpFlag.Short('h')
	app.UsageFuncs(map[string]any{"FlagsToTwoColumns": flagsToTwoColumns})
	app.Version(Version)
	app.Flag("db", "Path of the local store (default $XDG_DATA_HOME/airt/airt.db, else ~/.local/share/airt/airt.db).").
		Envar("AIRT_DB").PlaceHolder("PATH").StringVar(&c.dbPath)
	app.Flag("debug", "Log what airt does (store path, identity, timings) to stderr.").
		Short('d').BoolVar(&c.debug)
	c.app = app
	registerCompletion(c)
	// Commands, in the order help lists them.
	registerToken(c)
	registerUser(c)
	registerSync(c)
	registerServer(c)
	registerStore(c)
	return c
}

// action registers run as the action of cmd.
func (c *cli) action(cmd *kingpin.CmdClause, run func() error) {
	c.actions[cmd.FullCommand()] = run
}

func (c *cli) debugf(format string, args ...any) {
	if c.debug {
		fmt.Fprintf(c.env.Stderr, "debug: "+format+"\n", args...)
	}
}

func (c *cli) now() time.Time { return c.env.Now().UTC() }

// storePath resolves --db / AIRT_DB / the XDG default.
func (c *cli) storePath() (string, error) {
	if c.dbPath != "" {
		return c.dbPath, nil
	}
	if x := c.env.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "airt", "airt.db"), nil
	}
	home := c.env.Getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no store path: set --db or AIRT_DB (%w)", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "share", "airt", "airt.db"), nil
}

func (c *cli) lockTimeout() (time.Duration, error) {
	v := c.env.Getenv("AIRT_LOCK_TIMEOUT")
	if v == "" {
		return localstore.DefaultLockTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, err2 := strconv.Atoi(v); err2 == nil {
			return time.Duration(n) * time.Second, nil
		}
		return 0, fmt.Errorf("AIRT_LOCK_TIMEOUT %q: not a duration like 30s", v)
	}
	return d, nil
}

// openStore opens the store and the keyring that goes with it.
func (c *cli) openStore() (*localstore.Store, error) {
	if c.store != nil {
		return c.store, nil
	}
	start := time.Now()
	s, err := c.reopenStore()
	if err != nil {
		return nil, err
	}
	path := s.Path()
	c.debugf("store %s (id %s) opened in %s", path, s.ID(), time.Since(start).Round(time.Microsecond))
	c.store = s
	c.creds, err = credentials.Open(credentials.Config{
		StoreID: s.ID(), StorePath: path, Mode: c.env.Getenv("AIRT_KEYRING"),
		Getenv: c.env.Getenv, Warn: c.env.Stderr,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (c *cli) close() {
	if c.store != nil {
		c.store.Close()
		c.store = nil
	}
}

// storeKey returns the per-store sealing key from the keyring, creating it on
// first use (create is true only while the store holds no sealed secret, and
// the caller holds the store's write lock, so two processes never race).
func (c *cli) storeKey(_ string, create bool) ([]byte, error) {
	k, made, err := credentials.StoreKey(c.creds, create)
	if made {
		c.debugf("new store key kept in the keyring (%s)", c.creds.Backend())
	}
	return k, err
}

// token returns the caller's token: AIRT_SERVICE_TOKEN, else the keyring.
func (c *cli) token() (string, string, error) {
	if t := c.env.Getenv("AIRT_SERVICE_TOKEN"); t != "" {
		return t, "AIRT_SERVICE_TOKEN", nil
	}
	t, err := c.creds.Get(keySession)
	if errors.Is(err, credentials.ErrNotFound) {
		return "", "", account.ErrNotLoggedIn
	}
	if err != nil {
		return "", "", err
	}
	return t, "keyring (" + c.creds.Backend() + ")", nil
}

// caller returns the logged-in user, inside tx.
func (c *cli) caller(tx *localstore.Tx) (*account.User, error) {
	tok, from, err := c.token()
	if err != nil {
		return nil, err
	}
	u, err := tx.SessionUser(tok)
	if err != nil {
		return nil, err
	}
	c.debugf("acting as %s (%s), session from %s", u.Username, u.UUID, from)
	return u, nil
}

// flagsToTwoColumns replaces kingpin's flag listing in help: it shows the
// original's legacy spellings (-un, -fn, …) beside the long names and leaves
// out kingpin's "--[no-]" prefix of boolean flags, which airt's users never
// had (the negated forms still parse).
func flagsToTwoColumns(flags []*kingpin.FlagModel) [][2]string {
	legacyOf := map[string]string{}
	for short, long := range legacyFlags {
		legacyOf[strings.TrimPrefix(long, "--")] = short
	}
	var rows [][2]string
	for _, f := range flags {
		if f.Hidden {
			continue
		}
		left := "    "
		if f.Short != 0 {
			left = fmt.Sprintf("-%c, ", f.Short)
		}
		if l, ok := legacyOf[f.Name]; ok {
			left = l + ", "
			if f.Short != 0 { // token and reset-password: -u is the original's too
				left = fmt.Sprintf("-%c, %s, ", f.Short, l)
			}
		}
		left += "--" + f.Name
		if !f.IsBoolFlag() {
			left += "=" + f.FormatPlaceHolder()
		}
		rows = append(rows, [2]string{left, f.HelpWithEnvar()})
	}
	return rows
}
