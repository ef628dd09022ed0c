package bulk

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/render"
)

// readAll reads every row of src: the good rows and the problems, as
// "LINE: problem" strings.
func readAll(t testing.TB, src string, f Format) ([]Row, []string) {
	t.Helper()
	r, err := NewReader(strings.NewReader(src), f)
	if err != nil {
		var re *RowError
		if !errors.As(err, &re) {
			t.Fatalf("NewReader: %v", err)
		}
		return nil, []string{re.Error()}
	}
	var rows []Row
	var problems []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, problems
		}
		var re *RowError
		switch {
		case errors.As(err, &re):
			problems = append(problems, re.Error())
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			row.set = 0 // compared separately
			rows = append(rows, *row)
		}
	}
}

func TestReader(t *testing.T) {
	created := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	alice := Row{Line: 2, Username: "alice", FirstName: "Alice", LastName: "Liddell", Email: "alice@example.com",
		Password: "alice password", SubscriptionType: "small"}
	tests := []struct {
		name     string
		format   Format
		src      string
		rows     []Row
		problems []string
	}{
		{"csv", CSV, "username,first_name,last_name,email,password,subscription_type\nalice,Alice,Liddell,alice@example.com,alice password,small\n",
			[]Row{alice}, nil},
		{"csv header case, spaces, BOM and CRLF", CSV, "\xef\xbb\xbfUsername, First_Name ,last_name,email,password,subscription_type\r\nalice,Alice,Liddell,alice@example.com,alice password,small\r\n",
			[]Row{alice}, nil},
		{"csv blank lines skipped, lines counted", CSV, "username,first_name,last_name,email,password,subscription_type\n\n\nalice,Alice,Liddell,alice@example.com,alice password,small\n",
			[]Row{func() Row { r := alice; r.Line = 4; return r }()}, nil},
		{"csv quoted newline keeps line numbers", CSV, "username,last_name\na,\"x\ny\"\nb,z\n",
			[]Row{{Line: 2, Username: "a", LastName: "x\ny"}, {Line: 4, Username: "b", LastName: "z"}}, nil},
		{"csv restores neutralised cells", CSV, "username,phone_number,first_name,last_name\n'=x,'+447911123456,'''=y,'plain\n",
			[]Row{{Line: 2, Username: "=x", Phone: "+447911123456", FirstName: "''=y", LastName: "'plain"}}, nil},
		{"csv booleans and created", CSV, "username,super_user,disabled,created,is_mfa_active\na,True,1,2020-05-06T07:08:09Z,true\nb,false,no,,False\n",
			[]Row{{Line: 2, Username: "a", SuperUser: true, Disabled: true, Created: created}, {Line: 3, Username: "b"}}, nil},
		{"csv bad values", CSV, "username,super_user,created\na,perhaps,yesterday\n",
			nil, []string{`line 2: super_user "perhaps": must be true or false; created "yesterday": not an RFC 3339 time like 2024-01-02T03:04:05Z`}},
		{"csv field count", CSV, "username,email\na\nb,b@example.com,extra\n",
			nil, []string{"line 2: 1 fields, but the header has 2 columns", "line 3: 3 fields, but the header has 2 columns"}},
		{"csv bare quote then next row", CSV, "username,email\na\"b,x\nc,c@example.com\n",
			[]Row{{Line: 3, Username: "c", Email: "c@example.com"}}, []string{`line 2: CSV: bare " in non-quoted-field`}},
		{"csv unknown and repeated columns", CSV, "username,colour,username\n",
			nil, []string{`line 1: unknown column "colour" (the columns are ` + strings.Join(knownColumns, ", ") + `); column "username" appears twice`}},
		{"csv no key column", CSV, "first_name,last_name\nA,B\n",
			nil, []string{"line 1: the header names none of username, email, uuid: is the first row a header such as " + exampleHeader + "?"}},
		{"csv empty", CSV, "", nil, []string{"line 1: the file is empty: a CSV import needs a header row such as " + exampleHeader}},
		{"jsonl", JSONL, `{"username":"alice","first_name":"Alice","last_name":"Liddell","email":"alice@example.com","password":"alice password","subscription_type":"small"}` + "\n",
			[]Row{func() Row { r := alice; r.Line = 1; return r }()}, nil},
		{"jsonl types, nulls, blank lines, no final newline", JSONL, "\n  \n" + `{"username":"a","super_user":true,"disabled":"true","phone_number":null,"uuid":"0B0F6C7E-1C4A-4F3E-9D1A-2B3C4D5E6F70","created":"2020-05-06T09:08:09+02:00"}`,
			[]Row{{Line: 3, Username: "a", SuperUser: true, Disabled: true, UUID: "0b0f6c7e-1c4a-4f3e-9d1a-2b3c4d5e6f70", Created: created}}, nil},
		{"jsonl json cells are not restored", JSONL, `{"username":"'=x"}`, []Row{{Line: 1, Username: "'=x"}}, nil},
		{"jsonl bad lines", JSONL, "nope\n[1]\n{\"username\":1,\"super_user\":\"maybe\",\"zz\":0,\"aa\":0}\n{\"username\":\n",
			nil, []string{
				`line 1: not a JSON object: the line starts with "nope"`,
				`line 2: not a JSON object: the line starts with "[1]"`,
				`line 3: username: must be a string, not 1; super_user "maybe": must be true or false; unknown key "aa" (the keys are ` + strings.Join(knownColumns, ", ") + `); unknown key "zz" (the keys are ` + strings.Join(knownColumns, ", ") + `)`,
				`line 4: not a JSON object: unexpected end of JSON input (at byte 12)`,
			}},
		{"jsonl long line", JSONL, `{"username":"` + strings.Repeat("x", MaxLine) + "\"}\n" + `{"username":"b"}` + "\n",
			[]Row{{Line: 2, Username: "b"}}, []string{"line 1: line longer than 1048576 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, problems := readAll(t, tt.src, tt.format)
			if !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows:\n got %+v\nwant %+v", rows, tt.rows)
			}
			if !reflect.DeepEqual(problems, tt.problems) {
				t.Errorf("problems:\n got %q\nwant %q", problems, tt.problems)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for name, want := range map[string]Format{"a.csv": CSV, "A.CSV": CSV, "a.jsonl": JSONL, "a.ndjson": JSONL, "a.json": JSONL, "a.txt": "", "-": ""} {
		if got := FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", name, got, want)
		}
	}
	for head, want := range map[string]Format{`{"a":1}`: JSONL, "\xef\xbb\xbf\n {": JSONL, "username,email": CSV, "": CSV} {
		if got := Sniff([]byte(head)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", head, got, want)
		}
	}
}

func TestValidateRow(t *testing.T) {
	tests := []struct {
		row  Row
		want []string
	}{
		{Row{Username: "a", Email: "a@example.com", Phone: "+44 7911 123456"}, nil},
		{Row{FirstName: "x"}, []string{"the row has no username, email or uuid"}},
		{Row{Username: "a", Password: "p", PasswordHash: "h"}, []string{"give password or password_hash, not both"}},
		{Row{Username: "a", Password: "short"}, []string{"password: must be at least 8 characters long"}},
		{Row{Username: "a", PasswordHash: "$2b$10$IpD0ghIGQDCwLs8HFhN64O5hj1aL4mTsP.Q7P3RKJ4E9IdP6fqwje"}, nil},
		{Row{Username: "a", PasswordHash: "plain"}, []string{"password_hash: must be a bcrypt ($2b$) or argon2id ($argon2id$) hash"}},
		{Row{UUID: "0b0f6c7e1c4a4f3e9d1a2b3c4d5e6f70"}, []string{`uuid "0b0f6c7e1c4a4f3e9d1a2b3c4d5e6f70": not a uuid like 0b0f6c7e-1c4a-4f3e-9d1a-2b3c4d5e6f70`}},
		{Row{Username: "a b", Email: "a@b", SubscriptionType: "huge", FirstName: " "}, []string{
			`username "a b": must not contain spaces or control characters`,
			"first_name: must not be empty",
			`email "a@b": not an email address like alice@example.com`,
			`subscription type "huge" is not valid: use one of small, medium, large (the original server's infobip, captn, test, superuser and captn_trial are accepted too, for migrated users)`,
		}},
	}
	for _, tt := range tests {
		row := tt.row
		if got := ValidateRow(&row); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ValidateRow(%+v):\n got %q\nwant %q", tt.row, got, tt.want)
		}
	}
	row := Row{Username: "a", Phone: "(+44) 7911 123456"}
	ValidateRow(&row)
	if row.Phone != "+447911123456" {
		t.Errorf("phone not normalised: %q", row.Phone)
	}
}

// FuzzReader feeds arbitrary bytes to both readers: they must never panic
// or loop, must report problems with a line inside the input, and every
// good CSV row must survive an export-style round trip of its cells.
func FuzzReader(f *testing.F) {
	f.Add([]byte("username,first_name,last_name,email,password,subscription_type\nalice,Alice,Liddell,alice@example.com,alice password,small\n"), true)
	f.Add([]byte("username,phone_number\n'=x,'+44\n\"a\nb\",c\n"), true)
	f.Add([]byte(`{"username":"a","super_user":true,"phone_number":null}`+"\nnope\n"), false)
	f.Add([]byte("\xef\xbb\xbf{\"created\":\"2020-05-06T07:08:09Z\"}\r\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, csvFormat bool) {
		format := JSONL
		if csvFormat {
			format = CSV
		}
		lines := strings.Count(string(data), "\n") + 1
		r, err := NewReader(strings.NewReader(string(data)), format)
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("NewReader: %v", err)
			}
			return
		}
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more rows than bytes: the reader loops")
			}
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			var re *RowError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("Next: %v", err)
			}
			line := 0
			if re != nil {
				line = re.Line
			} else {
				line = row.Line
			}
			if line < 1 || line > lines {
				t.Fatalf("line %d outside the input's %d lines", line, lines)
			}
			if row != nil && re == nil && format == CSV {
				for _, v := range []string{row.Username, row.FirstName, row.Phone} {
					if got := render.RestoreCell(render.NeutraliseCell(v)); got != v {
						t.Fatalf("cell %q does not round-trip: %q", v, got)
					}
				}
			}
		}
	})
}

