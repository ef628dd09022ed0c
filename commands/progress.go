package commands

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar shows how far a long command is, on stderr, only when stderr
// is a terminal. On a capable terminal it redraws one line, sized to the
// terminal's width (a line one column too wide wraps, and every redraw then
// leaves a cut-off copy behind). On a dumb terminal (TERM=dumb) or with
// NO_COLOR set it moves no cursor: it prints a plain line at each tenth of
// the way and at the end.
type progressBar struct {
	w     io.Writer
	width int
	plain bool
	label string

	done, total int
	start       time.Time
	lastDraw    time.Time
	lastTenth   int
	drawn       bool
}

// redrawEvery bounds how often the bar is redrawn (a fast import would
// otherwise spend its time writing to the terminal).
const redrawEvery = 100 * time.Millisecond

// newProgress returns a bar for label and total, or nil when stderr is not
// a terminal (every method of a nil bar does nothing).
func (c *cli) newProgress(label string, total int) *progressBar {
	if !c.env.StderrTerminal {
		return nil
	}
	width := 80
	if c.env.Width != nil {
		if w := c.env.Width(); w > 0 {
			width = w
		}
	}
	plain := c.env.Getenv("TERM") == "dumb" || c.env.Getenv("NO_COLOR") != ""
	return &progressBar{w: c.env.Stderr, width: width, plain: plain, label: label, total: total,
		start: time.Now(), lastTenth: -1}
}

// Set records done of total and redraws (at most every redrawEvery, and at
// each tenth in plain mode).
func (b *progressBar) Set(done, total int) {
	if b == nil {
		return
	}
	b.done, b.total = done, total
	if b.plain {
		if t := b.tenth(); t > b.lastTenth {
			b.lastTenth = t
			fmt.Fprintln(b.w, b.plainLine())
		}
		return
	}
	if now := time.Now(); now.Sub(b.lastDraw) >= redrawEvery {
		b.lastDraw = now
		b.draw(true)
	}
}

// Add records n more done.
func (b *progressBar) Add(n int) {
	if b != nil {
		b.Set(b.done+n, b.total)
	}
}

// Finish draws the final state and ends the line.
func (b *progressBar) Finish() {
	if b == nil {
		return
	}
	if b.plain {
		if b.tenth() > b.lastTenth {
			fmt.Fprintln(b.w, b.plainLine())
		}
		return
	}
	b.draw(false)
	fmt.Fprintln(b.w)
}

func (b *progressBar) tenth() int {
	if b.total <= 0 {
		return 10
	}
	return min(10, b.done*10/b.total)
}

func (b *progressBar) percent() int {
	if b.total <= 0 {
		return 100
	}
	return min(100, b.done*100/b.total)
}

func (b *progressBar) plainLine() string {
	return fmt.Sprintf("%s: %d of %d (%d%%)", b.label, b.done, b.total, b.percent())
}

// line is the bar's text, at most width-1 columns (the last column of a
// terminal line makes some terminals wrap): "LABEL [####....] D/T P% ETA".
func (b *progressBar) line(withETA bool) string {
	stats := fmt.Sprintf(" %d/%d %3d%%", b.done, b.total, b.percent())
	if withETA && b.done > 0 && b.done < b.total {
		elapsed := time.Since(b.start)
		left := time.Duration(float64(elapsed) / float64(b.done) * float64(b.total-b.done))
		stats += " ETA " + left.Round(time.Second).String()
	}
	room := b.width - 1
	label := b.label
	barWidth := room - len([]rune(label)) - len(stats) - 3 // " [" and "]"
	if barWidth < 5 {
		// No room for a bar: the numbers alone, cut to fit.
		s := label + stats
		if r := []rune(s); len(r) > room && room > 0 {
			s = string(r[:room])
		}
		return s
	}
	barWidth = min(barWidth, 40)
	filled := barWidth * b.percent() / 100
	return label + " [" + strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled) + "]" + stats
}

func (b *progressBar) draw(withETA bool) {
	// \r back to the line's start, the line, then erase what a longer
	// earlier line left.
	fmt.Fprint(b.w, "\r"+b.line(withETA)+"\x1b[K")
	b.drawn = true
}
