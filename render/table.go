package render

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
)

// This file holds tabulate 0.8.9's column rules (types, number parsing as
// Python's int() and float(), decimal alignment), used by the plain table
// writer in tabulate.go. plainStyle is the same look for the go-pretty
// tables that are not user tables (import results).

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

// tabulateColumn returns the cell texts of one column as tabulate prints
// them before padding, and whether the column is numeric (right-aligned).
// invisible is tabulate's has_invisible: some cell of the table holds an
// escape sequence it knows as invisible.
func tabulateColumn(col []cellValue, missing string, invisible bool) ([]string, bool) {
	typ := typeBool // tabulate's reduce starts from bool
	for _, v := range col {
		typ = max(typ, cellType(v))
	}
	texts := make([]string, len(col))
	for i, v := range col {
		switch {
		case v.kind == valNone:
			texts[i] = missing
		case typ == typeFloat && v.kind == valBool:
			texts[i] = map[bool]string{true: "1", false: "0"}[v.b]
		case typ == typeFloat:
			// A coloured number keeps its colour around the formatted
			// number, as tabulate's _format does.
			texts[i] = v.s
			raw := v.s
			if invisible {
				raw = stripInvisible(v.s)
			}
			if f, ok := parsePyFloat(raw); ok {
				texts[i] = strings.ReplaceAll(v.s, raw, pyFormatG(f))
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
	// the caller then right-aligns. Cells are not stripped.
	after := make([]int, len(texts))
	most := -1
	for i, s := range texts {
		if invisible {
			s = stripInvisible(s)
		}
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
	s := stripInvisible(v.s) // tabulate's _type always ignores them
	switch {
	case s == "True" || s == "False":
		return typeBool
	case pyIntOK(s):
		return typeInt
	case isNumber(s):
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