// hugeField is a reader of a CSV file whose second record holds a field of
// size bytes, generated as it is read (nothing of that size is in memory),
// and counts what was read.
type hugeField struct {
	head, tail string
	size, pos  int
	read       int
}

func (h *hugeField) Read(p []byte) (int, error) {
	total := len(h.head) + h.size + len(h.tail)
	if h.pos >= total {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && h.pos < total {
		switch {
		case h.pos < len(h.head):
			p[n] = h.head[h.pos]
		case h.pos < len(h.head)+h.size:
			p[n] = 'x'
		default:
			p[n] = h.tail[h.pos-len(h.head)-h.size]
		}
		n++
		h.pos++
	}
	h.read += n
	return n, nil
}

func TestCSVRecordsAreBounded(t *testing.T) {
	for _, quoted := range []bool{false, true} {
		head := "username,first_name,last_name,email,password,subscription_type\n" +
			"ok,O,K,ok@example.com,ok password,small\n\n" +
			"big,B,I,big@example.com,"
		tail := ",small\nafter,A,F,after@example.com,pw after!,small\n"
		if quoted {
			head, tail = head+`"a ""quoted`+"\n", `"`+tail
		}
		src := &hugeField{head: head, tail: tail, size: 100 << 20}
		r, err := NewReader(src, CSV)
		if err != nil {
			t.Fatal(err)
		}
		if row, err := r.Next(); err != nil || row.Username != "ok" {
			t.Fatalf("first row: %v, %v", row, err)
		}
		_, err = r.Next()
		var tl *TooLongError
		if !errors.As(err, &tl) || tl.Line != 4 {
			t.Fatalf("quoted=%v: err = %v, want a TooLongError at line 4", quoted, err)
		}
		if src.read > 2*MaxLine {
			t.Errorf("quoted=%v: read %d bytes of a 100 MB field; the bound is %d", quoted, src.read, MaxLine)
		}
		if _, err := r.Next(); !errors.As(err, &tl) {
			t.Errorf("after a too-long record: %v, want the same error again (reading stops)", err)
		}
	}
}

func TestCSVQuotedNewlinesKeepLineNumbers(t *testing.T) {
	src := "username,first_name,last_name,email,password,subscription_type\n" +
		"a,\"two\nlines\",L,a@example.com,pw a pw a,small\n" +
		"b,\"" + strings.Repeat("y", MaxLine) + "\",L,b@example.com,pw,small\n"
	r, err := NewReader(strings.NewReader(src), CSV)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	var tl *TooLongError
	if _, err := r.Next(); !errors.As(err, &tl) || tl.Line != 4 {
		t.Fatalf("err = %v, want a TooLongError at line 4", err)
	}
}

func TestJSONLDuplicateKeys(t *testing.T) {
	src := `{"username":"a","email":"a@example.com","username":"admin"}
{"username":"b","email":"b@example.com"}
{"username":"c","first_name":"C","nested":{"x":1,"x":2}}
`
	r, err := NewReader(strings.NewReader(src), JSONL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	var re *RowError
	if !errors.As(err, &re) || re.Line != 1 || !strings.Contains(re.Problems[0], `key "username" appears twice`) {
		t.Fatalf("line 1: %v, want a duplicate key problem", err)
	}
	if row, err := r.Next(); err != nil || row.Username != "b" {
		t.Fatalf("line 2: %v, %v", row, err)
	}
	// A duplicate inside a nested value is not a column: the unknown key is
	// the problem there.
	if _, err := r.Next(); !errors.As(err, &re) || !strings.Contains(re.Problems[0], `unknown key "nested"`) {
		t.Fatalf("line 3: %v", err)
	}
}
