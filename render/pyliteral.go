package render

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/runenames"
)

// This file evaluates the subset of Python that ast.literal_eval accepts, as
// far as -f needs it: str and bytes literals (all prefixes but f, adjacent
// literals concatenated), int and float literals, True/False/None, unary +/-
// on numbers, tuples, lists, sets, dicts and set(). It exists so that -f
// gives the original client's error texts, which quote the Python repr of a
// value that is not a dict. It also knows complex numbers (1j, 1+2j),
// Ellipsis (...) and \N{name} escapes.

// pyKind is the Python type of a pyValue.
type pyKind int

const (
	pyNone pyKind = iota
	pyBool
	pyInt
	pyFloat
	pyStr
	pyBytes
	pyTuple
	pyList
	pySet
	pyDict
	pyComplex  // real part in f, imaginary part in im
	pyEllipsis // ...
)

// pyValue is a Python literal value.
type pyValue struct {
	kind  pyKind
	b     bool
	i     *big.Int
	f     float64
	im    float64
	s     string    // str (UTF-8) or bytes (raw bytes)
	items []pyValue // tuple, list, set elements; dict values
	keys  []pyValue // dict keys, in insertion order
}

var errNotLiteral = errors.New("not a python literal")

// maxNesting bounds bracket nesting so that hostile input cannot exhaust the
// stack (Python's own parser stops at about 200 levels too).
const maxNesting = 100

// parsePyLiteral evaluates src as ast.literal_eval would, or returns
// errNotLiteral.
func parsePyLiteral(src string) (pyValue, error) {
	if !utf8.ValidString(src) || strings.ContainsRune(src, 0) {
		return pyValue{}, errNotLiteral
	}
	// literal_eval strips leading spaces and tabs; blank lines before the
	// expression are allowed by the tokenizer.
	src = strings.TrimLeft(src, " \t")
	p := &pyParser{src: []rune(src)}
	p.skipSpace()
	for p.pos < len(p.src) && p.src[p.pos] == '\n' {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
			return pyValue{}, errNotLiteral // unexpected indent
		}
		p.skipSpace()
	}
	v, err := p.exprList(true)
	if err != nil {
		return pyValue{}, err
	}
	p.skipSpace()
	for p.pos < len(p.src) && (p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
		p.skipSpace()
	}
	if p.pos != len(p.src) {
		return pyValue{}, errNotLiteral
	}
	return v, nil
}

type pyParser struct {
	src   []rune
	pos   int
	depth int // bracket depth: newlines are whitespace inside brackets
}

func (p *pyParser) peek() rune {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return -1
}

// skipSpace skips blanks, comments and line continuations (and newlines
// inside brackets).
func (p *pyParser) skipSpace() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\f':
			p.pos++
		case c == '\\' && p.pos+2 < len(p.src) && p.src[p.pos+1] == '\n':
			// A line continuation; at the very end it is an error (EOF).
			p.pos += 2
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case (c == '\n' || c == '\r') && p.depth > 0:
			p.pos++
		default:
			return
		}
	}
}

// exprList parses "expr" or "expr, expr, ..." (a tuple). top allows a bare
// tuple without brackets.
func (p *pyParser) exprList(top bool) (pyValue, error) {
	first, err := p.expr()
	if err != nil {
		return pyValue{}, err
	}
	p.skipSpace()
	if p.peek() != ',' {
		return first, nil
	}
	items := []pyValue{first}
	for p.peek() == ',' {
		p.pos++
		p.skipSpace()
		if p.atExprEnd(top) {
			break
		}
		v, err := p.expr()
		if err != nil {
			return pyValue{}, err
		}
		items = append(items, v)
		p.skipSpace()
	}
	return pyValue{kind: pyTuple, items: items}, nil
}

func (p *pyParser) atExprEnd(top bool) bool {
	c := p.peek()
	if top {
		return c == -1 || c == '\n' || c == '\r'
	}
	return c == ')' || c == ']' || c == '}'
}

