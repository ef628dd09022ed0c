package commands

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestProgressFitsTheTerminal: every redraw of the bar fits in width-1
// columns, from a roomy terminal down to a tiny one, with long labels and
// big numbers; the final line has the full count.
func TestProgressFitsTheTerminal(t *testing.T) {
	for _, width := range []int{200, 80, 60, 40, 20, 8} {
		for _, label := range []string{"importing", "push"} {
			var buf bytes.Buffer
			b := &progressBar{w: &buf, width: width, label: label, total: 1_000_000, lastTenth: -1}
			for done := 0; done <= 1_000_000; done += 99_999 {
				b.done = done
				b.draw(true)
			}
			b.done = 1_000_000
			b.Finish()
			out := buf.String()
			if !strings.HasSuffix(out, "\n") {
				t.Errorf("width %d: the final line is not ended", width)
			}
			for _, seg := range strings.Split(strings.TrimSuffix(out, "\n"), "\r")[1:] {
				seg = strings.TrimSuffix(seg, "\x1b[K")
				if n := utf8.RuneCountInString(seg); n > width-1 {
					t.Errorf("width %d: a %d-column line %q", width, n, seg)
				}
			}
			segs := strings.Split(strings.TrimSuffix(out, "\x1b[K\n"), "\r")
			if last := segs[len(segs)-1]; width >= 40 && !strings.HasSuffix(last, " 1000000/1000000 100%") {
				t.Errorf("width %d: final line %q", width, last)
			}
		}
	}
}

// TestProgressPlain: TERM=dumb or NO_COLOR: no cursor movement, a line at
// each tenth and none twice.
func TestProgressPlain(t *testing.T) {
	for _, vars := range []map[string]string{{"TERM": "dumb"}, {"NO_COLOR": "1", "TERM": "xterm"}} {
		env, _, stderr := testEnv()
		env.StderrTerminal = true
		env.Getenv = func(k string) string { return vars[k] }
		c := newCLI(env)
		b := c.newProgress("importing", 2000)
		for i := 0; i < 4; i++ {
			b.Add(500)
		}
		b.Finish()
		want := "importing: 500 of 2000 (25%)\nimporting: 1000 of 2000 (50%)\nimporting: 1500 of 2000 (75%)\nimporting: 2000 of 2000 (100%)\n"
		if stderr.String() != want {
			t.Errorf("%v: stderr %q; want %q", vars, stderr.String(), want)
		}
	}
	env, _, stderr := testEnv()
	c := newCLI(env)
	c.newProgress("importing", 10).Add(10) // stderr not a terminal: nil, silent
	if stderr.Len() != 0 {
		t.Errorf("off a terminal: %q", stderr.String())
	}
}
