package render

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
)

// This file draws the original client's table, which was
// tabulate(df, headers="keys", tablefmt="plain", showindex=False,
// missingval=...) from tabulate 0.8.9. go-pretty lays it out; the tabulate
// rules it does not know (column types, float and decimal alignment,
// stripping of text cells) are applied to the cells before they reach it.
//
// Known differences, for inputs users cannot normally produce: widths are
// display widths (an East Asian wide character counts 2; tabulate without
// wcwidth counted code points), go-pretty expands a tab to four spaces and
// splits a cell on newlines.

// Column types of tabulate, from the least to the most general.
const (
	typeNone = iota
	typeBool
	typeInt
	typeFloat
	typeText
)

// plainStyle is tabulate's "plain": no borders, no padding, two spaces
// between columns, headers as given (go-pretty upper-cases them by
// default), no colours.
func plainStyle() table.Style {
	return table.Style{
		Name:   "airt-plain",
		Box:    table.BoxStyle{MiddleVertical: "  ", MiddleSeparator: "  "},
		Format: table.FormatOptions{Header: text.FormatDefault, Row: text.FormatDefault, Footer: text.FormatDefault},
		Options: table.Options{
			SeparateColumns: true,
		},
	}
}

// writePlainTable writes the table of rows (cells in headers' order) to w,
// with missing for None cells, and a final newline.
func writePlainTable(w io.Writer, headers []string, rows [][]cellValue, missing string) error {
	t := table.NewWriter()
	t.SetStyle(plainStyle())
	t.SuppressTrailingSpaces()

	hdr := make(table.Row, len(headers))
	for i, h := range headers {
		hdr[i] = h
	}
	t.AppendHeader(hdr)

	cells := make([][]string, len(rows))
	for i := range rows {
		cells[i] = make([]string, len(headers))
	}
	configs := make([]table.ColumnConfig, len(headers))
	for c, h := range headers {
		col := make([]cellValue, len(rows))
		for r := range rows {
			col[r] = rows[r][c]
		}
		texts, numeric := tabulateColumn(col, missing)
		align := text.AlignLeft
		if numeric {
			align = text.AlignRight
		}
		for r := range rows {
			cells[r][c] = texts[r]
		}
		configs[c] = table.ColumnConfig{
			Number:      c + 1,
			Align:       align,
			AlignHeader: align,
			// tabulate's MIN_PADDING: a column is at least 2 wider than
			// its header.
			WidthMin: text.StringWidthWithoutEscSequences(h) + 2,
		}
	}
	t.SetColumnConfigs(configs)
	for _, r := range cells {
		row := make(table.Row, len(r))
		for i, s := range r {
			row[i] = s
		}
		t.AppendRow(row)
	}
	_, err := io.WriteString(w, t.Render()+"\n")
	return err
}

// tabulateColumn returns the cell texts of one column as tabulate prints
// them before padding, and whether the column is numeric (right-aligned).
func tabulateColumn(col []cellValue, missing string) ([]string, bool) {
	typ := typeBool // tabulate's reduce starts from bool
	for _, v := range col {
		typ = max(typ, cellType(v))
	}
	texts := make([]string, len(col))
	for i, v := range col {
		switch {
		case v.kind == valNone:
			texts[i] = missing
		case typ == typeFloat:
			texts[i] = v.str()
			if v.kind == valBool {
				texts[i] = map[bool]string{true: "1", false: "0"}[v.b]
			} else if f, ok := parsePyFloat(v.s); ok {
				texts[i] = pyFormatG(f)
			}
		default:
			texts[i] = v.str()
		}
	}
	numeric := typ == typeInt || typ == typeFloat
	if !numeric {
		for i := range texts {
			texts[i] = pyStrip(texts[i])
		}
		return texts, false
	}
	// "decimal" alignment: pad on the right so the decimal points line up;
	// go-pretty then right-aligns. Cells are not stripped.
	after := make([]int, len(texts))
	most := -1
	for i, s := range texts {
		after[i] = afterPoint(s)
		most = max(most, after[i])
	}
	for i := range texts {
		texts[i] += strings.Repeat(" ", most-after[i])
	}
	return texts, true
}

// cellType is tabulate's _type.
func cellType(v cellValue) int {
	switch v.kind {
	case valNone:
		return typeNone
	case valBool:
		return typeBool
	}
	switch {
	case v.s == "True" || v.s == "False":
		return typeBool
	case pyIntOK(v.s):
		return typeInt
	case isNumber(v.s):
		return typeFloat
	}
	return typeText
}

// isNumber is tabulate's _isnumber: float() accepts it, and an infinite or
// NaN value is spelled exactly "inf", "-inf" or "nan" (any case).
func isNumber(s string) bool {
	f, ok := parsePyFloat(s)
	if !ok {
		return false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch strings.ToLower(s) {
		case "inf", "-inf", "nan":
			return true
		}
		return false
	}
	return true
}

// afterPoint is tabulate's _afterpoint: the number of characters after the
// decimal point (or exponent mark) of a non-integer number, else -1.
func afterPoint(s string) int {
	if !isNumber(s) || pyIntOK(s) {
		return -1
	}
	r := []rune(s)
	pos := strings.LastIndex(s, ".")
	if pos < 0 {
		pos = strings.LastIndex(strings.ToLower(s), "e")
	}
	if pos < 0 {
		return -1
	}
	return len(r) - len([]rune(s[:pos])) - 1
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyStrip is Python's str.strip().
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// asciiDigits strips s as int() and float() do, and turns every Unicode
// decimal digit into its ASCII digit. It reports false for any other
// non-ASCII character.
func asciiDigits(s string) (string, bool) {
	// int() and float() strip less than str.strip(): not U+001C..U+001F.
	s = strings.TrimFunc(s, unicode.IsSpace)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case unicode.IsDigit(r):
			d, ok := unicodeDigitValue(r)
			if !ok {
				return "", false
			}
			b.WriteByte(byte('0' + d))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// unicodeDigitValue returns the value of a Unicode decimal digit. Nd
// characters come in runs of ten from 0 to 9 (a few runs are adjacent), so
// the value is the distance from the start of the run, modulo ten.
func unicodeDigitValue(r rune) (int, bool) {
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int((r - start) % 10), true
}

// pyIntOK reports whether Python's int() accepts s.
func pyIntOK(s string) bool {
	a, ok := asciiDigits(s)
	if !ok || a == "" {
		return false
	}
	if a[0] == '+' || a[0] == '-' {
		a = a[1:]
	}
	return digitPart(a)
}

// parsePyFloat is Python's float() on a string.
func parsePyFloat(s string) (float64, bool) {
	a, ok := asciiDigits(s)
	if !ok || a == "" {
		return 0, false
	}
	body := a
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if a[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	if !digitPart(body) && !pyFloatLiteral(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(a, "_", ""), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// pyFormatG is Python's format(f, "g").
func pyFormatG(f float64) string {
	if s, ok := pyNonFinite(f); ok {
		return s
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}