func (p *pyParser) expr() (pyValue, error) {
	p.skipSpace()
	c := p.peek()
	if c == '+' || c == '-' {
		p.pos++
		p.skipSpace()
		if !isDigit(p.peek()) && p.peek() != '.' {
			return pyValue{}, errNotLiteral
		}
		v, err := p.number()
		if err != nil {
			return pyValue{}, err
		}
		if c == '-' {
			switch v.kind {
			case pyInt:
				v.i = new(big.Int).Neg(v.i)
			case pyComplex:
				v.f, v.im = -v.f, -v.im
			default:
				v.f = -v.f
			}
		}
		return p.complexSum(v)
	}
	v, err := p.atom()
	if err != nil {
		return pyValue{}, err
	}
	return p.complexSum(v)
}

// complexSum accepts what literal_eval allows as a binary operation: a
// real number (int or float, signed) plus or minus an imaginary literal,
// as in 1+2j.
func (p *pyParser) complexSum(left pyValue) (pyValue, error) {
	p.skipSpace()
	op := p.peek()
	if (op != '+' && op != '-') || (left.kind != pyInt && left.kind != pyFloat) {
		return p.noBinOp(left)
	}
	p.pos++
	p.skipSpace()
	if !isDigit(p.peek()) && p.peek() != '.' {
		return pyValue{}, errNotLiteral
	}
	right, err := p.number()
	if err != nil || right.kind != pyComplex {
		return pyValue{}, errNotLiteral
	}
	re := left.f
	if left.kind == pyInt {
		re, _ = new(big.Float).SetInt(left.i).Float64()
	}
	im := right.im
	if op == '-' {
		im = -im
	}
	return p.noBinOp(pyValue{kind: pyComplex, f: re, im: im})
}

// noBinOp rejects any operator after an atom: literal_eval only allows
// real+imaginary sums, and complex numbers are not supported here.
func (p *pyParser) noBinOp(v pyValue) (pyValue, error) {
	p.skipSpace()
	switch p.peek() {
	case ',', ')', ']', '}', ':', -1, '\n', '\r':
		return v, nil
	}
	return pyValue{}, errNotLiteral
}

func (p *pyParser) atom() (pyValue, error) {
	c := p.peek()
	switch {
	case c == '(' || c == '[' || c == '{':
		return p.container(c)
	case isDigit(c) || (c == '.' && p.pos+1 < len(p.src) && isDigit(p.src[p.pos+1])):
		return p.number()
	case c == '.' && p.pos+2 < len(p.src) && p.src[p.pos+1] == '.' && p.src[p.pos+2] == '.':
		p.pos += 3
		return pyValue{kind: pyEllipsis}, nil
	case c == '\'' || c == '"':
		return p.strings()
	case isIdentStart(c):
		start := p.pos
		for p.pos < len(p.src) && isIdentPart(p.src[p.pos]) {
			p.pos++
		}
		name := string(p.src[start:p.pos])
		if q := p.peek(); (q == '\'' || q == '"') && isStringPrefix(name) {
			p.pos = start
			return p.strings()
		}
		switch name {
		case "True":
			return pyValue{kind: pyBool, b: true}, nil
		case "False":
			return pyValue{kind: pyBool}, nil
		case "None":
			return pyValue{kind: pyNone}, nil
		case "set":
			p.skipSpace()
			if p.peek() == '(' {
				p.pos++
				p.depth++
				p.skipSpace()
				if p.peek() == ')' {
					p.pos++
					p.depth--
					return pyValue{kind: pySet}, nil
				}
			}
		}
	}
	return pyValue{}, errNotLiteral
}

