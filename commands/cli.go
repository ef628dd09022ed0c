package commands

import (
	"bufio"
	"errors"
	"fmt"
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
	// dbSetByUser: --db was on the command line (not AIRT_DB), so it
	// outranks AIRT_SERVER_DB for `airt server`.
	dbSetByUser bool
	debug       bool
	// caCert is --cacert / AIRT_CA_CERT: a PEM file of a certificate
	// authority trusted for the server beside the system's.
	caCert string
	// mayCreateStore is set by the commands that may start a new store
	// (user create, user import, token -s); the others refuse a missing
	// store instead of leaving an empty file behind.
	mayCreateStore bool
	// newStore is the path of the store this command created (it did not
	// exist before); a failed command removes it again if it holds nothing
	// (discardNewStore), so a failed first command leaves no file behind.
	newStore string

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
	app.Flag("db", "Path of the local store (default $XDG_DATA_HOME/airt/airt.db, else ~/.local/share/airt/airt.db).").
		Envar("AIRT_DB").PlaceHolder("PATH").IsSetByUser(&c.dbSetByUser).StringVar(&c.dbPath)
	app.Flag("cacert", "PEM file of the certificate authority of a server with a private CA, trusted beside the system's (SSL_CERT_FILE replaces the system's).").
		Envar("AIRT_CA_CERT").PlaceHolder("FILE").StringVar(&c.caCert)
	app.Flag("debug", "Log what airt does (store path, identity, timings) to stderr.").
		Short('d').BoolVar(&c.debug)
	c.app = app
	registerCompletion(c)
	// Commands, in the order help lists them.
	registerToken(c)
	registerUser(c)
	registerSync(c)
	registerServer(c)
	registerVersion(c)
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
