package render

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file implements Python's str.format for a template called with one
// positional argument, the subset -f needs: literal text, "{{" and "}}",
// replacement fields "{}", "{0}", with indexes ("{0[1]}") and attributes
// ("{0.real}"), a conversion (!s, !r, !a) and a format spec
// ([[fill]align][sign][z][#][0][width][grouping][.precision][type]).
// Arguments are Python str, bool or None. Anything Python would reject, and
// the few things Python accepts that are not supported (methods and other
// non-number attributes, whose text holds a memory address; nested fields
// in a spec; widths over maxWidth), is an error.

// maxWidth bounds widths and precisions so that a hostile -f cannot make
// airt allocate gigabytes (Python would try).
const maxWidth = 10000

var errTemplate = errors.New("bad format template")

// cellValue is a value handed to a template: a Python str, bool or None,
// or an int reached from a bool through an attribute ("{0.real}").
type cellValue struct {
	kind valueKind
	s    string
	b    bool
	n    int
}

type valueKind int

const (
	valStr valueKind = iota
	valBool
	valNone
	valInt
)

func (v cellValue) str() string {
	switch v.kind {
	case valBool:
		if v.b {
			return "True"
		}
		return "False"
	case valNone:
		return "None"
	case valInt:
		return strconv.Itoa(v.n)
	}
	return v.s
}

func (v cellValue) repr() string {
	if v.kind == valStr {
		return pyStrRepr(v.s, false)
	}
	return v.str()
}

// template is a parsed str.format template.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	literal string
	field   bool
	access  []accessor // ".attr" and "[key]" after the argument
	conv    byte       // 0, 's', 'r' or 'a'
	spec    string
}

// accessor is one ".name" (attr) or "[key]" of a field name; index is the
// key as a number when it is all digits, else -1.
type accessor struct {
	attr  bool
	name  string
	index int
}

// parseTemplate parses a str.format template for one positional argument.
func parseTemplate(s string) (*template, error) {
	if !utf8.ValidString(s) {
		return nil, errTemplate
	}
	t := &template{}
	var lit strings.Builder
	auto, manual := false, false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case c == '}':
			return nil, errTemplate // Single '}' encountered
		case c == '{':
			// Find the matching '}', allowing nested braces in the spec.
			depth, j := 1, i+1
			for ; j < len(s) && depth > 0; j++ {
				switch s[j] {
				case '{':
					depth++
				case '}':
					depth--
				}
			}
			if depth != 0 {
				return nil, errTemplate // expected '}' before end of string
			}
			body := s[i+1 : j-1]
			i = j
			part := tmplPart{field: true}
			// The field name ends at the first ':' or '!' outside
			// brackets, as in CPython's parse_field.
			k := 0
		scan:
			for k < len(body) {
				switch body[k] {
				case '{':
					return nil, errTemplate // unexpected '{' in field name
				case '[':
					for k < len(body) && body[k] != ']' {
						k++
					}
					continue
				case ':', '!':
					break scan
				}
				k++
			}
			name, rest := body[:k], body[k:]
			if rest != "" && rest[0] == '!' {
				if len(rest) < 2 || !strings.ContainsRune("sra", rune(rest[1])) {
					return nil, errTemplate
				}
				part.conv = rest[1]
				rest = rest[2:]
				if rest != "" && rest[0] != ':' {
					return nil, errTemplate // expected ':' after conversion specifier
				}
			}
			if rest != "" {
				part.spec = rest[1:]
			}
			if strings.ContainsAny(part.spec, "{}") {
				return nil, errTemplate // nested replacement fields need more arguments
			}
			first, access, err := parseFieldName(name)
			if err != nil {
				return nil, err
			}
			part.access = access
			switch {
			case first == "":
				if manual {
					return nil, errTemplate
				}
				if auto {
					return nil, errTemplate // a second {} has no argument
				}
				auto = true
			case strings.Trim(first, "0123456789") == "":
				if auto {
					return nil, errTemplate
				}
				if strings.Trim(first, "0") != "" {
					return nil, errTemplate // index out of range
				}
				manual = true
			default:
				return nil, errTemplate // a named field: there are no keyword arguments
			}
			if _, err := parseSpec(part.spec); err != nil {
				return nil, err
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, tmplPart{literal: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, part)
		default:
			lit.WriteByte(c)
			i++
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tmplPart{literal: lit.String()})
	}
	return t, nil
}