func (p *pyParser) container(open rune) (pyValue, error) {
	if p.depth >= maxNesting {
		return pyValue{}, errNotLiteral
	}
	p.pos++
	p.depth++
	defer func() { p.depth-- }()
	p.skipSpace()
	closer := map[rune]rune{'(': ')', '[': ']', '{': '}'}[open]
	if p.peek() == closer {
		p.pos++
		switch open {
		case '(':
			return pyValue{kind: pyTuple}, nil
		case '[':
			return pyValue{kind: pyList}, nil
		}
		return pyValue{kind: pyDict}, nil
	}
	if open == '(' {
		v, err := p.exprList(false)
		if err != nil {
			return pyValue{}, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return pyValue{}, errNotLiteral
		}
		p.pos++
		return v, nil
	}
	first, err := p.expr()
	if err != nil {
		return pyValue{}, err
	}
	p.skipSpace()
	if open == '{' && p.peek() == ':' {
		return p.dictRest(first)
	}
	kind := pyList
	if open == '{' {
		kind = pySet
	}
	items := []pyValue{first}
	for {
		p.skipSpace()
		if p.peek() == closer {
			p.pos++
			break
		}
		if p.peek() != ',' {
			return pyValue{}, errNotLiteral
		}
		p.pos++
		p.skipSpace()
		if p.peek() == closer {
			continue
		}
		v, err := p.expr()
		if err != nil {
			return pyValue{}, err
		}
		items = append(items, v)
	}
	if kind == pySet {
		var uniq []pyValue
		seen := map[string]bool{}
		for _, it := range items {
			h, ok := pyHashKey(it)
			if !ok {
				return pyValue{}, errNotLiteral // unhashable: TypeError
			}
			if !seen[h] {
				seen[h] = true
				uniq = append(uniq, it)
			}
		}
		items = uniq
	}
	return pyValue{kind: kind, items: items}, nil
}

// dictRest parses the rest of a dict after its first key. Later duplicate
// keys replace the value but keep the first position, as in Python.
func (p *pyParser) dictRest(firstKey pyValue) (pyValue, error) {
	d := pyValue{kind: pyDict}
	index := map[string]int{}
	key := firstKey
	for {
		p.skipSpace()
		if p.peek() != ':' {
			return pyValue{}, errNotLiteral
		}
		p.pos++
		val, err := p.expr()
		if err != nil {
			return pyValue{}, err
		}
		h, ok := pyHashKey(key)
		if !ok {
			return pyValue{}, errNotLiteral
		}
		if i, dup := index[h]; dup {
			d.items[i] = val
		} else {
			index[h] = len(d.keys)
			d.keys = append(d.keys, key)
			d.items = append(d.items, val)
		}
		p.skipSpace()
		if p.peek() == '}' {
			p.pos++
			return d, nil
		}
		if p.peek() != ',' {
			return pyValue{}, errNotLiteral
		}
		p.pos++
		p.skipSpace()
		if p.peek() == '}' {
			p.pos++
			return d, nil
		}
		if key, err = p.expr(); err != nil {
			return pyValue{}, err
		}
	}
}

// pyHashKey returns a string equal for values Python considers equal keys
// (1 == 1.0 == True), or false for unhashable values.
func pyHashKey(v pyValue) (string, bool) {
	switch v.kind {
	case pyBool:
		if v.b {
			return "n1", true
		}
		return "n0", true
	case pyInt:
		return "n" + v.i.String(), true
	case pyFloat:
		if v.f == math.Trunc(v.f) && !math.IsInf(v.f, 0) {
			bf, _ := new(big.Float).SetFloat64(v.f).Int(nil)
			return "n" + bf.String(), true
		}
		return "f" + strconv.FormatFloat(v.f, 'g', -1, 64), true
	case pyTuple:
		var b strings.Builder
		b.WriteString("t(")
		for _, it := range v.items {
			h, ok := pyHashKey(it)
			if !ok {
				return "", false
			}
			// Length-prefixed, so nesting does not grow the key
			// exponentially (as quoting would).
			b.WriteString(strconv.Itoa(len(h)))
			b.WriteByte(':')
			b.WriteString(h)
		}
		return b.String() + ")", true
	case pyComplex:
		if v.im == 0 {
			return pyHashKey(pyValue{kind: pyFloat, f: v.f})
		}
	case pyList, pySet, pyDict:
		return "", false
	}
	return pyRepr(v), true
}

func isDigit(c rune) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c rune) bool { return c == '_' || unicode.IsLetter(c) }
func isIdentPart(c rune) bool  { return isIdentStart(c) || unicode.IsDigit(c) }

func isStringPrefix(s string) bool {
	switch strings.ToLower(s) {
	case "r", "u", "b", "br", "rb":
		return true
	}
	return false
}

