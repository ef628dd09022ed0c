package render

import (
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/mattn/go-runewidth"
)

// This file draws the original client's table, which was
// tabulate(rows, headers=..., tablefmt="plain", missingval=...) from
// tabulate 0.8.9, installed without wcwidth, printed through click.echo.
//
// Off a terminal (a pipe, a file: what scripts read) the output is
// byte-identical to the original's: a column's width counts code points, as
// Python's len() does, so "山田" pads as two columns; escape sequences that
// tabulate knew as invisible (colours, hyperlinks) take no width; and the
// whole text then loses the ANSI sequences click stripped when stdout was
// not a terminal. On a terminal, people read the table: widths are display
// widths (a wide character takes two columns, a combining mark none), with
// East Asian ambiguous characters always one column, whatever the locale.

// tabulateInvisible is tabulate 0.8.9's _invisible_codes (Python's \d
// matches any Unicode decimal digit) and tabulateLink its
// _invisible_codes_link.
var (
	tabulateInvisible = regexp.MustCompile(`\x1b\[\p{Nd}+[;\p{Nd}]*m|\x1b\[\p{Nd}*;\p{Nd}*;\p{Nd}*m|\x1b\]8;;(?:.*?)\x1b\\`)
	tabulateLink      = regexp.MustCompile(`\x1b\]8;[a-zA-Z0-9:]*;[^\x1b]+\x1b\\([^\x1b]+)\x1b\]8;;\x1b\\`)
	// clickANSI is click 8's _ansi_re: what click.echo removed when the
	// stream was not a terminal.
	clickANSI = regexp.MustCompile(`\x1b\[[;?0-9]*[a-zA-Z]`)
	// sgr is a colour or style sequence, the only escape sequence airt
	// lets through to a terminal.
	sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)
)

// displayWidth measures terminal columns with East Asian ambiguous
// characters as one column: go-runewidth would otherwise read LANG and
// LC_* and make the table depend on the locale.
var displayWidth = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

func init() {
	// The same for go-pretty's tables (import results).
	text.OverrideRuneWidthEastAsianWidth(false)
}

// stripInvisible is tabulate's _strip_invisible.
func stripInvisible(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	s = tabulateLink.ReplaceAllString(s, "$1")
	return tabulateInvisible.ReplaceAllString(s, "")
}

// StripANSI removes the ANSI escape sequences click.echo removed from what
// it wrote to a stream that was not a terminal.
func StripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return clickANSI.ReplaceAllString(s, "")
}

