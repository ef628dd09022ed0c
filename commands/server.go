package commands

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/server"
)

// serverCmd is `airt server`: the sync server over a store in the local
// store's format. It keeps the store open (and so locked) while it runs:
// bootstrap the server's store offline before starting it
// (`airt --db FILE user create … -su`, README "Sync and server"); changes made
// offline on that file between two runs are recorded as server changes
// when it starts again.
type serverCmd struct {
	c                *cli
	listen, addrFile string
	tlsCert, tlsKey  string
	shutdownTimeout  time.Duration
}

func registerServer(c *cli) {
	s := &serverCmd{c: c}
	cmd := c.app.Command("server", "Run the airt sync server on the store given by --db.\n\n"+
		"The store is the same format as a local one; bootstrap it offline first with 'airt --db FILE user create … -su'. "+
		"The server logs one line per request to stderr and stops cleanly on SIGINT or SIGTERM. "+
		"While it runs it keeps the store open, so offline commands on the same file wait and then fail (AIRT_LOCK_TIMEOUT); "+
		"changes made offline while it was stopped are served when it starts again. "+
		"Plain HTTP is for 127.0.0.1 only: clients refuse http:// to another host, since passwords and secrets cross the wire.\n\n"+
		"Example: airt --db /srv/airt/server.db server --listen 127.0.0.1:8080")
	cmd.Flag("listen", "Address to listen on (host:port; port 0 picks a free one).").Default("127.0.0.1:8080").StringVar(&s.listen)
	cmd.Flag("addr-file", "Write the URL the server listens on to this file once it accepts connections.").PlaceHolder("FILE").StringVar(&s.addrFile)
	cmd.Flag("tls-cert", "Serve HTTPS with this certificate (PEM); needs --tls-key.").PlaceHolder("FILE").StringVar(&s.tlsCert)
	cmd.Flag("tls-key", "Private key (PEM) of --tls-cert.").PlaceHolder("FILE").StringVar(&s.tlsKey)
	cmd.Flag("shutdown-timeout", "How long a shutdown waits for requests in flight.").Default("10s").DurationVar(&s.shutdownTimeout)
	c.action(cmd, s.run)
}

func (s *serverCmd) run() error {
	c := s.c
	if (s.tlsCert == "") != (s.tlsKey == "") {
		return account.Errorf(account.KindInvalid, "--tls-cert and --tls-key go together").
			WithHint("pass both to serve HTTPS, or neither for plain HTTP on a trusted network")
	}
	c.mayCreateStore = true // a missing store is reported below as an empty one, with the bootstrap hint
	store, err := c.openStore()
	if err != nil {
		return err
	}
	var empty bool
	if err := store.View(func(tx *localstore.Tx) error { empty = !tx.HasUsers(); return nil }); err != nil {
		return err
	}
	if empty {
		return account.Errorf(account.KindInvalid, "the server's store %s has no users: nobody could log in", store.Path()).
			WithHint("bootstrap it first: airt --db " + store.Path() + " user create -un USERNAME … -su")
	}
	srv, err := server.NewServer(store, server.Options{Log: c.env.Stderr, Now: c.env.Now})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.listen, err)
	}
	scheme := "http"
	if s.tlsCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() {
		if s.tlsCert != "" {
			done <- hs.ServeTLS(ln, s.tlsCert, s.tlsKey)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	fmt.Fprintf(c.env.Stdout, "listening on %s (store %s)\n", url, store.Path())
	if s.addrFile != "" {
		if err := writeFileAtomic(s.addrFile, url+"\n"); err != nil {
			hs.Close()
			return err
		}
	}
	select {
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	fmt.Fprintln(c.env.Stderr, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it, so a reader polling path never sees half of it.
func writeFileAtomic(path, data string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".addr-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