// parseFieldName splits a field name into the argument ("", digits or a
// name) and the ".attr" and "[key]" accessors after it, with CPython's
// rules (FieldNameIterator).
func parseFieldName(name string) (string, []accessor, error) {
	k := strings.IndexAny(name, ".[")
	if k < 0 {
		return name, nil, nil
	}
	first, rest := name[:k], name[k:]
	var access []accessor
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			e := strings.IndexAny(rest, ".[")
			if e < 0 {
				e = len(rest)
			}
			if e == 0 {
				return "", nil, errTemplate // Empty attribute in format string
			}
			access = append(access, accessor{attr: true, name: rest[:e], index: -1})
			rest = rest[e:]
		case '[':
			e := strings.IndexByte(rest, ']')
			if e < 0 {
				return "", nil, errTemplate // Missing ']' in format string
			}
			key := rest[1:e]
			if key == "" {
				return "", nil, errTemplate // Empty attribute in format string
			}
			a := accessor{name: key, index: -1}
			if strings.Trim(key, "0123456789") == "" {
				n, err := strconv.Atoi(key)
				if err != nil {
					return "", nil, errTemplate
				}
				a.index = n
			}
			access = append(access, a)
			rest = rest[e+1:]
			if rest != "" && rest[0] != '.' && rest[0] != '[' {
				return "", nil, errTemplate // Only '.' or '[' may follow ']'
			}
		}
	}
	return first, access, nil
}

// numberAttrs are the attributes of a Python bool or int that are numbers
// (the others are methods, which print as "<built-in method ... at 0x...>",
// different in every run: not supported).
var numberAttrs = map[string]func(n int) int{
	"real":        func(n int) int { return n },
	"numerator":   func(n int) int { return n },
	"imag":        func(int) int { return 0 },
	"denominator": func(int) int { return 1 },
}

// access applies one accessor to v as Python would: an index into a str
// gives its character (code point), a number attribute of a bool or int
// gives an int. Anything else (a key that is not a number, an index past
// the end, an attribute of a str or None, a method) is an error.
func (a accessor) apply(v cellValue) (cellValue, error) {
	switch {
	case a.attr && (v.kind == valBool || v.kind == valInt):
		f := numberAttrs[a.name]
		if f == nil {
			return cellValue{}, errTemplate
		}
		n := v.n
		if v.kind == valBool && v.b {
			n = 1
		} else if v.kind == valBool {
			n = 0
		}
		return cellValue{kind: valInt, n: f(n)}, nil
	case !a.attr && v.kind == valStr && a.index >= 0:
		r := []rune(v.s)
		if a.index >= len(r) {
			return cellValue{}, errTemplate // string index out of range
		}
		return cellValue{kind: valStr, s: string(r[a.index])}, nil
	}
	return cellValue{}, errTemplate
}

// render applies the template to v. Errors are Python's: the original
// reported them as "Formatting is wrong for <column>: <template>".
func (t *template) render(v cellValue) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.field {
			b.WriteString(p.literal)
			continue
		}
		arg := v
		for _, a := range p.access {
			var err error
			if arg, err = a.apply(arg); err != nil {
				return "", err
			}
		}
		switch field := arg; p.conv {
		case 's':
			arg = cellValue{s: field.str()}
		case 'r':
			arg = cellValue{s: field.repr()}
		case 'a':
			r := field.str()
			if field.kind == valStr {
				r = pyStrRepr(field.s, true)
			}
			arg = cellValue{s: r}
		}
		out, err := formatValue(arg, p.spec)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
	}
	return b.String(), nil
}

// spec is a parsed format spec.
type spec struct {
	fill      rune
	align     byte // 0 when not given
	sign      byte
	noNeg0    bool
	alternate bool
	zero      bool // the '0' flag
	width     int  // -1 when not given
	grouping  byte // 0, ',' or '_'
	precision int  // -1 when not given
	typ       byte // 0 when not given
}

