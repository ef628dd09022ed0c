package commands

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kingpin/v2"
)

// Version and BuildDate are set at build time by `make build` / `make
// install` (-ldflags -X); a plain `go build` or `go install` leaves them
// empty and the module version and the commit come from the build info
// the Go toolchain embeds.
var (
	Version   = ""
	Commit    = ""
	BuildDate = ""
)

// registerVersion adds --version and `airt version`.
func registerVersion(c *cli) {
	c.app.Flag("version", "Show the version, commit and build date.").PreAction(func(*kingpin.ParseContext) error {
		writeVersion(c.env.Stdout)
		panic(exitCode(ExitOK))
	}).Bool()
	cmd := c.app.Command("version", "Show the version, commit and build date.")
	c.action(cmd, func() error {
		writeVersion(c.env.Stdout)
		return nil
	})
}

// writeVersion prints what identifies this binary:
//
//	airt v1.2.3
//	commit:  0123abcd… (modified)
//	built:   2026-12-02T03:04:05Z
//	go:      go1.26.8 linux/amd64
func writeVersion(w io.Writer) {
	version, commit, commitTime, modified := Version, Commit, "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if version == "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				commitTime = ", committed " + s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if version == "" || version == "(devel)" {
		version = "(devel)"
	}
	fmt.Fprintf(w, "airt %s\n", version)
	switch {
	case commit == "":
		fmt.Fprintln(w, "commit:  unknown (built outside a git checkout)")
	case modified:
		fmt.Fprintf(w, "commit:  %s (with uncommitted changes)%s\n", commit, commitTime)
	default:
		fmt.Fprintf(w, "commit:  %s%s\n", commit, commitTime)
	}
	if BuildDate != "" {
		fmt.Fprintf(w, "built:   %s\n", BuildDate)
	} else {
		fmt.Fprintln(w, "built:   unknown (set by 'make build')")
	}
	fmt.Fprintf(w, "go:      %s %s/%s\n", strings.TrimSpace(runtime.Version()), runtime.GOOS, runtime.GOARCH)
}
