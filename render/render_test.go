package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/account"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(isoLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func renderUsers(t *testing.T, users []account.User, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Users(&b, users, opts); err != nil {
		t.Fatalf("Users: %v", err)
	}
	return b.String()
}

// lsUsers rebuilds the users of an `ls` sample printed by the original client,
// whose output the tests below compare byte for byte.
func lsUsers(t *testing.T) ([]account.User, time.Time) {
	now := mustTime(t, "2026-11-30T02:16:39")
	recent := now.Add(-5 * time.Second)
	return []account.User{
		{
			UUID: "d12065d3-48cb-4632-a4cc-db11b843399a", Username: "admin", Email: "admin@example.com",
			SuperUser: true, Created: mustTime(t, "2022-10-27T04:39:16"), SubscriptionType: "small",
			FirstName: "admin_first", LastName: "admin_last", Phone: "441111111111", PhoneVerified: true,
		},
		{
			UUID: "7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8", Username: "alice", Email: "alice@example.com",
			Created: recent, SubscriptionType: "small", FirstName: "alice_first", LastName: "alice_last",
		},
	}, now
}

func TestTable(t *testing.T) {
	lsU, lsNow := lsUsers(t)
	updNow := mustTime(t, "2023-01-02T03:04:05")
	upd := account.User{
		UUID: "88341c0c-eba0-4019-845b-de698a5b381a", Username: "random_user_4748_8390",
		Email: "random_user_4706_7056@email.com", SuperUser: true, Created: updNow,
		SubscriptionType: "small", FirstName: "new_first_name", LastName: "new_last_name",
		PasswordHash: "$argon2id$secret", MFA: &account.MFA{Active: false, SealedSecret: []byte("s")},
	}
	e164 := upd
	e164.Phone = "+447911123456"
	e164.PhoneVerified = true
	e164.MFA = &account.MFA{Active: true}
	e164.Created = updNow.Add(-3 * time.Hour)

	tests := []struct {
		name  string
		users []account.User
		opts  Options
		want  string
	}{
		{
			name:  "update sample (spec 1.7)",
			users: []account.User{upd},
			opts:  Options{Humanize: true, Now: updNow},
			want: "uuid                                  username               email                            super_user    is_mfa_active    disabled    created    subscription_type    first_name      last_name      phone_number    is_phone_number_verified\n" +
				"88341c0c-eba0-4019-845b-de698a5b381a  random_user_4748_8390  random_user_4706_7056@email.com  True          False            False       now        small                new_first_name  new_last_name  <none>          False\n",
		},
		{
			name:  "ls sample with mixed phones (spec 1.7)",
			users: lsU,
			opts:  Options{Humanize: true, Now: lsNow},
			want: "uuid                                  username    email              super_user    is_mfa_active    disabled    created        subscription_type    first_name    last_name      phone_number  is_phone_number_verified\n" +
				"d12065d3-48cb-4632-a4cc-db11b843399a  admin       admin@example.com  True          False            False       4 years ago    small                admin_first   admin_last     441111111111  True\n" +
				"7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8  alice       alice@example.com  False         False            False       5 seconds ago  small                alice_first   alice_last           <none>  False\n",
		},
		{
			name:  "details prints ISO created (transcript)",
			users: lsU[:1],
			opts:  Options{Output: "table"},
			want: "uuid                                  username    email              super_user    is_mfa_active    disabled    created              subscription_type    first_name    last_name      phone_number  is_phone_number_verified\n" +
				"d12065d3-48cb-4632-a4cc-db11b843399a  admin       admin@example.com  True          False            False       2022-10-27T04:39:16  small                admin_first   admin_last     441111111111  True\n",
		},
		{
			name:  "E.164 phone is right-aligned, MFA from the MFA state",
			users: []account.User{e164, upd},
			opts:  Options{Humanize: true, Now: updNow},
			want: "uuid                                  username               email                            super_user    is_mfa_active    disabled    created      subscription_type    first_name      last_name        phone_number  is_phone_number_verified\n" +
				"88341c0c-eba0-4019-845b-de698a5b381a  random_user_4748_8390  random_user_4706_7056@email.com  True          True             False       3 hours ago  small                new_first_name  new_last_name   +447911123456  True\n" +
				"88341c0c-eba0-4019-845b-de698a5b381a  random_user_4748_8390  random_user_4706_7056@email.com  True          False            False       now          small                new_first_name  new_last_name          <none>  False\n",
		},
		{
			name:  "no rows: the header alone (transcript ls: empty default)",
			users: nil,
			opts:  Options{},
			want:  "uuid    username    email    super_user    is_mfa_active    disabled    created    subscription_type    first_name    last_name    phone_number    is_phone_number_verified\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderUsers(t, tt.users, tt.opts)
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if strings.Contains(got, "\x1b") {
				t.Error("escape codes in the plain table")
			}
		})
	}
}

