package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/render"
	usersync "github.com/airt/airt/sync"
)

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
