package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServerTLS: `airt server --tls-cert --tls-key` serves HTTPS, and
// `airt token -s https://…` and `airt sync` work over it when the client
// trusts the certificate (SSL_CERT_FILE); plain http to another host is
// refused by the client.
func TestServerTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns real processes")
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	env := append(faultEnv(dir), "SSL_CERT_FILE="+certFile)
	run := func(args ...string) (string, error) {
		cmd := exec.Command("airt", args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	srvDB, cliDB := filepath.Join(dir, "srv.db"), filepath.Join(dir, "a.db")
	if out, err := run("--db", srvDB, "user", "create", "-un", "admin", "-fn", "Ada", "-ln", "Admin", "-e", "admin@example.com",
		"-p", "admin password", "-st", "large", "-su", "-q"); err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, out)
	}
	addrFile := filepath.Join(dir, "addr")
	srv := exec.Command("airt", "--db", srvDB, "server", "--listen", "127.0.0.1:0", "--addr-file", addrFile,
		"--tls-cert", certFile, "--tls-key", keyFile)
	srv.Env = env
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	var url string
	for deadline := time.Now().Add(60 * time.Second); url == ""; {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			url = strings.TrimSpace(string(b))
		} else if time.Now().After(deadline) {
			t.Fatal("server did not start")
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("server URL %q, want https", url)
	}
	if out, err := run("--db", cliDB, "token", "-s", url, "-u", "admin", "-p", "admin password", "-q"); err != nil {
		t.Fatalf("token -s over TLS: %v\n%s", err, out)
	}
	if out, err := run("--db", cliDB, "sync"); err != nil || !strings.HasPrefix(out, "pushed 0 ") {
		t.Fatalf("sync over TLS: %v\n%s", err, out)
	}
	out, err := run("--db", filepath.Join(dir, "b.db"), "token", "-s", "http://192.0.2.1:8080", "-u", "admin", "-p", "admin password")
	if err == nil || !strings.Contains(out, "plain http is only for this machine") {
		t.Errorf("plain http to another host: %v\n%s", err, out)
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "airt test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}
