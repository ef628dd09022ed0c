package commands

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/render"
	usersync "github.com/airt/airt/sync"
)

// serverTokenKey is the keyring entry of the server token for a server URL.
func serverTokenKey(url string) string { return "server-token:" + url }

// normalizeServerURL checks a -s URL and drops a trailing slash.
func normalizeServerURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", account.Errorf(account.KindInvalid, "server URL %q: not an http:// or https:// URL", raw).
			WithHint("pass the URL 'airt server' printed, such as http://127.0.0.1:8080")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return "", account.Errorf(account.KindInvalid, "server URL %q: plain http is only for this machine (passwords and secrets cross the wire)", raw).
			WithHint("serve HTTPS ('airt server --tls-cert F --tls-key F') and use an https:// URL")
	}
	return strings.TrimRight(raw, "/"), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverLogin is `airt token -s URL`: log in to the server, keep its token in
// the keyring per URL, remember the server for `airt sync`, pull (so the
// user's own record, password hash included, is in the local store) and open
// a local session, so the user can also work offline.
func (t *tokenCmd) serverLogin() error {
	c := t.c
	srvURL, err := normalizeServerURL(t.server)
	if err != nil {
		return err
	}
	s, err := c.openStore()
	if err != nil {
		return err
	}
	var known, seenEpoch string
	if err := s.View(func(tx *localstore.Tx) error {
		known = string(tx.GetMeta(usersync.MetaServer))
		seenEpoch = usersync.SeenEpoch(tx)
		return nil
	}); err != nil {
		return err
	}
	// A store is bound to one server (one history); the server may move to
	// another URL (port, host name, https). The store follows it when the
	// server at the new URL has the history this store pulled from.
	moving := known != "" && known != srvURL
	if moving && seenEpoch == "" {
		return account.Errorf(account.KindInvalid, "this store syncs with %s and has not pulled from it yet, so it cannot tell whether %s is the same server", known, srvURL).
			WithHint("run 'airt sync' while " + known + " answers, or use another store (--db) for " + srvURL)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client, err := c.syncClient(srvURL, "")
	if err != nil {
		return err
	}
	resp, err := client.Login(ctx, usersync.LoginRequest{Username: t.username, Password: t.password, OTP: t.otp})
	if err != nil {
		return err
	}
	if moving && resp.Epoch != seenEpoch {
		// Another server: give back the token just issued (best effort).
		c.revokeServerToken(srvURL, resp.Token)
		return account.Errorf(account.KindInvalid, "this store syncs with %s; %s is another server (history %s, this store's is %s)",
			known, srvURL, shortID(resp.Epoch), shortID(seenEpoch)).
			WithHint("this store's queued changes stay here and go only to " + known + " ('airt sync status' lists them); use another store (--db) for " + srvURL)
	}
	c.moveCredentials()
	if err := c.creds.Set(serverTokenKey(srvURL), resp.Token); err != nil {
		return fmt.Errorf("keep the server token in the keyring: %w", err)
	}
	if moving {
		if old, err := c.creds.Get(serverTokenKey(known)); err == nil {
			c.revokeServerToken(srvURL, old) // same server, new address
		}
		if err := c.creds.Delete(serverTokenKey(known)); err != nil && !errors.Is(err, credentials.ErrNotFound) {
			fmt.Fprintf(c.env.Stderr, "warning: remove the old server token from the keyring: %s\n", err)
		}
		fmt.Fprintf(c.env.Stderr, "this store now syncs with %s (same server as %s)\n", srvURL, known)
	}
	err = s.Update(func(tx *localstore.Tx) error {
		if err := tx.PutMeta(usersync.MetaServer, []byte(srvURL)); err != nil {
			return err
		}
		return usersync.Rebase(tx, []usersync.WireUser{resp.User})
	})
	if err != nil {
		return err
	}
	client.Token = resp.Token
	eng := &usersync.Engine{Store: s, Client: client}
	if _, err := eng.Pull(ctx); err != nil {
		return c.syncError(err)
	}
	var token string
	err = s.Update(func(tx *localstore.Tx) error {
		if _, err := tx.User(resp.User.UUID); err != nil {
			return fmt.Errorf("your record did not reach the local store: %w", err)
		}
		token, err = tx.NewSession(resp.User.UUID)
		return err
	})
	if err != nil {
		return err
	}
	if err := c.creds.Set(keySession, token); err != nil {
		return fmt.Errorf("keep the session in the keyring: %w", err)
	}
	c.debugf("logged in to %s as %s (%s)", srvURL, resp.User.Username, resp.User.UUID)
	if t.quiet {
		fmt.Fprintln(c.env.Stdout, token)
		return nil
	}
	fmt.Fprintf(c.env.Stdout, "token: %s\n", token)
	return nil
}

// revokeServerToken revokes a server token on the server at url (best
// effort: one try, a short timeout, errors ignored).
func (c *cli) revokeServerToken(url, token string) {
	hc, err := c.httpClient(5 * time.Second)
	if err != nil {
		return
	}
	client := &usersync.Client{URL: url, Token: token, Retries: -1, HTTP: hc}
	_ = client.Logout(context.Background())
}

func shortID(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// syncClient returns a protocol client that trusts --cacert and logs its
// retries to stderr.
func (c *cli) syncClient(url, token string) (*usersync.Client, error) {
	hc, err := c.httpClient(60 * time.Second)
	if err != nil {
		return nil, err
	}
	return &usersync.Client{URL: url, Token: token, HTTP: hc, OnRetry: func(attempt int, err error, wait time.Duration) {
		fmt.Fprintf(c.env.Stderr, "warning: %s; retry %d in %s\n", err, attempt, wait.Round(time.Millisecond))
	}}, nil
}

// httpClient is the HTTP client for the server: the system's certificate
// authorities (SSL_CERT_FILE and SSL_CERT_DIR replace them, as for every Go
// program) plus the one of --cacert / AIRT_CA_CERT, for a server with a
// private CA.
func (c *cli) httpClient(timeout time.Duration) (*http.Client, error) {
	hc := &http.Client{Timeout: timeout}
	if c.caCert == "" {
		return hc, nil
	}
	pem, err := os.ReadFile(c.caCert)
	if err != nil {
		return nil, account.Errorf(account.KindInvalid, "--cacert %s: %v", c.caCert, errors.Unwrap(err)).
			WithHint("give the PEM file of the certificate authority that signed the server's certificate")
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, account.Errorf(account.KindInvalid, "--cacert %s: no PEM certificate in the file", c.caCert).
			WithHint("give the PEM file (-----BEGIN CERTIFICATE-----) of the certificate authority that signed the server's certificate")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc.Transport = tr
	return hc, nil
}

// syncError words a history reset for the user (nothing was merged).
func (c *cli) syncError(err error) error {
	var hr *usersync.HistoryResetError
	if errors.As(err, &hr) {
		return &account.Error{Kind: account.KindFailed, Text: "server history reset: " + hr.Text + "; nothing was merged",
			Hint: "the server was probably restored from an older copy; your queued changes are kept. Check with the server's operator, then run 'airt sync --accept-reset' to take the server's history as it is now"}
	}
	return err
}

// syncCmd is `airt sync` (its default subcommand `now`).
type syncCmd struct {
	c           *cli
	batch       int
	retries     int
	acceptReset bool
	output      string
}

// syncProblem is a rejected or conflicting change as listed by sync and
// sync status.
type syncProblem struct {
	Seq      uint64    `json:"seq"`
	ID       string    `json:"id"`
	State    string    `json:"state"`
	Op       string    `json:"op"`
	Target   string    `json:"target"`
	Username string    `json:"username,omitempty"`
	Reason   string    `json:"reason"`
	Created  time.Time `json:"created"`
}

func registerSync(c *cli) {
	group := c.app.Command("sync", "Reconcile the local store with the server: push the queued changes in order, then pull.\n\n"+
		"Exit codes: 0 everything in sync; 3 some changes were rejected or are in conflict (kept, see 'airt sync status'); "+
		"4 the server refused the token; 6 the server could not be reached.")
	x := &syncCmd{c: c}
	now := group.Command("now", "Push the queued changes, then pull (what 'airt sync' alone does).").Default()
	now.Flag("batch", "Mutations per push request.").Default("100").SetValue(countValue{&x.batch, "batch"})
	now.Flag("accept-reset", "After a reported server history reset: forget what this store pulled and take the server's history as it is now (queued changes are pushed again; changes the server lost are not).").BoolVar(&x.acceptReset)
	now.Flag("retries", "How many times a request that failed on the network or with a server error is retried (with backoff); 0: none.").Default("5").SetValue(countValue{&x.retries, "retries"})
	now.Flag("output", "Output as text (default) or json.").PlaceHolder("text|json").EnumVar(&x.output, "text", "json")
	c.action(now, x.run)

	st := &syncStatusCmd{c: c}
	status := group.Command("status", "Show the queued changes: pending count, age of the oldest, rejected and conflicting changes with their reasons, last push and pull, the server.\n\n"+
		"--output json fields: server, pending, oldest_pending, problems (each: seq, id, state, op, target, username, reason, created), last_push, last_pull, cursor, server_revision.")
	status.Flag("output", "Output as text (default) or json.").PlaceHolder("text|json").EnumVar(&st.output, "text", "json")
	c.action(status, st.run)

	r := &syncResolveCmd{c: c}
	resolve := group.Command("resolve", "Settle a rejected or conflicting change: --keep local queues it again over the server's version; --keep remote drops it and takes the server's copy.")
	resolve.Arg("id", "The change's id or number (see 'airt sync status').").Required().StringVar(&r.ref)
	resolve.Flag("keep", "Which side wins: local or remote.").Required().EnumVar(&r.keep, "local", "remote")
	resolve.Flag("output", "Output as text (default) or json.").PlaceHolder("text|json").EnumVar(&r.output, "text", "json")
	c.action(resolve, r.run)

	d := &syncResolveCmd{c: c, keep: "discard"}
	discard := group.Command("discard", "Drop a queued change (pending, rejected or conflicting) and rebuild the user from the server's copy.")
	discard.Arg("id", "The change's id or number (see 'airt sync status').").Required().StringVar(&d.ref)
	discard.Flag("output", "Output as text (default) or json.").PlaceHolder("text|json").EnumVar(&d.output, "text", "json")
	c.action(discard, d.run)
}

// syncEngine builds the engine for the store's server and token.
func (c *cli) syncEngine(s *localstore.Store) (*usersync.Engine, error) {
	var srvURL string
	if err := s.View(func(tx *localstore.Tx) error {
		srvURL = string(tx.GetMeta(usersync.MetaServer))
		return nil
	}); err != nil {
		return nil, err
	}
	if srvURL == "" {
		return nil, &account.Error{Kind: account.KindUnauthenticated, Text: "no server to sync with",
			Hint: "run 'airt token -s URL -u USERNAME' to log in to a server first"}
	}
	tok, err := c.creds.Get(serverTokenKey(srvURL))
	if errors.Is(err, credentials.ErrNotFound) {
		return nil, &account.Error{Kind: account.KindUnauthenticated, Text: "not logged in to " + srvURL,
			Hint: "run 'airt token -s " + srvURL + " -u USERNAME' to log in to the server"}
	}
	if err != nil {
		return nil, err
	}
	client, err := c.syncClient(srvURL, tok)
	if err != nil {
		return nil, err
	}
	return &usersync.Engine{Store: s, Client: client}, nil
}

func (x *syncCmd) run() error {
	c := x.c
	s, err := c.openStore()
	if err != nil {
		return err
	}
	eng, err := c.syncEngine(s)
	if err != nil {
		return err
	}
	if x.acceptReset {
		if err := s.Update(usersync.AcceptReset); err != nil {
			return err
		}
		fmt.Fprintln(c.env.Stderr, "forgot the pulled history; taking the server's history as it is now")
	}
	// The store is opened for each transaction from here on, not held
	// while talking to the server: other airt commands go on meanwhile.
	c.close()
	eng.Store, eng.Open = nil, c.reopenStore
	eng.Batch = x.batch
	c.debugf("sync with %s, %d mutations per push", eng.Client.URL, x.batch)
	eng.Client.Retries = x.retries
	if x.retries == 0 {
		eng.Client.Retries = -1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *progressBar
	phase := ""
	if x.output != "json" {
		eng.Progress = func(p usersync.Progress) {
			if p.Phase != phase {
				bar.Finish()
				phase, bar = p.Phase, c.newProgress(p.Phase, p.Total)
			}
			bar.Set(p.Done, p.Total)
		}
	}
	rep, err := eng.Sync(ctx)
	bar.Finish()
	if err != nil && ctx.Err() != nil {
		err = account.Errorf(account.KindFailed, "sync interrupted").
			WithHint("nothing was lost: what the server applied is acknowledged on the next run; run 'airt sync' again")
	}
	if err != nil {
		if rep.Pushed > 0 {
			fmt.Fprintf(c.env.Stderr, "pushed %d before the failure (applied %d, duplicate %d, rejected %d, conflict %d)\n",
				rep.Pushed, rep.Applied, rep.Duplicate, rep.Rejected, rep.Conflicts)
		}
		return c.syncError(err)
	}
	if s, err = c.openStore(); err != nil {
		return err
	}
	problems, err := c.syncProblems(s)
	if err != nil {
		return err
	}
	if x.output == "json" {
		out := struct {
			Pushed    int           `json:"pushed"`
			Applied   int           `json:"applied"`
			Duplicate int           `json:"duplicate"`
			Rejected  int           `json:"rejected"`
			Conflict  int           `json:"conflict"`
			Pulled    int           `json:"pulled"`
			Problems  []syncProblem `json:"problems"`
		}{rep.Pushed, rep.Applied, rep.Duplicate, rep.Rejected, rep.Conflicts, rep.Pulled, problems}
		if err := writeJSON(c, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.env.Stdout, "pushed %d (applied %d, duplicate %d, rejected %d, conflict %d); pulled %s\n",
			rep.Pushed, rep.Applied, rep.Duplicate, rep.Rejected, rep.Conflicts, countOf(rep.Pulled, "change", "changes"))
		printProblems(c, problems)
	}
	if len(problems) > 0 {
		if len(problems) == 1 {
			fmt.Fprintln(c.env.Stderr, "1 change was rejected or conflicts; it is kept.")
		} else {
			fmt.Fprintf(c.env.Stderr, "%d changes were rejected or conflict; they are kept.\n", len(problems))
		}
		fmt.Fprintln(c.env.Stderr, "Hint: settle each with 'airt sync resolve ID --keep local|remote' or 'airt sync discard ID'")
		return exitError{ExitSyncPartial}
	}
	return nil
}

// countOf words a count: "1 change", "2 changes".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func writeJSON(c *cli, v any) error {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// syncProblems lists the rejected and conflicting changes of the outbox.
func (c *cli) syncProblems(s *localstore.Store) ([]syncProblem, error) {
	var out []syncProblem
	err := s.View(func(tx *localstore.Tx) error {
		st, err := usersync.ReadStatus(tx)
		if err != nil {
			return err
		}
		out = problemsOf(tx, st.Problems)
		return nil
	})
	return out, err
}

func problemsOf(tx *localstore.Tx, ms []localstore.Mutation) []syncProblem {
	out := []syncProblem{}
	for _, m := range ms {
		p := syncProblem{Seq: m.Seq, ID: m.ID, State: m.State, Op: string(m.Op), Target: m.Target, Reason: m.Reason, Created: m.Created}
		if m.Op == localstore.OpCreate && m.Args.Username != nil {
			p.Username = *m.Args.Username
		} else if u, err := tx.User(m.Target); err == nil {
			p.Username = u.Username
		} else if sc, _ := usersync.ServerCopy(tx, m.Target); sc != nil {
			p.Username = sc.Username
		}
		out = append(out, p)
	}
	return out
}

func printProblems(c *cli, problems []syncProblem) {
	if len(problems) == 0 {
		return
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "seq\tstate\top\tuser\treason")
	for _, p := range problems {
		user := p.Username
		if user == "" {
			user = p.Target
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", p.Seq, p.State, p.Op, user, p.Reason)
	}
	tw.Flush()
}

// syncStatusCmd is `airt sync status`.
type syncStatusCmd struct {
	c      *cli
	output string
}

func (x *syncStatusCmd) run() error {
	c := x.c
	s, err := c.openStore()
	if err != nil {
		return err
	}
	var st *usersync.Status
	var problems []syncProblem
	err = s.View(func(tx *localstore.Tx) error {
		var err error
		if st, err = usersync.ReadStatus(tx); err != nil {
			return err
		}
		problems = problemsOf(tx, st.Problems)
		return nil
	})
	if err != nil {
		return err
	}
	if x.output == "json" {
		out := struct {
			Server         string        `json:"server"`
			Pending        int           `json:"pending"`
			OldestPending  *time.Time    `json:"oldest_pending"`
			Problems       []syncProblem `json:"problems"`
			LastPush       *time.Time    `json:"last_push"`
			LastPull       *time.Time    `json:"last_pull"`
			Cursor         uint64        `json:"cursor"`
			ServerRevision uint64        `json:"server_revision"`
		}{st.Server, st.Pending, st.Oldest, problems, st.LastPush, st.LastPull, st.Cursor, st.Head}
		return writeJSON(c, out)
	}
	now := c.now()
	when := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format(time.RFC3339) + " (" + render.Humanize(now, *t) + ")"
	}
	server := st.Server
	if server == "" {
		server = "<none> (log in with 'airt token -s URL')"
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "server:            %s\n", server)
	pending := fmt.Sprintf("%d", st.Pending)
	if st.Oldest != nil {
		pending += ", oldest " + render.Humanize(now, *st.Oldest)
	}
	fmt.Fprintf(w, "pending:           %s\n", pending)
	fmt.Fprintf(w, "rejected/conflict: %d\n", len(problems))
	fmt.Fprintf(w, "last push:         %s\n", when(st.LastPush))
	fmt.Fprintf(w, "last pull:         %s\n", when(st.LastPull))
	fmt.Fprintf(w, "server revision:   %d (pulled up to %d)\n", st.Head, st.Cursor)
	if len(problems) > 0 {
		fmt.Fprintln(w)
		printProblems(c, problems)
	}
	return nil
}

// syncResolveCmd is `airt sync resolve` and (keep == "discard") `airt sync
// discard`.
type syncResolveCmd struct {
	c      *cli
	ref    string
	keep   string
	output string
}

func (x *syncResolveCmd) run() error {
	c := x.c
	s, err := c.openStore()
	if err != nil {
		return err
	}
	var old, requeued *localstore.Mutation
	var user string
	err = s.Update(func(tx *localstore.Tx) error {
		m, err := usersync.FindMutation(tx, x.ref)
		if err != nil {
			return err
		}
		old = m
		if p := problemsOf(tx, []localstore.Mutation{*m}); len(p) == 1 {
			user = p[0].Username
		}
		switch x.keep {
		case "discard":
			return usersync.Discard(tx, m)
		case "remote":
			if m.State == "" {
				return notSettled(m)
			}
			return usersync.Discard(tx, m)
		default:
			if m.State == "" {
				return notSettled(m)
			}
			requeued, err = usersync.KeepLocal(tx, m)
			return err
		}
	})
	if err != nil {
		return err
	}
	if x.output == "json" {
		out := struct {
			Action   string `json:"action"`
			Seq      uint64 `json:"seq"`
			ID       string `json:"id"`
			Op       string `json:"op"`
			Target   string `json:"target"`
			Username string `json:"username,omitempty"`
			NewSeq   uint64 `json:"new_seq,omitempty"`
			NewID    string `json:"new_id,omitempty"`
			Base     uint64 `json:"base_version,omitempty"`
		}{Action: x.keep, Seq: old.Seq, ID: old.ID, Op: string(old.Op), Target: old.Target, Username: user}
		if x.keep == "local" || x.keep == "remote" {
			out.Action = "keep-" + x.keep
		}
		if requeued != nil {
			out.NewSeq, out.NewID, out.Base = requeued.Seq, requeued.ID, requeued.BaseVersion
		}
		return writeJSON(c, out)
	}
	switch {
	case requeued != nil:
		fmt.Fprintf(c.env.Stdout, "change %d (%s %s) queued again as %d over server version %d; run 'airt sync' to push it\n",
			old.Seq, old.Op, user, requeued.Seq, requeued.BaseVersion)
	case x.keep == "remote":
		fmt.Fprintf(c.env.Stdout, "change %d (%s %s) dropped; the server's copy is kept\n", old.Seq, old.Op, user)
	default:
		fmt.Fprintf(c.env.Stdout, "change %d (%s %s) discarded\n", old.Seq, old.Op, user)
	}
	return nil
}

func notSettled(m *localstore.Mutation) error {
	return account.Errorf(account.KindInvalid, "change %d is pending, not rejected or in conflict", m.Seq).
		WithHint("run 'airt sync' to push it, or 'airt sync discard " + fmt.Sprint(m.Seq) + "' to drop it")
}

// reopenStore opens the store file, for the caller to close. openStore
// uses it once per command; the sync engine uses it for each short
// transaction, after openStore has set up the keyring, so the store is not
// locked while it waits on the network.
func (c *cli) reopenStore() (*localstore.Store, error) {
	path, err := c.storePath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !c.mayCreateStore {
		return nil, &account.Error{Kind: account.KindFailed, Text: "no store at " + path,
			Hint: "create it with its first super user ('airt user create … -su' or 'airt user import'), log in to a server with 'airt token -s URL', or point --db / AIRT_DB at an existing store"}
	}
	timeout, err := c.lockTimeout()
	if err != nil {
		return nil, err
	}
	return localstore.Open(path, localstore.Options{LockTimeout: timeout, Now: c.env.Now, Key: c.storeKey})
}

// serverLogout revokes the store's server token on the server (best
// effort: one try, a short timeout) and removes it from the keyring. It
// reports whether there was one.
func (c *cli) serverLogout(s *localstore.Store) bool {
	var srvURL string
	_ = s.View(func(tx *localstore.Tx) error {
		srvURL = string(tx.GetMeta(usersync.MetaServer))
		return nil
	})
	if srvURL == "" {
		return false
	}
	tok, err := c.creds.Get(serverTokenKey(srvURL))
	if err != nil {
		return false
	}
	err = nil
	if hc, herr := c.httpClient(5 * time.Second); herr != nil {
		err = herr
	} else {
		client := &usersync.Client{URL: srvURL, Token: tok, Retries: -1, HTTP: hc}
		err = client.Logout(context.Background())
	}
	if err != nil && account.KindOf(err) != account.KindUnauthenticated {
		fmt.Fprintf(c.env.Stderr, "warning: the server token could not be revoked on %s (%s); it was removed from the keyring and expires on its own\n", srvURL, err)
	}
	if err := c.creds.Delete(serverTokenKey(srvURL)); err != nil {
		fmt.Fprintf(c.env.Stderr, "warning: remove the server token from the keyring: %s\n", err)
	}
	return true
}