func parseSpec(s string) (spec, error) {
	sp := spec{fill: ' ', width: -1, precision: -1}
	r := []rune(s)
	i := 0
	isAlign := func(c rune) bool { return c == '<' || c == '>' || c == '=' || c == '^' }
	fillGiven := false
	if len(r) >= 2 && isAlign(r[1]) {
		sp.fill, sp.align, i, fillGiven = r[0], byte(r[1]), 2, true
	} else if len(r) >= 1 && isAlign(r[0]) {
		sp.align, i = byte(r[0]), 1
	}
	if i < len(r) && (r[i] == '+' || r[i] == '-' || r[i] == ' ') {
		sp.sign = byte(r[i])
		i++
	}
	if i < len(r) && r[i] == 'z' {
		sp.noNeg0 = true
		i++
	}
	if i < len(r) && r[i] == '#' {
		sp.alternate = true
		i++
	}
	if !fillGiven && i < len(r) && r[i] == '0' {
		sp.zero = true
		i++
	}
	readInt := func() (int, bool, error) {
		start := i
		for i < len(r) && r[i] >= '0' && r[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false, nil
		}
		n, err := strconv.Atoi(string(r[start:i]))
		if err != nil || n > maxWidth {
			return 0, false, errTemplate
		}
		return n, true, nil
	}
	if n, ok, err := readInt(); err != nil {
		return sp, err
	} else if ok {
		sp.width = n
	}
	if i < len(r) && (r[i] == ',' || r[i] == '_') {
		sp.grouping = byte(r[i])
		i++
		if i < len(r) && (r[i] == ',' || r[i] == '_') {
			return sp, errTemplate // Cannot specify both ',' and '_'
		}
	}
	if i < len(r) && r[i] == '.' {
		i++
		n, ok, err := readInt()
		if err != nil || !ok {
			return sp, errTemplate // Format specifier missing precision
		}
		sp.precision = n
	}
	switch len(r) - i {
	case 0:
	case 1:
		if r[i] > 0x7f {
			return sp, errTemplate
		}
		sp.typ = byte(r[i])
	default:
		return sp, errTemplate // Invalid format specifier
	}
	return sp, nil
}

// formatValue is format(v, spec) for a str, bool or None argument.
func formatValue(v cellValue, specText string) (string, error) {
	if specText == "" {
		return v.str(), nil
	}
	sp, err := parseSpec(specText)
	if err != nil {
		return "", err
	}
	switch v.kind {
	case valBool:
		n := 0
		if v.b {
			n = 1
		}
		return formatInt(n, sp)
	case valInt:
		return formatInt(v.n, sp)
	case valNone:
		// unsupported format string passed to NoneType.__format__
		return "", errTemplate
	}
	return formatStr(v.s, sp)
}

// formatStr is str.__format__.
func formatStr(s string, sp spec) (string, error) {
	if sp.typ == 0 {
		sp.typ = 's'
	}
	if sp.typ != 's' || sp.sign != 0 || sp.noNeg0 || sp.alternate || sp.align == '=' || sp.grouping != 0 {
		return "", errTemplate
	}
	if sp.zero {
		sp.fill = '0'
	}
	if sp.align == 0 {
		sp.align = '<'
	}
	r := []rune(s)
	if sp.precision >= 0 && len(r) > sp.precision {
		r = r[:sp.precision]
	}
	return pad("", string(r), sp, len(r)), nil
}

// pad lays out lead (sign and prefix) and body in sp.width with sp.fill
// and sp.align; n is the rune count of lead+body.
func pad(lead, body string, sp spec, n int) string {
	total := sp.width - n
	if total <= 0 {
		return lead + body
	}
	fill := strings.Repeat(string(sp.fill), total)
	switch sp.align {
	case '<':
		return lead + body + fill
	case '^':
		left := total / 2
		return strings.Repeat(string(sp.fill), left) + lead + body + strings.Repeat(string(sp.fill), total-left)
	case '=':
		return lead + fill + body
	}
	return fill + lead + body
}