// number parses an int or float literal (no sign).
func (p *pyParser) number() (pyValue, error) {
	start := p.pos
	for p.pos < len(p.src) && (isIdentPart(p.src[p.pos]) || p.src[p.pos] == '.' ||
		((p.src[p.pos] == '+' || p.src[p.pos] == '-') && p.pos > start &&
			(p.src[p.pos-1] == 'e' || p.src[p.pos-1] == 'E') && !isPrefixedInt(p.src[start:p.pos]))) {
		p.pos++
	}
	lit := string(p.src[start:p.pos])
	if l := len(lit); l > 1 && (lit[l-1] == 'j' || lit[l-1] == 'J') && !isPrefixedInt([]rune(lit)) {
		// An imaginary literal: digits or a float, then j.
		// Unlike an int, its digits may start with zeros (01j).
		body := lit[:l-1]
		if !digitPart(body) && !pyFloatLiteral(body) {
			return pyValue{}, errNotLiteral
		}
		im, err := strconv.ParseFloat(strings.ReplaceAll(body, "_", ""), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return pyValue{}, errNotLiteral
		}
		return pyValue{kind: pyComplex, im: im}, nil
	}
	if v, ok := parsePyNumber(lit); ok {
		return v, nil
	}
	return pyValue{}, errNotLiteral
}

func isPrefixedInt(r []rune) bool {
	return len(r) >= 2 && r[0] == '0' && strings.ContainsRune("xXoObB", r[1])
}

// parsePyNumber parses a Python int or float literal token.
func parsePyNumber(lit string) (pyValue, bool) {
	if len(lit) >= 2 && lit[0] == '0' && strings.ContainsRune("xXoObB", rune(lit[1])) {
		base := map[byte]int{'x': 16, 'o': 8, 'b': 2}[lit[1]|0x20]
		digits := lit[2:]
		digits = strings.TrimPrefix(digits, "_")
		if !validUnderscores(digits) {
			return pyValue{}, false
		}
		i, ok := new(big.Int).SetString(strings.ReplaceAll(digits, "_", ""), base)
		return pyValue{kind: pyInt, i: i}, ok
	}
	if !strings.ContainsAny(lit, ".eE") {
		if !validUnderscores(lit) {
			return pyValue{}, false
		}
		d := strings.ReplaceAll(lit, "_", "")
		for _, c := range d {
			if !isDigit(c) {
				return pyValue{}, false
			}
		}
		if len(d) > 1 && d[0] == '0' && strings.Trim(d, "0") != "" {
			return pyValue{}, false // leading zeros
		}
		if len(d) > 4300 {
			return pyValue{}, false // Python's int max str digits
		}
		i, ok := new(big.Int).SetString(d, 10)
		return pyValue{kind: pyInt, i: i}, ok
	}
	if !pyFloatLiteral(lit) {
		return pyValue{}, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(lit, "_", ""), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return pyValue{}, false
	}
	return pyValue{kind: pyFloat, f: f}, true
}

// validUnderscores reports whether s is digits with single underscores
// between them (s non-empty).
func validUnderscores(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	return true
}

// pyFloatLiteral checks the float literal grammar: digitpart? "." digitpart?
// with optional exponent, underscores only between digits.
func pyFloatLiteral(lit string) bool {
	mant, exp, hasExp := strings.Cut(strings.ToLower(lit), "e")
	if hasExp {
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if !digitPart(exp) {
			return false
		}
	}
	ip, fp, hasDot := strings.Cut(mant, ".")
	if !hasDot {
		return hasExp && digitPart(ip)
	}
	if ip == "" && fp == "" {
		return false
	}
	return (ip == "" || digitPart(ip)) && (fp == "" || digitPart(fp))
}

func digitPart(s string) bool {
	if !validUnderscores(s) {
		return false
	}
	for _, c := range s {
		if c != '_' && !isDigit(c) {
			return false
		}
	}
	return true
}

