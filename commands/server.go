package commands

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	gosync "sync"
	"syscall"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/server"
	"github.com/airt/airt/server/obs"
)

// serverCmd is `airt server`: the sync server over a store in the local
// store's format. It keeps the store open (and so locked) while it runs:
// bootstrap the server's store offline before starting it
// (`airt --db FILE user create … -su`, README "Sync and server"); changes made
// offline on that file between two runs are recorded as server changes
// when it starts again.
// serverMemoryLimit is the server's soft memory limit (GOMEMLIMIT overrides
// it): the bounded hashing gate keeps the live heap far below it.
const serverMemoryLimit = 160 << 20

type serverCmd struct {
	c                *cli
	listen, addrFile string
	tlsCert, tlsKey  string
	shutdownTimeout  time.Duration
	logFormat        string
	trustedProxies   []string
	readTimeout      time.Duration
	writeTimeout     time.Duration
	idleTimeout      time.Duration
	keyFile          string
}

func registerServer(c *cli) {
	s := &serverCmd{c: c}
	cmd := c.app.Command("server", "Run the airt sync server on the store given by --db.\n\n"+
		"The store is the same format as a local one; bootstrap it offline first with 'airt --db FILE user create … -su'. "+
		"The server logs one line per request to stderr (--log-format), serves /healthz, /readyz and /metrics (Prometheus) beside the protocol, "+
		"reloads its TLS certificate on SIGHUP and stops cleanly on SIGINT or SIGTERM. "+
		"While it runs it keeps the store open, so offline commands on the same file wait and then fail (AIRT_LOCK_TIMEOUT); "+
		"changes made offline while it was stopped are served when it starts again. "+
		"With --db postgres://USER@HOST/DB (or AIRT_SERVER_DB) the server keeps its state in PostgreSQL, and several server processes may share one database; "+
		"'airt server migrate' moves a bootstrapped store there. "+
		"Plain HTTP is for 127.0.0.1 only: clients refuse http:// to another host, since passwords and secrets cross the wire.\n\n"+
		"Example: airt --db /srv/airt/server.db server --listen 127.0.0.1:8080")
	cmd.Flag("listen", "Address to listen on (host:port; port 0 picks a free one).").Default("127.0.0.1:8080").StringVar(&s.listen)
	cmd.Flag("addr-file", "Write the URL the server listens on to this file once it accepts connections.").PlaceHolder("FILE").StringVar(&s.addrFile)
	cmd.Flag("tls-cert", "Serve HTTPS with this certificate (PEM); needs --tls-key. SIGHUP reloads both files.").PlaceHolder("FILE").StringVar(&s.tlsCert)
	cmd.Flag("tls-key", "Private key (PEM) of --tls-cert.").PlaceHolder("FILE").StringVar(&s.tlsKey)
	cmd.Flag("key-file", "With a PostgreSQL store: the file holding the key that seals the users' TOTP secrets (written by 'airt server migrate').").
		Envar("AIRT_SERVER_KEY_FILE").PlaceHolder("FILE").StringVar(&s.keyFile)
	cmd.Flag("shutdown-timeout", "How long a shutdown waits for requests in flight before it closes their connections.").Default("10s").DurationVar(&s.shutdownTimeout)
	cmd.Flag("log-format", "Request log format on stderr: text or json.").Default("text").EnumVar(&s.logFormat, "text", "json")
	cmd.Flag("trusted-proxy", "Believe X-Forwarded-For from this proxy network (CIDR or address; repeatable), for the log and the login limits.").PlaceHolder("CIDR").StringsVar(&s.trustedProxies)
	cmd.Flag("read-timeout", "Longest time to read a whole request, body included (slow clients are cut off).").Default("30s").DurationVar(&s.readTimeout)
	cmd.Flag("write-timeout", "Longest time to write an answer.").Default("60s").DurationVar(&s.writeTimeout)
	cmd.Flag("idle-timeout", "How long an idle keep-alive connection stays open.").Default("120s").DurationVar(&s.idleTimeout)
	// `airt server` alone runs the server: "run" is the default subcommand,
	// so the server's flags stay on `airt server` beside `airt server
	// migrate` and `airt server backup`.
	c.action(cmd.Command("run", "Run the server (the default).").Default().Hidden(), s.run)
	registerServerMigrate(c, cmd, &s.keyFile)
	registerServerBackup(c, cmd)
}

