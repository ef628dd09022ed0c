package commands

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestImportSpoolHasNoName: the spool of `import -` (plaintext passwords) is
// unlinked as soon as it is created, so no exit path — SIGTERM, Ctrl-C,
// kill -9 — can leave it behind, while both passes still read it.
func TestImportSpoolHasNoName(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("an open file cannot be removed on Windows")
	}
	env, _, stderr := testEnv()
	data := "username,password\nalice,secret password\n"
	env.Stdin = strings.NewReader(data)
	c := newCLI(env)
	dir := t.TempDir()
	u := &userImport{c: c, file: "-"}
	src, err := u.openSource(filepath.Join(dir, "airt.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the store's folder holds %v while the import runs; want nothing", entries)
	}
	for pass := 1; pass <= 2; pass++ {
		if _, err := src.f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(src.f)
		if err != nil || string(got) != data {
			t.Errorf("pass %d read %q, %v; want the spooled input", pass, got, err)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr)
	}
}