// strings parses one or more adjacent string literals.
func (p *pyParser) strings() (pyValue, error) {
	var out pyValue
	first := true
	for {
		p.skipSpace()
		start := p.pos
		for p.pos < len(p.src) && isIdentPart(p.src[p.pos]) {
			p.pos++
		}
		prefix := strings.ToLower(string(p.src[start:p.pos]))
		q := p.peek()
		if q != '\'' && q != '"' {
			p.pos = start
			if first {
				return pyValue{}, errNotLiteral
			}
			return out, nil
		}
		if prefix != "" && !isStringPrefix(prefix) {
			return pyValue{}, errNotLiteral // f-strings and unknown prefixes
		}
		raw := strings.Contains(prefix, "r")
		kind := pyStr
		if strings.Contains(prefix, "b") {
			kind = pyBytes
		}
		s, err := p.stringBody(raw, kind == pyBytes)
		if err != nil {
			return pyValue{}, err
		}
		if first {
			out = pyValue{kind: kind, s: s}
			first = false
		} else {
			if out.kind != kind {
				return pyValue{}, errNotLiteral
			}
			out.s += s
		}
	}
}

// stringBody reads a quoted body at p.pos and decodes its escapes.
func (p *pyParser) stringBody(raw, bytes bool) (string, error) {
	q := p.src[p.pos]
	triple := p.pos+2 < len(p.src) && p.src[p.pos+1] == q && p.src[p.pos+2] == q
	if triple {
		p.pos += 3
	} else {
		p.pos++
	}
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", errNotLiteral
		}
		c := p.src[p.pos]
		if c == q {
			if !triple {
				p.pos++
				return b.String(), nil
			}
			if p.pos+2 < len(p.src) && p.src[p.pos+1] == q && p.src[p.pos+2] == q {
				p.pos += 3
				return b.String(), nil
			}
		}
		if (c == '\n' || c == '\r') && !triple {
			return "", errNotLiteral
		}
		if bytes && c > 0x7f {
			return "", errNotLiteral
		}
		if c != '\\' {
			writeChar(&b, c, bytes)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.src) {
			return "", errNotLiteral
		}
		e := p.src[p.pos+1]
		if raw {
			// A backslash still protects the next character from ending the
			// literal, but both are kept.
			b.WriteRune('\\')
			writeChar(&b, e, bytes)
			p.pos += 2
			continue
		}
		p.pos += 2
		switch e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteRune(e)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n := int(e - '0')
			for k := 0; k < 2 && p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '7'; k++ {
				n = n*8 + int(p.src[p.pos]-'0')
				p.pos++
			}
			if bytes {
				b.WriteByte(byte(n))
			} else {
				b.WriteRune(rune(n))
			}
		case 'x', 'u', 'U':
			n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[e]
			if bytes && e != 'x' {
				b.WriteRune('\\')
				b.WriteRune(e)
				continue
			}
			if p.pos+n > len(p.src) {
				return "", errNotLiteral
			}
			v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
			if err != nil || v > unicode.MaxRune {
				return "", errNotLiteral
			}
			p.pos += n
			if bytes {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
		case 'N':
			if bytes {
				b.WriteString(`\N`)
				continue
			}
			if p.pos >= len(p.src) || p.src[p.pos] != '{' {
				return "", errNotLiteral // malformed \N character escape
			}
			end := p.pos + 1
			for end < len(p.src) && p.src[end] != '}' && p.src[end] != q {
				end++
			}
			if end >= len(p.src) || p.src[end] != '}' {
				return "", errNotLiteral
			}
			r, ok := lookupRuneName(string(p.src[p.pos+1 : end]))
			if !ok {
				return "", errNotLiteral // unknown Unicode character name
			}
			b.WriteRune(r)
			p.pos = end + 1
		default:
			b.WriteRune('\\')
			writeChar(&b, e, bytes)
		}
	}
}

func writeChar(b *strings.Builder, c rune, bytes bool) {
	if bytes {
		b.WriteByte(byte(c))
	} else {
		b.WriteRune(c)
	}
}