func (s *serverCmd) run() error {
	c := s.c
	if (s.tlsCert == "") != (s.tlsKey == "") {
		return account.Errorf(account.KindInvalid, "--tls-cert and --tls-key go together").
			WithHint("pass both to serve HTTPS, or neither for plain HTTP on a trusted network")
	}
	logger, err := obs.NewLogger(c.env.Stderr, s.logFormat)
	if err != nil {
		return account.Errorf(account.KindInvalid, "--log-format: %s", err)
	}
	proxies, err := obs.ParseProxies(s.trustedProxies)
	if err != nil {
		return account.Errorf(account.KindInvalid, "--trusted-proxy: %s", err).WithHint("give a network such as 10.0.0.0/8 or an address")
	}
	// The certificate is loaded before anything is served or announced: a
	// bad one stops the server here, and no address file names a server
	// that cannot answer.
	var certs *certReloader
	if s.tlsCert != "" {
		if certs, err = loadCertificate(s.tlsCert, s.tlsKey); err != nil {
			return err
		}
	}
	if c.env.Getenv("GOMEMLIMIT") == "" {
		// Each password check allocates a fresh 19 MiB argon2id buffer; a
		// soft limit makes the collector return them promptly instead of
		// letting the heap double between collections.
		debug.SetMemoryLimit(serverMemoryLimit)
	}
	st, where, closeStore, err := s.openServerStore()
	if err != nil {
		return err
	}
	defer closeStore()
	srv := server.NewServer(st, server.Options{Logger: logger, Now: c.env.Now, Proxies: proxies,
		SMSCommand: c.env.Getenv("AIRT_SMS_COMMAND")})
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.listen, err)
	}
	scheme := "http"
	if certs != nil {
		scheme = "https"
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get})
	}
	url := scheme + "://" + ln.Addr().String()
	hs := &http.Server{
		Handler: srv,
		// A request must arrive whole within ReadTimeout: a body sent a
		// byte a second holds a connection for that long at most.
		ReadHeaderTimeout: min(10*time.Second, s.readTimeout),
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       s.idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          obs.ErrorLog(logger),
	}
	stopSignals := make(chan os.Signal, 1)
	signal.Notify(stopSignals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stopSignals)
	reload := make(chan os.Signal, 1)
	signal.Notify(reload, syscall.SIGHUP)
	defer signal.Stop(reload)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	fmt.Fprintf(c.env.Stdout, "listening on %s (store %s)\n", url, where)
	if s.addrFile != "" {
		if err := writeFileAtomic(s.addrFile, url+"\n"); err != nil {
			hs.Close()
			return err
		}
	}
	for {
		select {
		case err := <-done:
			if !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			return nil
		case <-reload:
			if certs == nil {
				logger.Info("SIGHUP: no TLS certificate to reload")
				continue
			}
			if err := certs.reload(); err != nil {
				// The certificate in use stays: a bad file on disk must
				// not take the server down.
				logger.Error("SIGHUP: TLS certificate not reloaded; the previous one stays in use", "error", err.Error())
				continue
			}
			logger.Info("SIGHUP: TLS certificate reloaded", "cert", s.tlsCert, "not_after", certs.notAfter().Format(time.RFC3339))
		case <-stopSignals:
			return s.shutdown(hs, logger)
		}
	}
}

// shutdown stops accepting, waits for requests in flight at most
// --shutdown-timeout, then closes what is left: a stop within a bound.
func (s *serverCmd) shutdown(hs *http.Server, logger *slog.Logger) error {
	fmt.Fprintln(s.c.env.Stderr, "shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		hs.Close()
		logger.Warn("shutdown: requests still in flight were cut off", "timeout", s.shutdownTimeout.String())
		return fmt.Errorf("shutdown: requests still in flight after %s were cut off", s.shutdownTimeout)
	}
	return nil
}

// certReloader serves the TLS certificate loaded last; SIGHUP loads the
// files again (a renewed certificate needs no restart).
type certReloader struct {
	certFile, keyFile string
	mu                gosync.RWMutex
	cert              *tls.Certificate
}

func loadCertificate(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := r.reload(); err != nil {
		return nil, account.Errorf(account.KindInvalid, "TLS certificate: %s", err).
			WithHint("check --tls-cert and --tls-key: both PEM files, the key matching the certificate")
	}
	return r, nil
}

func (r *certReloader) reload() error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.cert = &cert
	r.mu.Unlock()
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cert, nil
}

func (r *certReloader) notAfter() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.cert.Leaf != nil {
		return r.cert.Leaf.NotAfter
	}
	return time.Time{}
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
