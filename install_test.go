package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeInstall: `make install PREFIX=/usr DESTDIR=…` puts the binary, the
// man page (with its DESCRIPTION, ENVIRONMENT and EXIT STATUS sections) and
// the three completion files where each belongs.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dest, tmp := t.TempDir(), t.TempDir()
	cmd := exec.Command("make", "install", "PREFIX=/usr", "DESTDIR="+dest, "BIN="+filepath.Join(tmp, "airt"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	files := map[string]string{
		"usr/bin/airt":                                  "",
		"usr/share/man/man1/airt.1":                     ".SH \"EXIT STATUS\"",
		"usr/share/bash-completion/completions/airt":    "complete -F _airt airt",
		"usr/share/zsh/site-functions/_airt":            "#compdef airt",
		"usr/share/fish/vendor_completions.d/airt.fish": "complete -c airt",
	}
	for rel, want := range files {
		data, err := os.ReadFile(filepath.Join(dest, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s lacks %q", rel, want)
		}
	}
	man, _ := os.ReadFile(filepath.Join(dest, "usr/share/man/man1/airt.1"))
	for _, section := range []string{".SH \"NAME\"\nairt \\- ", ".SH \"DESCRIPTION\"", ".SH \"ENVIRONMENT\"", "AIRT_SERVICE_PASSWORD", "AIRT_CA_CERT", "SSL_CERT_FILE", ".SH \"EXIT STATUS\"", ".SH \"COMMANDS\""} {
		if !strings.Contains(string(man), section) {
			t.Errorf("man page lacks %q", section)
		}
	}
	out, err := exec.Command(filepath.Join(dest, "usr/bin/airt"), "--version").Output()
	if err != nil || !strings.Contains(string(out), "built:   20") {
		t.Errorf("installed airt --version: %v\n%s", err, out)
	}
}
