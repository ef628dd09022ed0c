package commands

import (
	"fmt"
	"text/tabwriter"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// storeCheck is `airt store check`.
type storeCheck struct{ c *cli }

func registerStore(c *cli) {
	store := c.app.Command("store", "Commands for the local store file itself.")
	sc := &storeCheck{c: c}
	cmd := store.Command("check", "Verify the whole store without changing it: bbolt's page structure, every record's checksum, and that the indexes agree with the users. Prints what each bucket holds and every damage found.\n\nIt needs no login. Exit 0 when no damage is found, 1 otherwise.\n\nExample: airt store check")
	c.action(cmd, sc.run)
}

func (sc *storeCheck) run() error {
	c := sc.c
	path, err := c.storePath()
	if err != nil {
		return err
	}
	timeout, err := c.lockTimeout()
	if err != nil {
		return err
	}
	s, err := localstore.Open(path, localstore.Options{LockTimeout: timeout, ReadOnly: true})
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.Check()
	if err != nil {
		return err
	}
	out := c.env.Stdout
	fmt.Fprintf(out, "store: %s\n", path)
	fmt.Fprintf(out, "file: %d bytes (%d in pages), schema %s\n", r.FileSize, r.UsedSize, r.SchemaVer)
	fmt.Fprintf(out, "users: %d, queued changes: %d\n", r.Users, r.Outbox)
	if len(r.Buckets) > 0 {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "bucket\tkeys\tbytes\t")
		for _, b := range r.Buckets {
			fmt.Fprintf(tw, "%s\t%d\t%d\t\n", b.Name, b.Keys, b.Bytes)
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(out, "no damage found")
		return nil
	}
	for _, p := range r.Problems {
		fmt.Fprintf(out, "damage: %s\n", p)
	}
	n := len(r.Problems) + r.More
	if r.More > 0 {
		fmt.Fprintf(out, "… and %d more\n", r.More)
	}
	return &account.Error{Kind: account.KindFailed,
		Text: fmt.Sprintf("the store %s is damaged: %d problem(s) found", path, n),
		Hint: "restore the store from a backup (a client store can also be moved aside and pulled again with 'airt token -s')"}
}