// pyRepr returns Python's repr of v.
func pyRepr(v pyValue) string {
	switch v.kind {
	case pyNone:
		return "None"
	case pyBool:
		if v.b {
			return "True"
		}
		return "False"
	case pyInt:
		return v.i.String()
	case pyFloat:
		return pyFloatRepr(v.f)
	case pyComplex:
		return pyComplexRepr(v.f, v.im)
	case pyEllipsis:
		return "Ellipsis"
	case pyStr:
		return pyStrRepr(v.s, false)
	case pyBytes:
		return "b" + pyBytesRepr(v.s)
	case pyTuple:
		if len(v.items) == 1 {
			return "(" + pyRepr(v.items[0]) + ",)"
		}
		return "(" + joinRepr(v.items) + ")"
	case pyList:
		return "[" + joinRepr(v.items) + "]"
	case pySet:
		if len(v.items) == 0 {
			return "set()"
		}
		return "{" + joinRepr(v.items) + "}"
	case pyDict:
		parts := make([]string, len(v.keys))
		for i := range v.keys {
			parts[i] = pyRepr(v.keys[i]) + ": " + pyRepr(v.items[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// pyComplexRepr is Python's repr of complex(re, im): "1j", "(1+2j)",
// "(-0-1j)". The parts are repr'd without a forced ".0".
func pyComplexRepr(re, im float64) string {
	part := func(f float64) string { return strings.TrimSuffix(pyFloatRepr(f), ".0") }
	if re == 0 && !math.Signbit(re) {
		return part(im) + "j"
	}
	sign := "+"
	if strings.HasPrefix(part(im), "-") {
		sign = ""
	}
	return "(" + part(re) + sign + part(im) + "j)"
}

// pyStrOf returns Python's str() of v: the text itself for str, repr otherwise.
func pyStrOf(v pyValue) string {
	if v.kind == pyStr {
		return v.s
	}
	return pyRepr(v)
}

func joinRepr(items []pyValue) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = pyRepr(it)
	}
	return strings.Join(parts, ", ")
}

// pyFloatRepr is Python's repr(float): the shortest round-trip digits, in
// fixed notation when the exponent is in [-4, 16), with a ".0" when integral.
func pyFloatRepr(f float64) string {
	if s, ok := pyNonFinite(f); ok {
		return s
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // "-1.2345e+06"
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return mant + "e" + sign + leftPad(strconv.Itoa(exp), 2, '0')
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func leftPad(s string, n int, c byte) string {
	for len(s) < n {
		s = string(c) + s
	}
	return s
}

// pyStrRepr is Python's repr(str); ascii=true gives ascii().
func pyStrRepr(s string, ascii bool) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x7f && r >= 0x20:
			b.WriteRune(r)
		case r < 0x100 && (r < 0xa1 || ascii || !unicode.IsPrint(r)):
			b.WriteString(`\x` + leftPad(strconv.FormatInt(int64(r), 16), 2, '0'))
		case !ascii && unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x10000:
			b.WriteString(`\u` + leftPad(strconv.FormatInt(int64(r), 16), 4, '0'))
		default:
			b.WriteString(`\U` + leftPad(strconv.FormatInt(int64(r), 16), 8, '0'))
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyBytesRepr is Python's repr(bytes) without the leading b.
func pyBytesRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			b.WriteString(`\x` + leftPad(strconv.FormatInt(int64(c), 16), 2, '0'))
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyNonFinite spells the infinities and NaN as Python does.
func pyNonFinite(f float64) (string, bool) {
	switch {
	case math.IsInf(f, 1):
		return "inf", true
	case math.IsInf(f, -1):
		return "-inf", true
	case math.IsNaN(f):
		return "nan", true
	}
	return "", false
}

var (
	runeNamesOnce sync.Once
	runeNames     map[string]rune
)

// lookupRuneName is Python's \N{name}: the character of that Unicode name,
// in any case, including "CJK UNIFIED IDEOGRAPH-4E00". Name aliases and
// Hangul syllable names are not known here (an error, as for a name that
// does not exist).
func lookupRuneName(name string) (rune, bool) {
	name = strings.ToUpper(name)
	if hex, ok := strings.CutPrefix(name, "CJK UNIFIED IDEOGRAPH-"); ok && (len(hex) == 4 || len(hex) == 5) {
		v, err := strconv.ParseUint(hex, 16, 32)
		if err == nil && strings.HasPrefix(runenames.Name(rune(v)), "<CJK Ideograph") {
			return rune(v), true
		}
		return 0, false
	}
	runeNamesOnce.Do(func() {
		runeNames = make(map[string]rune, 40000)
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if n := runenames.Name(r); n != "" && n[0] != '<' {
				runeNames[n] = r
			}
		}
	})
	r, ok := runeNames[name]
	return r, ok
}
