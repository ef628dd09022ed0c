package render

import (
	"regexp"
	"slices"
	"strings"

	"github.com/airt/airt/account"
)

// FormatExample is the second line of every FormatError, the original
// client's text.
const FormatExample = "An example of a valid formatting string: {'uuid': '{}', 'username': '{}', 'email': '{}', 'super_user': '{}', 'is_mfa_active': '{}', 'disabled': '{}', 'created': '{}', 'subscription_type': '{}', 'first_name': '{}', 'last_name': '{}', 'phone_number': '{}', 'is_phone_number_verified': '{}'}"

// FormatError is a rejected -f value. The caller prints Error() on stderr
// as it is, two lines, without an "Error: " prefix (as the original client
// did), and exits 1.
type FormatError struct {
	// Problem is the first line, for example
	// "Not a valid python expression: uuid".
	Problem string
	// Hint is the second line, always FormatExample.
	Hint string
}

// Error returns Problem and Hint joined by a newline.
func (e *FormatError) Error() string { return e.Problem + "\n" + e.Hint }

func formatError(problem string) *FormatError {
	return &FormatError{Problem: problem, Hint: FormatExample}
}

// Format is a parsed -f value: the columns to print, in order, each with
// its template. It is immutable; build it with ParseFormat.
type Format struct {
	fields []formatField
}

type formatField struct {
	column   string
	template string
	tmpl     *template
}

// Columns returns the columns f prints, in order.
func (f *Format) Columns() []string {
	cols := make([]string, len(f.fields))
	for i, fl := range f.fields {
		cols[i] = fl.column
	}
	return cols
}

// boolColumns are the columns whose values are Python bools.
var boolColumns = map[string]bool{
	"super_user": true, "is_mfa_active": true, "disabled": true, "is_phone_number_verified": true,
}

// columnList matches the plain form "username,uuid" (spaces allowed).
var columnList = regexp.MustCompile(`^\s*[A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*\s*$`)

// ParseFormat parses a -f value. Call it before any change is made, so a
// bad -f changes nothing. An empty s means -f was not given: it returns
// nil, nil.
//
// Two forms are accepted:
//
//   - The original client's Python dict literal of column to str.format
//     template, for example "{'username': '{}', 'uuid': '{}'}" or
//     '{"username": "User: {:>10}"}'. Keys print in the dict's order.
//     A template takes one positional argument: "{}" or "{0}", then
//     indexes into a str ("{0[0]}") and the number attributes of a bool
//     ("{0.real}", .imag, .numerator, .denominator), an optional
//     conversion (!s, !r, !a) and format spec (fill, align, sign, '#',
//     '0', width, grouping, precision, type), literal text, "{{" and "}}".
//     The value is a Python str, or a bool for super_user, is_mfa_active,
//     disabled and is_phone_number_verified ("{:d}" prints 1 or 0); a
//     missing phone number is None: "{}" prints "None", a spec fails.
//   - A plain column list, "username,uuid", meaning "{}" for each. It is
//     used only when every name is a column (and the text is not a Python
//     literal), so every input the original client accepted or rejected
//     with "Not a valid python expression" behaves the same, except a
//     list of valid column names, which the original rejected.
//
// Errors are *FormatError with the original's texts, plus one of our own
// for an empty dict (the original crashed): "Not a valid python
// expression: <s>", "The format string is not a dictionary: <repr>",
// "The format string is an empty dictionary: {}", "The following columns
// are not valid: {...}. Only the following columns are valid: {...}" and
// "Formatting is wrong for <column>: <template>". Each template is tried
// on sample values of its column's type here: one that fails on all of
// them is an error now; one that fails only on some values (an index past
// the end of a short text, a spec on a missing phone number) fails later,
// in Users, as the original's did.
func ParseFormat(s string) (*Format, error) {
	if s == "" {
		return nil, nil
	}
	v, err := parsePyLiteral(s)
	if err != nil {
		f, bad := parseColumnList(s)
		if f != nil {
			return f, nil
		}
		if len(bad) > 0 && strings.Contains(s, ",") {
			// Clearly meant as a column list: name the unknown columns.
			return nil, invalidColumns(bad)
		}
		return nil, formatError("Not a valid python expression: " + s)
	}
	if v.kind != pyDict {
		return nil, formatError("The format string is not a dictionary: " + pyStrOf(v))
	}
	if len(v.keys) == 0 {
		return nil, formatError("The format string is an empty dictionary: {}")
	}
	var bad []string
	for _, k := range v.keys {
		if k.kind != pyStr || !slices.Contains(account.Columns, k.s) {
			bad = append(bad, pyRepr(k))
		}
	}
	if len(bad) > 0 {
		return nil, invalidColumns(bad)
	}
	f := &Format{}
	dataDependent := false
	for i, k := range v.keys {
		val := v.items[i]
		fl := formatField{column: k.s, template: pyStrOf(val)}
		if val.kind == pyStr {
			if t, err := parseTemplate(val.s); err == nil {
				fl.tmpl = t
			}
		}
		// The original applied the templates column by column, in the
		// dict's order, to the values it printed. A template that fails
		// on every value its column can hold is rejected now, before any
		// change, unless an earlier one may fail first on some values
		// (an index past the end of a short text, a spec on a missing
		// phone number): then the values decide, when printing.
		switch fl.check() {
		case failsAlways:
			if !dataDependent {
				return nil, formatError("Formatting is wrong for " + fl.column + ": " + fl.template)
			}
		case failsSometimes:
			dataDependent = true
		}
		f.fields = append(f.fields, fl)
	}
	return f, nil
}