// ForTerminal makes s safe for a terminal: colour and style sequences stay
// (unless noColor), every other control character except a newline is
// shown as an escape such as \x1b instead of being sent to the terminal.
func ForTerminal(s string, noColor bool) string {
	if noColor {
		s = StripANSI(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			if loc := sgr.FindStringIndex(s[i:]); loc != nil && loc[0] == 0 {
				b.WriteString(s[i : i+loc[1]])
				i += loc[1]
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x` + hex2(s[i]))
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + hex2(byte(r)))
		case r >= 0x80 && r < 0xa0:
			b.WriteString(`\u00` + hex2(byte(r)))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// Stream says where a table goes, which decides how it is measured.
type Stream struct {
	// Terminal is true when the output is a terminal.
	Terminal bool
	// NoColor (NO_COLOR set) removes colour sequences on a terminal too.
	NoColor bool
}

// Text prepares a finished text for the stream: off a terminal, click's
// ANSI stripping; on a terminal, ForTerminal.
func (st Stream) Text(s string) string {
	if st.Terminal {
		return ForTerminal(s, st.NoColor)
	}
	return StripANSI(s)
}

// writePlainTable writes the table of rows (cells in headers' order) to w,
// with missing for None cells, and a final newline.
func writePlainTable(w io.Writer, headers []string, rows [][]cellValue, missing string, st Stream) error {
	_, err := io.WriteString(w, st.Text(tabulatePlain(headers, rows, missing, st)+"\n"))
	return err
}

// tabulatePlain is tabulate(rows, headers, tablefmt="plain",
// missingval=missing) without the final newline. On a terminal, cells are
// made terminal-safe first and measured by display width.
func tabulatePlain(headers []string, rows [][]cellValue, missing string, st Stream) string {
	terminal := st.Terminal
	if terminal {
		safe := make([][]cellValue, len(rows))
		for r, row := range rows {
			safe[r] = make([]cellValue, len(row))
			for c, v := range row {
				if v.kind == valStr {
					v.s = ForTerminal(v.s, st.NoColor)
				}
				safe[r][c] = v
			}
		}
		rows = safe
	}
	invisible := false
	for _, h := range headers {
		invisible = invisible || hasInvisible(h)
	}
	for _, row := range rows {
		for _, v := range row {
			invisible = invisible || (v.kind == valStr && hasInvisible(v.s))
		}
	}
	width := func(s string) int { return utf8.RuneCountInString(s) }
	switch {
	case terminal:
		width = func(s string) int {
			if strings.Contains(s, "\x1b") {
				s = sgr.ReplaceAllString(s, "")
			}
			return displayWidth.StringWidth(s)
		}
	case invisible:
		width = func(s string) int { return utf8.RuneCountInString(stripInvisible(s)) }
	}

	// A line break anywhere switches tabulate to its multi-line layout.
	multiline := false
	for _, h := range headers {
		multiline = multiline || strings.ContainsAny(h, "\r\n")
	}
	for _, row := range rows {
		for _, v := range row {
			multiline = multiline || (v.kind == valStr && strings.ContainsAny(v.s, "\r\n"))
		}
	}
	// cellWidth is tabulate's width_fn: the widest line of a cell.
	cellWidth := width
	if multiline {
		cellWidth = func(s string) int {
			most := 0
			for _, piece := range splitCRLF(s) {
				most = max(most, width(piece))
			}
			return most
		}
	}
	// exact: tabulate pads with the column width itself, not a width
	// corrected for invisible or wide characters.
	exact := !terminal && !invisible

	cols := make([][]string, len(headers))
	numeric := make([]bool, len(headers))
	colWidths := make([]int, len(headers))
	for c, h := range headers {
		colWidths[c] = width(h) + 2 // tabulate's MIN_PADDING
	}
	if len(rows) > 0 {
		for c := range headers {
			col := make([]cellValue, len(rows))
			for r := range rows {
				col[r] = rows[r][c]
			}
			cols[c], numeric[c] = tabulateColumn(col, missing, invisible)
			most := colWidths[c]
			for _, s := range cols[c] {
				most = max(most, cellWidth(s))
			}
			for r, s := range cols[c] {
				if multiline {
					cols[c][r] = padLines(s, most, numeric[c], exact, width)
				} else {
					cols[c][r] = padTo(s, most-width(s), numeric[c])
				}
			}
			for _, s := range cols[c] {
				colWidths[c] = max(colWidths[c], cellWidth(s))
			}
		}
	}
	hdr := make([]string, len(headers))
	for c, h := range headers {
		hdr[c] = padTo(h, colWidths[c]-width(h), numeric[c])
	}
	lines := make([]string, 0, len(rows)+1)
	appendRow := func(cells []string) {
		if !multiline {
			lines = append(lines, pyRStrip(strings.Join(cells, "  ")))
			return
		}
		// _append_multiline_row: one output line per line of the
		// tallest cell, shorter cells filled with blank lines.
		split := make([][]string, len(cells))
		n := 0
		for c, cell := range cells {
			split[c] = pySplitLines(cell)
			n = max(n, len(split[c]))
		}
		for i := 0; i < n; i++ {
			parts := make([]string, len(cells))
			for c := range cells {
				if i < len(split[c]) {
					parts[c] = split[c][i]
				} else {
					parts[c] = strings.Repeat(" ", colWidths[c])
				}
			}
			lines = append(lines, pyRStrip(strings.Join(parts, "  ")))
		}
	}
	appendRow(hdr)
	for r := range rows {
		cells := make([]string, len(headers))
		for c := range headers {
			cells[c] = cols[c][r]
		}
		appendRow(cells)
	}
	return strings.Join(lines, "\n")
}

// padLines pads each line of a multi-line cell to most columns, as
// tabulate's _align_column does: lines are Python's splitlines(), the
// widths come from splitting on \r and \n only; exact pads by the line's
// own length, otherwise by a width corrected line by line.
func padLines(s string, most int, right, exact bool, width func(string) int) string {
	lines := pySplitLines(s)
	out := make([]string, 0, len(lines))
	if exact {
		for _, l := range lines {
			out = append(out, padTo(l, most-utf8.RuneCountInString(l), right))
		}
		return strings.Join(out, "\n")
	}
	pieces := splitCRLF(s)
	for i := 0; i < len(lines) && i < len(pieces); i++ {
		target := most - (width(pieces[i]) - utf8.RuneCountInString(pieces[i]))
		out = append(out, padTo(lines[i], target-utf8.RuneCountInString(lines[i]), right))
	}
	return strings.Join(out, "\n")
}

// splitCRLF is re.split("[\r\n]", s).
func splitCRLF(s string) []string {
	var out []string
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

// pySplitLines is Python's str.splitlines(): lines end at \n, \r, \r\n,
// \v, \f, \x1c, \x1d, \x1e, \x85, U+2028 and U+2029; a final line break
// does not start another line.
func pySplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i])
			i += size
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
			continue
		}
		i += size
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func hasInvisible(s string) bool {
	return strings.Contains(s, "\x1b") && (tabulateInvisible.MatchString(s) || tabulateLink.MatchString(s))
}

// padTo adds n spaces (none if n <= 0) on the left (right-aligned) or on
// the right.
func padTo(s string, n int, right bool) string {
	if n <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

// pyRStrip is Python's str.rstrip().
func pyRStrip(s string) string { return strings.TrimRightFunc(s, pyIsSpace) }