// TestTabulateTypes pins tabulate's type rules on columns the domain does
// not normally produce.
func TestTabulateTypes(t *testing.T) {
	str := func(s string) cellValue { return cellValue{kind: valStr, s: s} }
	none := cellValue{kind: valNone}
	tests := []struct {
		name string
		col  []cellValue
		want string
	}{
		{"text left, stripped", []cellValue{str(" a "), str("bcd")}, "h  \na  \nbcd\n"},
		{"int right, not stripped", []cellValue{str(" 7 "), str("1_000"), str("0044")}, "    h\n   7 \n1_000\n 0044\n"},
		{"float decimal-aligned and g-formatted", []cellValue{str("1.5"), str("10"), str("1e5")}, "       h\n     1.5\n    10  \n100000  \n"},
		{"all None left", []cellValue{none, none}, "h     \n<none>\n<none>\n"},
		{"None in int column right", []cellValue{none, str("12")}, "     h\n<none>\n    12\n"},
		{"True/False strings are bool (left)", []cellValue{str("True"), str("False")}, "h    \nTrue \nFalse\n"},
		{"inf and nan are floats", []cellValue{str("inf"), str("nan")}, "  h\ninf\nnan\n"},
		{"Infinity is text", []cellValue{str("Infinity")}, "h       \nInfinity\n"},
		{"Arabic-Indic digits are ints", []cellValue{str("\u0661\u0662")}, "  h\n \u0661\u0662\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := make([][]cellValue, len(tt.col))
			for i, c := range tt.col {
				rows[i] = []cellValue{c, str("x")}
			}
			var b bytes.Buffer
			if err := writePlainTable(&b, []string{"h", "y"}, rows, "<none>", Stream{}); err != nil {
				t.Fatal(err)
			}
			// Keep only the first column (and its separator) to compare.
			var got strings.Builder
			for _, line := range strings.SplitAfter(b.String(), "\n") {
				if line == "" {
					continue
				}
				line = strings.TrimSuffix(line, "\n")
				got.WriteString(line[:len(line)-len("  x")] + "\n")
			}
			if got.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q\nfull\n%q", got.String(), tt.want, b.String())
			}
		})
	}
}

func TestQuiet(t *testing.T) {
	users, now := lsUsers(t)
	if got := renderUsers(t, users, Options{Quiet: true, Now: now}); got != "d12065d3-48cb-4632-a4cc-db11b843399a\n7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8\n" {
		t.Errorf("quiet: %q", got)
	}
	if got := renderUsers(t, nil, Options{Quiet: true}); got != "\n" {
		t.Errorf("quiet, no rows: %q", got)
	}
}

func TestJSON(t *testing.T) {
	users, _ := lsUsers(t)
	users[0].PasswordHash = "$argon2id$v=19$secret"
	users[0].MFA = &account.MFA{Active: true, SealedSecret: []byte("sealed")}
	users[0].SSO = map[string]string{"google": "a@b.c"}
	users[1].Created = users[1].Created.Add(123 * time.Millisecond)
	users[1].Username = "a<b>&c"
	got := renderUsers(t, users, Options{Output: "json"})
	want := `[
  {
    "uuid": "d12065d3-48cb-4632-a4cc-db11b843399a",
    "username": "admin",
    "email": "admin@example.com",
    "super_user": true,
    "is_mfa_active": true,
    "disabled": false,
    "created": "2022-10-27T04:39:16Z",
    "subscription_type": "small",
    "first_name": "admin_first",
    "last_name": "admin_last",
    "phone_number": "441111111111",
    "is_phone_number_verified": true
  },
  {
    "uuid": "7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8",
    "username": "a<b>&c",
    "email": "alice@example.com",
    "super_user": false,
    "is_mfa_active": false,
    "disabled": false,
    "created": "2026-11-30T02:16:34Z",
    "subscription_type": "small",
    "first_name": "alice_first",
    "last_name": "alice_last",
    "phone_number": null,
    "is_phone_number_verified": false
  }
]
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, secret := range []string{"argon2id", "sealed", "c2VhbGVk", "google"} {
		if strings.Contains(got, secret) {
			t.Errorf("json leaks %q", secret)
		}
	}
	if got := renderUsers(t, nil, Options{Output: "json"}); got != "[]\n" {
		t.Errorf("empty json: %q", got)
	}
}

func TestCSV(t *testing.T) {
	users, _ := lsUsers(t)
	users[1].FirstName = "=HYPERLINK(\"x\")"
	users[1].LastName = "O'Brien, Jr"
	header := "uuid,username,email,super_user,is_mfa_active,disabled,created,subscription_type,first_name,last_name,phone_number,is_phone_number_verified\n"
	row0 := "d12065d3-48cb-4632-a4cc-db11b843399a,admin,admin@example.com,true,false,false,2022-10-27T04:39:16Z,small,admin_first,admin_last,441111111111,true\n"
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"plain", Options{Output: "csv"}, header + row0 +
			"7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8,alice,alice@example.com,false,false,false,2026-11-30T02:16:34Z,small,\"=HYPERLINK(\"\"x\"\")\",\"O'Brien, Jr\",,false\n"},
		{"neutralised", Options{Output: "csv", NeutraliseFormulas: true}, header + row0 +
			"7f14fe1b-3c44-4bad-b1b8-e0da5a3429e8,alice,alice@example.com,false,false,false,2026-11-30T02:16:34Z,small,\"'=HYPERLINK(\"\"x\"\")\",\"O'Brien, Jr\",,false\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderUsers(t, users, tt.opts); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	if got := renderUsers(t, nil, Options{Output: "csv"}); got != header {
		t.Errorf("empty csv: %q", got)
	}
}

func TestNeutraliseCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"alice", "alice"},
		{"=1+1", "'=1+1"},
		{"+44", "'+44"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"'=1+1", "''=1+1"},
		{"''-x", "'''-x"},
		{"'plain", "'plain"},
		{"'", "'"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		got := NeutraliseCell(tt.in)
		if got != tt.want {
			t.Errorf("NeutraliseCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := RestoreCell(got); back != tt.in {
			t.Errorf("RestoreCell(%q) = %q, want %q", got, back, tt.in)
		}
	}
}

func TestUnknownOutput(t *testing.T) {
	if err := Users(&bytes.Buffer{}, nil, Options{Output: "yaml"}); err == nil {
		t.Error("want an error for an unknown output")
	}
}