// formatInt is int.__format__ for 0 or 1 (a bool with a non-empty spec).
func formatInt(n int, sp spec) (string, error) {
	if sp.typ == 0 {
		sp.typ = 'd'
	}
	switch sp.typ {
	case 'e', 'E', 'f', 'F', 'g', 'G', '%':
		return formatFloat(float64(n), sp)
	case 'b', 'o', 'x', 'X', 'd', 'n', 'c':
	default:
		return "", errTemplate // Unknown format code
	}
	if sp.precision >= 0 || sp.noNeg0 {
		return "", errTemplate
	}
	if sp.grouping != 0 {
		switch {
		case sp.typ == 'd':
		case sp.grouping == '_' && strings.IndexByte("boxX", sp.typ) >= 0:
		default:
			return "", errTemplate // Cannot specify ',' with 'x'
		}
	}
	if sp.typ == 'c' && (sp.sign != 0 || sp.alternate) {
		return "", errTemplate
	}
	if sp.zero {
		sp.fill = '0'
		if sp.align == 0 {
			sp.align = '='
		}
	}
	if sp.align == 0 {
		sp.align = '>'
	}
	digits := strconv.Itoa(n)
	prefix := ""
	if sp.alternate {
		prefix = map[byte]string{'b': "0b", 'o': "0o", 'x': "0x", 'X': "0X"}[sp.typ]
	}
	if sp.typ == 'c' {
		digits = string(rune(n))
	}
	lead := signOf(false, sp.sign) + prefix
	groupLen := 3
	if strings.IndexByte("boxX", sp.typ) >= 0 {
		groupLen = 4
	}
	body := groupDigits(digits, sp, len(lead), 0, groupLen)
	return pad(lead, body, sp, utf8.RuneCountInString(lead)+utf8.RuneCountInString(body)), nil
}

func signOf(negative bool, sign byte) string {
	switch {
	case negative:
		return "-"
	case sign == '+':
		return "+"
	case sign == ' ':
		return " "
	}
	return ""
}

// groupDigits inserts the thousands separator into digits and, for
// zero-padding ('0' fill with '=' alignment), pads them with zeros the way
// CPython's _PyUnicode_InsertThousandsGrouping does. lead and rest are the
// widths of what comes before and after the digits.
func groupDigits(digits string, sp spec, lead, rest, groupLen int) string {
	minWidth := 0
	if sp.fill == '0' && sp.align == '=' && sp.width > 0 {
		minWidth = sp.width - lead - rest
	}
	if sp.grouping == 0 {
		if len(digits) < minWidth {
			return strings.Repeat("0", minWidth-len(digits)) + digits
		}
		return digits
	}
	sep := string(sp.grouping)
	var groups []string
	remaining := len(digits)
	for {
		l := min(groupLen, max(remaining, minWidth, 1))
		nChars := max(0, min(remaining, l))
		nZeros := max(0, l-remaining)
		groups = append(groups, strings.Repeat("0", nZeros)+digits[remaining-nChars:remaining])
		remaining -= nChars
		minWidth -= l
		if remaining <= 0 && minWidth <= 0 {
			break
		}
		minWidth -= len(sep)
	}
	for i, j := 0, len(groups)-1; i < j; i, j = i+1, j-1 {
		groups[i], groups[j] = groups[j], groups[i]
	}
	return strings.Join(groups, sep)
}

// formatFloat is float.__format__ for a finite float that is 0 or 1 (the
// only floats -f can see), for the types e E f F g G %.
func formatFloat(f float64, sp spec) (string, error) {
	if sp.typ == 'c' || sp.typ == 'n' {
		return "", errTemplate
	}
	if sp.zero {
		sp.fill = '0'
		if sp.align == 0 {
			sp.align = '='
		}
	}
	if sp.align == 0 {
		sp.align = '>'
	}
	prec := sp.precision
	if prec < 0 {
		prec = 6
	}
	suffix := ""
	var s string
	switch sp.typ {
	case 'f', 'F':
		s = strconv.FormatFloat(f, 'f', prec, 64)
	case '%':
		s = strconv.FormatFloat(f*100, 'f', prec, 64)
		suffix = "%"
	case 'e', 'E':
		s = strconv.FormatFloat(f, 'e', prec, 64)
		if sp.typ == 'E' {
			s = strings.ToUpper(s)
		}
	case 'g', 'G':
		if prec == 0 {
			prec = 1
		}
		// 0 and 1 have exponent 0, so 'g' is fixed notation with prec-1
		// decimals, trailing zeros removed unless '#'.
		s = strconv.FormatFloat(f, 'f', prec-1, 64)
		if !sp.alternate && strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
	}
	if math.Signbit(f) && sp.noNeg0 {
		s = strings.TrimPrefix(s, "-")
	}
	negative := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	// Split integer digits from the rest (point, fraction, exponent).
	k := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	intPart, rest := s, ""
	if k >= 0 {
		intPart, rest = s[:k], s[k:]
	}
	if sp.alternate && !strings.Contains(rest, ".") {
		rest = "." + rest
	}
	rest += suffix
	lead := signOf(negative, sp.sign)
	body := groupDigits(intPart, sp, len(lead), len(rest), 3) + rest
	return pad(lead, body, sp, len(lead)+len(body)), nil
}