const (
	failsNever = iota
	failsSometimes
	failsAlways
)

// check tells whether fl's template fails on every value its column can
// hold, on some, or on none. Samples: for text columns the empty text and a
// text longer than any index in the template; for the phone number (and
// created without humanizing) also None; for bool columns True.
func (fl formatField) check() int {
	if fl.tmpl == nil {
		return failsAlways // not a str, or not a valid template
	}
	var samples []cellValue
	if boolColumns[fl.column] {
		samples = []cellValue{{kind: valBool, b: true}}
	} else {
		// Texts are far shorter than maxWidth, so an index past it
		// fails on every value.
		long := 1
		for _, p := range fl.tmpl.parts {
			for _, a := range p.access {
				long = max(long, min(a.index, maxWidth)+1)
			}
		}
		samples = []cellValue{{kind: valStr}, {kind: valStr, s: strings.Repeat("x", long)}}
		if fl.column == "phone_number" || fl.column == "created" {
			samples = append(samples, cellValue{kind: valNone})
		}
	}
	failed := 0
	for _, v := range samples {
		if _, err := fl.tmpl.render(v); err != nil {
			failed++
		}
	}
	switch failed {
	case 0:
		return failsNever
	case len(samples):
		return failsAlways
	}
	return failsSometimes
}

// render formats one value; the error is the original's.
func (fl formatField) render(v cellValue) (string, error) {
	if fl.tmpl != nil {
		if s, err := fl.tmpl.render(v); err == nil {
			return s, nil
		}
	}
	return "", formatError("Formatting is wrong for " + fl.column + ": " + fl.template)
}

// invalidColumns is the original's error for unknown columns; bad holds
// their Python reprs.
func invalidColumns(bad []string) *FormatError {
	valid := make([]string, len(account.Columns))
	for i, c := range account.Columns {
		valid[i] = pyStrRepr(c, false)
	}
	return formatError("The following columns are not valid: {" + strings.Join(bad, ", ") +
		"}. Only the following columns are valid: {" + strings.Join(valid, ", ") + "}")
}

// parseColumnList returns the Format for "col1,col2" when every name is a
// column. Otherwise it returns nil and, when s has the shape of a column
// list, the reprs of the names that are not columns. Repeated names print
// once.
func parseColumnList(s string) (*Format, []string) {
	if !columnList.MatchString(s) {
		return nil, nil
	}
	f := &Format{}
	t, _ := parseTemplate("{}")
	var bad []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(account.Columns, name) {
			bad = append(bad, pyStrRepr(name, false))
			continue
		}
		if !slices.Contains(f.Columns(), name) {
			f.fields = append(f.fields, formatField{column: name, template: "{}", tmpl: t})
		}
	}
	if bad != nil {
		return nil, bad
	}
	return f, nil
}
