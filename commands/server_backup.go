package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/alecthomas/kingpin/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
	"github.com/airt/airt/credentials"
	"github.com/airt/airt/localstore"
	usersync "github.com/airt/airt/sync"
)

// serverBackupCmd is `airt server backup`: a consistent copy of a running
// bbolt server's store, fetched by a super user logged in to that server
// (airt token -s). Restore: stop the server, put the copy in place of its
// store file, start it again.
type serverBackupCmd struct {
	c           *cli
	url, output string
}

func registerServerBackup(c *cli, server *kingpin.CmdClause) {
	b := &serverBackupCmd{c: c}
	cmd := server.Command("backup", "Fetch a consistent copy of a running server's store (bbolt), as a super user logged in to it.\n\n"+
		"The copy is taken in one read transaction while the server keeps serving. Restore it by stopping the server, "+
		"putting the copy in place of its store file and starting it again; client stores then report that the server's history went back. "+
		"For a PostgreSQL server use pg_dump instead (see the README).\n\n"+
		"Example: airt server backup --url https://airt.example.com:8443 > server-backup.db")
	cmd.Flag("url", "The server (default: the one this store syncs with).").PlaceHolder("URL").StringVar(&b.url)
	cmd.Flag("output", "Write the copy to FILE (checked, then renamed into place) instead of stdout.").Short('o').PlaceHolder("FILE").StringVar(&b.output)
	c.action(cmd, b.run)
}

func (b *serverBackupCmd) run() error {
	c := b.c
	store, err := c.openStore()
	if err != nil {
		return err
	}
	url := b.url
	if url == "" {
		_ = store.View(func(tx *localstore.Tx) error {
			url = string(tx.GetMeta(usersync.MetaServer))
			return nil
		})
	}
	if url == "" {
		return account.Errorf(account.KindUnauthenticated, "no server to back up").
			WithHint("pass --url URL, logged in to it with 'airt token -s URL -u USERNAME' (a super user)")
	}
	tok, err := c.creds.Get(serverTokenKey(url))
	if errors.Is(err, credentials.ErrNotFound) {
		return account.Errorf(account.KindUnauthenticated, "not logged in to %s", url).
			WithHint("run 'airt token -s " + url + " -u USERNAME' as a super user first")
	}
	if err != nil {
		return err
	}
	client := &usersync.Client{URL: url, Token: tok}
	if b.output == "" || b.output == "-" {
		if c.env.StdoutTerminal {
			return account.Errorf(account.KindInvalid, "the backup is a binary file: not written to a terminal").
				WithHint("redirect it (airt server backup > FILE) or pass -o FILE")
		}
		_, _, err := client.Backup(context.Background(), c.env.Stdout)
		return err
	}
	return backupToFile(client, b.output, c.env.Stderr)
}

// backupToFile writes the copy beside path, checks that it opens as a store
// file, then renames it into place: path is never a partial copy.
func backupToFile(client *usersync.Client, path string, log io.Writer) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".airt-backup-*")
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	defer os.Remove(tmp.Name())
	epoch, n, err := client.Backup(context.Background(), tmp)
	if err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("backup file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	db, err := bolt.Open(tmp.Name(), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("the backup does not open as a store file: %w", err)
	}
	db.Close()
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	fmt.Fprintf(log, "backup of %s (epoch %s): %d bytes in %s\n", client.URL, short8(epoch), n, path)
	return nil
}

func short8(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
