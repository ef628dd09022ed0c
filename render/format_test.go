package render

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/airt/airt/account"
)

func mustFormat(t *testing.T, s string) *Format {
	t.Helper()
	f, err := ParseFormat(s)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", s, err)
	}
	return f
}

func TestFormatOutput(t *testing.T) {
	users, now := lsUsers(t)
	admin, alice := users[:1], users[1:]
	newbie := []account.User{{
		UUID: "97264b33-96de-4b75-9d30-efdc5024f289", Username: "newbie", SuperUser: true,
		Phone: "440123456789", Created: now.Add(-5 * time.Second),
	}}
	tests := []struct {
		name   string
		format string
		users  []account.User
		want   string
	}{
		{"single column (transcript)", "{'uuid': '{}'}", admin, "d12065d3-48cb-4632-a4cc-db11b843399a\n"},
		{"single column, several rows", "{'username': '{}'}", users, "admin\nalice\n"},
		{"single column, no rows", "{'username': '{}'}", nil, "\n"},
		{"several columns, no rows", "{'username': '{}', 'uuid': '{}'}", nil, "username    uuid\n"},
		{"None phone prints None, left-aligned (transcript)",
			"{'username': '{}', 'uuid': '{}', 'phone_number': '{}', 'super_user': '{}'}", alice,
			"username    uuid                                  phone_number    super_user\n" +
				"alice       7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8  None            False\n"},
		{"numeric phone right-aligned (transcript create -f)",
			"{'username': '{}', 'uuid': '{}', 'phone_number': '{}', 'super_user': '{}', 'created': '{}'}", newbie,
			"username    uuid                                    phone_number  super_user    created\n" +
				"newbie      97264b33-96de-4b75-9d30-efdc5024f289    440123456789  True          5 seconds ago\n"},
		{"double quotes", `{"username": "{}"}`, admin, "admin\n"},
		{"fancy (transcript)", "{'username': 'User: {:>10}', 'super_user': '[{}]'}", admin,
			"username          super_user\nUser:      admin  [True]\n"},
		{"{:d} on a bool prints 1 (transcript)", "{'super_user': '{:d}'}", admin, "1\n"},
		{"{:d} column is numeric", "{'username': '{}', 'disabled': '{:d}'}", admin,
			"username      disabled\nadmin                0\n"},
		{"{:>10} alone", "{'username': '{:>10}'}", admin, "     admin\n"},
		{"{:>10} in a table is stripped (tabulate)", "{'username': '{:>10}', 'uuid': '{0}'}", admin,
			"username    uuid\nadmin       d12065d3-48cb-4632-a4cc-db11b843399a\n"},
		{"constant", "{'username': 'constant'}", users, "constant\nconstant\n"},
		{"escaped braces", "{'username': '{{}}{}'}", admin, "{}admin\n"},
		{"{0} twice", "{'username': '{0}-{0}'}", admin, "admin-admin\n"},
		{"repr conversion", "{'username': '{!r}', 'phone_number': '{!r:>8}'}", alice,
			"username    phone_number\n'alice'     None\n"},
		{"index and number attribute", "{'username': '{0[0]}{0[4]}', 'super_user': '{0.real}{0.imag:>2}'}", admin,
			"username    super_user\nan          1 0\n"},
		{"named escape", "{'username': '\\N{BULLET} {}'}", admin, "\u2022 admin\n"},
		{"plain column list", "username, uuid", users,
			"username    uuid\nadmin       d12065d3-48cb-4632-a4cc-db11b843399a\nalice       7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8\n"},
		{"plain column list, one column", "uuid", admin, "d12065d3-48cb-4632-a4cc-db11b843399a\n"},
		{"duplicate keys keep the first position", "{'uuid': 'a', 'username': '{}', 'uuid': '{}'}", admin,
			"uuid                                  username\nd12065d3-48cb-4632-a4cc-db11b843399a  admin\n"},
		{"created humanized in -f", "{'created': '{}'}", admin, "4 years ago\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			// -q is ignored when -f is given (transcript "-f and -q together").
			opts := Options{Format: mustFormat(t, tt.format), Quiet: true, Output: "json", Humanize: true, Now: now}
			if err := Users(&b, tt.users, opts); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

// TestFormatErrorWhenPrinting: a template that fails only on some values
// (a spec on a missing phone number, an index past the end of a text) is
// reported when the values are printed, blaming the first column in the
// -f order that fails, as the original did.
func TestFormatErrorWhenPrinting(t *testing.T) {
	users := []account.User{{UUID: "d12065d3", Username: "admin"}}
	tests := []struct{ format, blamed string }{
		{"{'phone_number': '{:>6}'}", "phone_number: {:>6}"},
		{"{'username': '{0[9]}', 'uuid': '{:d}'}", "username: {0[9]}"},
		{"{'username': '{0[1]}', 'uuid': '{:d}'}", "uuid: {:d}"},
	}
	for _, tt := range tests {
		f, err := ParseFormat(tt.format)
		if err != nil {
			t.Fatalf("ParseFormat(%q): %v", tt.format, err)
		}
		var b bytes.Buffer
		err = Users(&b, users, Options{Format: f})
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Problem != "Formatting is wrong for "+tt.blamed {
			t.Errorf("%s: got %v, want Formatting is wrong for %s", tt.format, err, tt.blamed)
		}
		if b.Len() != 0 {
			t.Errorf("%s: printed %q before the error", tt.format, b.String())
		}
	}
	// With no users nothing is formatted, so nothing fails.
	f, _ := ParseFormat("{'phone_number': '{:>6}'}")
	var b bytes.Buffer
	if err := Users(&b, nil, Options{Format: f}); err != nil || b.String() != "\n" {
		t.Errorf("no users: %q, %v", b.String(), err)
	}
}

func TestParseFormatEmpty(t *testing.T) {
	f, err := ParseFormat("")
	if f != nil || err != nil {
		t.Errorf("ParseFormat(\"\") = %v, %v; want nil, nil", f, err)
	}
}

func TestParseFormatErrors(t *testing.T) {
	valid := "{'uuid', 'username', 'email', 'super_user', 'is_mfa_active', 'disabled', 'created', 'subscription_type', 'first_name', 'last_name', 'phone_number', 'is_phone_number_verified'}"
	tests := []struct{ in, problem string }{
		{"uuid,", "Not a valid python expression: uuid,"},
		{"nope", "Not a valid python expression: nope"},
		{"username,nope", "The following columns are not valid: {'nope'}. Only the following columns are valid: {'uuid', 'username', 'email', 'super_user', 'is_mfa_active', 'disabled', 'created', 'subscription_type', 'first_name', 'last_name', 'phone_number', 'is_phone_number_verified'}"},
		{"{'uuid': '{}'", "Not a valid python expression: {'uuid': '{}'"},
		{"{'uuid': f'{}'}", "Not a valid python expression: {'uuid': f'{}'}"},
		{"['uuid']", "The format string is not a dictionary: ['uuid']"},
		{"'uuid'", "The format string is not a dictionary: uuid"},
		{"''", "The format string is not a dictionary: "},
		{"...", "The format string is not a dictionary: Ellipsis"},
		{"{...: '{}', 1j: '{}'}", "The following columns are not valid: {Ellipsis, 1j}. Only the following columns are valid: " + valid},
		{"{'uuid'}", "The format string is not a dictionary: {'uuid'}"},
		{"1.5e20, None, (1,)", "The format string is not a dictionary: (1.5e+20, None, (1,))"},
		{`"it's"`, `The format string is not a dictionary: it's`},
		{"{'username': '{0.upper}'}", "Formatting is wrong for username: {0.upper}"},
		{"{'username': '{0[a]}'}", "Formatting is wrong for username: {0[a]}"},
		{"{'super_user': '{0[0]}'}", "Formatting is wrong for super_user: {0[0]}"},
		{"{}", "The format string is an empty dictionary: {}"},
		{"{'nope': '{}', 'uuid': '{}'}", "The following columns are not valid: {'nope'}. Only the following columns are valid: " + valid},
		{"{'a': 1, 2: '{}', 'uuid': '{}'}", "The following columns are not valid: {'a', 2}. Only the following columns are valid: " + valid},
		{"{'username': '{}{}'}", "Formatting is wrong for username: {}{}"},
		{"{'username': '{name}'}", "Formatting is wrong for username: {name}"},
		{"{'username': '{1}'}", "Formatting is wrong for username: {1}"},
		{"{'username': '{}{0}'}", "Formatting is wrong for username: {}{0}"},
		{"{'username': '{:d}'}", "Formatting is wrong for username: {:d}"},
		{"{'username': '{:=5}'}", "Formatting is wrong for username: {:=5}"},
		{"{'username': '{:+}'}", "Formatting is wrong for username: {:+}"},
		{"{'super_user': '{:.2}'}", "Formatting is wrong for super_user: {:.2}"},
		{"{'super_user': '{:s}'}", "Formatting is wrong for super_user: {:s}"},
		{"{'username': '}'}", "Formatting is wrong for username: }"},
		{"{'username': '{'}", "Formatting is wrong for username: {"},
		{"{'username': '{!x}'}", "Formatting is wrong for username: {!x}"},
		{"{'username': '{:99999999}'}", "Formatting is wrong for username: {:99999999}"},
		{"{'uuid': '{}', 'username': 1}", "Formatting is wrong for username: 1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseFormat(tt.in)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFormat(%q) = %v, %v; want a FormatError", tt.in, f, err)
			}
			if fe.Problem != tt.problem {
				t.Errorf("problem\n got %q\nwant %q", fe.Problem, tt.problem)
			}
			if fe.Hint != FormatExample {
				t.Errorf("hint %q", fe.Hint)
			}
			if want := tt.problem + "\n" + FormatExample; err.Error() != want {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

// TestFormatSpec pins Python's format() results (checked with CPython
// 3.11) for the spec mini-language on the values -f sees.
func TestFormatSpec(t *testing.T) {
	tru := cellValue{kind: valBool, b: true}
	fls := cellValue{kind: valBool}
	ab := cellValue{kind: valStr, s: "ab"}
	none := cellValue{kind: valNone}
	tests := []struct {
		v    cellValue
		spec string
		want string
	}{
		{tru, "", "True"},
		{fls, "", "False"},
		{none, "", "None"},
		{tru, "d", "1"},
		{fls, "d", "0"},
		{tru, "<", "1"},
		{tru, ">5", "    1"},
		{tru, "^+5", " +1  "},
		{tru, "=6", "     1"},
		{tru, "x=+6", "+xxxx1"},
		{tru, "04,", "0,001"},
		{tru, "05,", "0,001"},
		{tru, "06,", "00,001"},
		{tru, "0=7,", "000,001"},
		{tru, "010_b", "0_0000_0001"},
		{tru, "#010_b", "0b000_0001"},
		{tru, "#x", "0x1"},
		{tru, "+08.2f", "+0001.00"},
		{tru, ",.1%", "100.0%"},
		{tru, "#.0e", "1.e+00"},
		{tru, "e", "1.000000e+00"},
		{tru, "#g", "1.00000"},
		{fls, "g", "0"},
		{tru, "012,.2f", "0,000,001.00"},
		{ab, "05", "ab000"},
		{ab, ".1", "a"},
		{ab, "x^6", "xxabxx"},
		{ab, "^5", " ab  "},
		{ab, ">5.1", "    a"},
		{ab, "s", "ab"},
		{ab, "*<4", "ab**"},
	}
	for _, tt := range tests {
		got, err := formatValue(tt.v, tt.spec)
		if err != nil || got != tt.want {
			t.Errorf("format(%s, %q) = %q, %v; want %q", tt.v.repr(), tt.spec, got, err, tt.want)
		}
	}
}

// TestPyLiteral pins ast.literal_eval plus repr (checked with CPython 3.11).
func TestPyLiteral(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\n1", "1"},
		{" 1", "1"},
		{"1\n", "1"},
		{"1 # comment", "1"},
		{"(1,\n2)", "(1, 2)"},
		{"1,2", "(1, 2)"},
		{"{1: 2, True: 3}", "{1: 3}"},
		{"0x1f", "31"},
		{"-1_0.5e1_0", "-105000000000.0"},
		{"1e16", "1e+16"},
		{"1e15", "1000000000000000.0"},
		{".5", "0.5"},
		{"000", "0"},
		{`"a" 'b'`, "'ab'"},
		{"set()", "set()"},
		{`r"\""`, `'\\"'`},
		{`'\x00\x7f\xa0\u2028é'`, `'\x00\x7f\xa0\u2028é'`},
		{`b"\x00a\xff'"`, `b"\x00a\xff'"`},
		{`'''a\nb'''`, `'a\nb'`},
		{`"\101\t"`, `'A\t'`},
		{`'\d'`, `'\\d'`},
		{"[1, [2, (3,)], {'a': None}]", "[1, [2, (3,)], {'a': None}]"},
		{"{1, 1.0, 2}", "{1, 2}"},
		{"1j", "1j"},
		{"1+2j", "(1+2j)"},
		{"-1.5-0j", "(-1.5-0j)"},
		{"-1j", "(-0-1j)"},
		{"2.5e20J", "2.5e+20j"},
		{"...", "Ellipsis"},
		{"[..., (...,)]", "[Ellipsis, (Ellipsis,)]"},
		{`'\N{BULLET}\N{em dash}\N{CJK UNIFIED IDEOGRAPH-5C71}'`, "'\u2022\u2014\u5c71'"},
	}
	for _, tt := range tests {
		v, err := parsePyLiteral(tt.in)
		if err != nil {
			t.Errorf("parsePyLiteral(%q): %v", tt.in, err)
			continue
		}
		if got := pyRepr(v); got != tt.want {
			t.Errorf("repr(literal_eval(%q)) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"\n 1", "-True", "007", "1 + 2", "--1", "[1", "'a' b'b'", "{[1]: 2}", "{1: 2,,}", "x", "1j+1", "1+1", "1j+1j", "'\n'", "b'é'", "f'x'", "'\\N{DASH}'", "'\\N{BULLET'", "'\\N'", "0x1j", "(1 2)", "{**a}"} {
		if v, err := parsePyLiteral(bad); err == nil {
			t.Errorf("parsePyLiteral(%q) = %s, want an error", bad, pyRepr(v))
		}
	}
}

// FuzzParseFormat checks that ParseFormat never panics and that a Format
// it accepts renders without error.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{
		"{'uuid': '{}'}", "{'username': 'User: {:>10}', 'super_user': '[{}]'}", "{'super_user': '{:#010_b}'}",
		"username,uuid", "['uuid']", "{}", "{'a': 1}", `{"phone_number": "{!r:^20.3}"}`, "{'created': '{0}{0}'}",
		"(1, 2.5e-7, b'x', None, {1: {2: [3]}})", "{'username': '{:x<10,}'}", "'''\\x41'''",
	} {
		f.Add(s)
	}
	users := []account.User{{UUID: "u", Username: "n", SuperUser: true, Created: time.Unix(0, 0)}, {UUID: "v", Phone: "+1"}}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := ParseFormat(s)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFormat(%q) returned a non-FormatError: %v", s, err)
			}
			return
		}
		if fm == nil {
			if s != "" {
				t.Fatalf("ParseFormat(%q) = nil, nil", s)
			}
			return
		}
		// A template may still fail on some values (an index past the
		// end): then with the original's FormatError.
		var b bytes.Buffer
		if err := Users(&b, users, Options{Format: fm, Humanize: true, Now: time.Unix(100, 0)}); err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Users with %q: %v", s, err)
			}
		}
	})
}

// TestHugeIndex: an index far past any text is refused without building a
// sample that long.
func TestHugeIndex(t *testing.T) {
	for _, f := range []string{"{'username': '{0[9223372036854775807]}'}", "{'username': '{0[99999999999999999999]}'}"} {
		if _, err := ParseFormat(f); err == nil {
			t.Errorf("ParseFormat(%q) accepted", f)
		}
	}
}
