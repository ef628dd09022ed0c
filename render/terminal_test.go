package render

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jedib0t/go-pretty/v6/table"

	"github.com/airt/airt/account"
)

// wideUsers hold wide (山田), ambiguous (é, °, α) and combining characters.
func wideUsers() []account.User {
	return []account.User{
		{UUID: "u1", Username: "\u5c71\u7530", Email: "a@x", FirstName: "\u00e9\u00b0\u03b1", LastName: "e\u0301"},
		{UUID: "u2", Username: "bob", Email: "b@x", FirstName: "ann", LastName: "lee"},
	}
}

func renderColumns(t *testing.T, format string, st Stream) string {
	t.Helper()
	f, err := ParseFormat(format)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Users(&b, wideUsers(), Options{Format: f, Stream: st}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTerminalWidths: off a terminal a column counts code points, as the
// original's tabulate did; on a terminal, display columns, with East Asian
// ambiguous characters one column.
func TestTerminalWidths(t *testing.T) {
	const format = "{'username': '{}', 'first_name': '{}', 'last_name': '{}'}"
	off := "username    first_name    last_name\n" +
		"\u5c71\u7530          \u00e9\u00b0\u03b1           e\u0301\n" +
		"bob         ann           lee\n"
	if got := renderColumns(t, format, Stream{}); got != off {
		t.Errorf("off a terminal:\n got %q\nwant %q", got, off)
	}
	on := "username    first_name    last_name\n" +
		"\u5c71\u7530        \u00e9\u00b0\u03b1           e\u0301\n" +
		"bob         ann           lee\n"
	if got := renderColumns(t, format, Stream{Terminal: true}); got != on {
		t.Errorf("on a terminal:\n got %q\nwant %q", got, on)
	}
}

// TestEscapesInTemplates: off a terminal click's ANSI sequences go and
// tabulate's invisible ones take no width; on a terminal colours stay,
// other control characters are shown escaped, NO_COLOR drops colours.
func TestEscapesInTemplates(t *testing.T) {
	const format = "{'username': '\\x1b[31m{}\\x1b[0m', 'uuid': '\\x07{}\\x1b[2J'}"
	tests := []struct {
		st   Stream
		want string
	}{
		{Stream{}, "username    uuid\n" + "\u5c71\u7530          \x07u1\n" + "bob         \x07u2\n"},
		{Stream{Terminal: true}, "username    uuid\n" +
			"\x1b[31m\u5c71\u7530\x1b[0m        \\x07u1\\x1b[2J\n" +
			"\x1b[31mbob\x1b[0m         \\x07u2\\x1b[2J\n"},
		{Stream{Terminal: true, NoColor: true}, "username    uuid\n" +
			"\u5c71\u7530        \\x07u1\n" + "bob         \\x07u2\n"},
	}
	for _, tt := range tests {
		if got := renderColumns(t, format, tt.st); got != tt.want {
			t.Errorf("%+v:\n got %q\nwant %q", tt.st, got, tt.want)
		}
	}
}

// localeChildEnv makes the test binary print its tables instead of
// testing (see TestLocaleIndependent).
const localeChildEnv = "AIRT_RENDER_LOCALE_CHILD"

// TestLocaleIndependent renders the same tables in processes started
// under LANG=C, C.UTF-8 and ja_JP.UTF-8 (go-runewidth reads the locale
// when the process starts) and requires identical output.
func TestLocaleIndependent(t *testing.T) {
	if os.Getenv(localeChildEnv) == "1" {
		var b strings.Builder
		b.WriteString(renderColumns(t, "{'username': '{}', 'first_name': '{}'}", Stream{}))
		b.WriteString(renderColumns(t, "{'username': '{}', 'first_name': '{}'}", Stream{Terminal: true}))
		tw := table.NewWriter()
		tw.SetStyle(PlainStyle())
		tw.AppendRow(table.Row{"\u00e9\u00b0\u03b1\u00df", "x"})
		tw.AppendRow(table.Row{"ab", "y"})
		b.WriteString(tw.Render() + "\n")
		os.Stdout.WriteString("<<" + b.String() + ">>")
		return
	}
	var first string
	for _, lang := range []string{"C", "C.UTF-8", "ja_JP.UTF-8"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLocaleIndependent$")
		cmd.Env = append(os.Environ(), localeChildEnv+"=1", "LANG="+lang, "LC_ALL="+lang, "LC_CTYPE="+lang, "RUNEWIDTH_EASTASIAN=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("LANG=%s: %v\n%s", lang, err, out)
		}
		s := string(out)
		i, j := strings.Index(s, "<<"), strings.LastIndex(s, ">>")
		if i < 0 || j < i {
			t.Fatalf("LANG=%s: no output: %q", lang, s)
		}
		s = s[i+2 : j]
		if first == "" {
			first = s
			if !strings.Contains(s, "\u00e9\u00b0\u03b1\u00df  x") {
				t.Errorf("ambiguous characters are not one column each:\n%s", s)
			}
			continue
		}
		if s != first {
			t.Errorf("LANG=%s changes the output:\n%s\nunder LANG=C:\n%s", lang, s, first)
		}
	}
}
