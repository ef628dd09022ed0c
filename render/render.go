// Package render writes users in airt's output modes (README "Output"): the
// original client's plain table, -q (uuids), -f (the original's Python dict
// of templates, byte-compatible), and --output json or csv for scripts.
//
// It never prints on its own, never exits and never reads the environment:
// everything goes to the io.Writer it is given, and the clock comes from
// Options.Now.
package render

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/airt/airt/account"
)

// Output modes accepted in Options.Output.
const (
	OutputTable = "table"
	OutputJSON  = "json"
	OutputCSV   = "csv"
)

// isoLayout is how the original's details printed created (naive UTC).
const isoLayout = "2006-01-02T15:04:05"

// Options selects the output mode. Precedence as the original: Format (-f,
// non-nil) > Quiet (-q) > Output.
type Options struct {
	// Format is the parsed -f, nil if not given (see ParseFormat).
	Format *Format
	// Quiet (-q) prints the uuids, one per line.
	Quiet bool
	// Output is "" or "table" (the default table), "json" or "csv".
	Output string
	// Humanize prints created as an age ("5 seconds ago"), as the
	// original's create, ls, update, enable and disable did; false prints
	// "2006-01-02T15:04:05" in UTC, as its details did. It applies to the
	// table and -f; json and csv always carry the timestamp.
	Humanize bool
	// Now is the clock for Humanize; the zero time means time.Now().
	Now time.Time
	// Stream says whether stdout is a terminal (and NO_COLOR): off a
	// terminal the table and -f are byte-identical to the original's;
	// on one, aligned by display width and safe for the terminal.
	Stream Stream
	// NeutraliseFormulas passes every CSV data cell through NeutraliseCell
	// (for exports opened in spreadsheets). Scripts leave it off.
	NeutraliseFormulas bool
}

// Users writes users to w in the mode opts selects. Errors are those of w,
// one for an unknown opts.Output, and a *FormatError when a -f template
// fails on a value (then nothing has been written).
func Users(w io.Writer, users []account.User, opts Options) error {
	if opts.Humanize && opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	switch {
	case opts.Format != nil:
		return writeFormat(w, users, opts)
	case opts.Quiet:
		uuids := make([]string, len(users))
		for i := range users {
			uuids[i] = users[i].UUID
		}
		_, err := io.WriteString(w, strings.Join(uuids, "\n")+"\n")
		return err
	}
	switch opts.Output {
	case "", OutputTable:
		rows := make([][]cellValue, len(users))
		for i := range users {
			rows[i] = make([]cellValue, len(account.Columns))
			for c, col := range account.Columns {
				rows[i][c] = userCell(&users[i], col, opts)
			}
		}
		return writePlainTable(w, account.Columns, rows, "<none>", opts.Stream)
	case OutputJSON:
		return writeJSON(w, users)
	case OutputCSV:
		return writeCSV(w, users, opts.NeutraliseFormulas)
	}
	return fmt.Errorf("unknown output format %q: use table, json or csv", opts.Output)
}

// userCell is the value of column col of u as the original client saw it:
// a str, a bool, or None for a missing phone number or created time.
func userCell(u *account.User, col string, opts Options) cellValue {
	str := func(s string) cellValue { return cellValue{kind: valStr, s: s} }
	boolean := func(b bool) cellValue { return cellValue{kind: valBool, b: b} }
	switch col {
	case "uuid":
		return str(u.UUID)
	case "username":
		return str(u.Username)
	case "email":
		return str(u.Email)
	case "super_user":
		return boolean(u.SuperUser)
	case "is_mfa_active":
		return boolean(u.MFAActive())
	case "disabled":
		return boolean(u.Disabled)
	case "created":
		if u.Created.IsZero() {
			if opts.Humanize {
				// The original humanized a missing created as the
				// text "None" (a str, so the table does not print
				// <none> there).
				return str("None")
			}
			return cellValue{kind: valNone}
		}
		if opts.Humanize {
			return str(Humanize(opts.Now, u.Created))
		}
		return str(u.Created.UTC().Format(isoLayout))
	case "subscription_type":
		return str(u.SubscriptionType)
	case "first_name":
		return str(u.FirstName)
	case "last_name":
		return str(u.LastName)
	case "phone_number":
		if u.Phone == "" {
			return cellValue{kind: valNone}
		}
		return str(u.Phone)
	case "is_phone_number_verified":
		return boolean(u.PhoneVerified)
	}
	return cellValue{kind: valNone}
}

// writeFormat prints the -f output: one column gives the bare values, one
// per line (a lone newline when there are no users); more give the plain
// table of the templated texts.
func writeFormat(w io.Writer, users []account.User, opts Options) error {
	f := opts.Format
	rows := make([][]cellValue, len(users))
	for i := range users {
		rows[i] = make([]cellValue, len(f.fields))
	}
	// Column by column in the -f order, as the original, so that the
	// first failing column is the one it blamed.
	for c, fl := range f.fields {
		for i := range users {
			s, err := fl.render(userCell(&users[i], fl.column, opts))
			if err != nil {
				return err
			}
			rows[i][c] = cellValue{kind: valStr, s: s}
		}
	}
	if len(f.fields) == 1 {
		lines := make([]string, len(rows))
		for i, r := range rows {
			lines[i] = r[0].s
		}
		_, err := io.WriteString(w, opts.Stream.Text(strings.Join(lines, "\n")+"\n"))
		return err
	}
	return writePlainTable(w, f.Columns(), rows, "None", opts.Stream)
}

// JSONUser is one element of --output json: the 12 public columns, under
// their column names, in this order. created is RFC 3339 in UTC to the
// second ("2024-01-02T03:04:05Z"), null if unknown; phone_number is E.164
// or null. These names are a stable interface for scripts.
type JSONUser struct {
	UUID                  string  `json:"uuid"`
	Username              string  `json:"username"`
	Email                 string  `json:"email"`
	SuperUser             bool    `json:"super_user"`
	IsMFAActive           bool    `json:"is_mfa_active"`
	Disabled              bool    `json:"disabled"`
	Created               *string `json:"created"`
	SubscriptionType      string  `json:"subscription_type"`
	FirstName             string  `json:"first_name"`
	LastName              string  `json:"last_name"`
	PhoneNumber           *string `json:"phone_number"`
	IsPhoneNumberVerified bool    `json:"is_phone_number_verified"`
}

// NewJSONUser returns the public view of u for --output json. It carries
// no secret.
func NewJSONUser(u *account.User) JSONUser {
	j := JSONUser{
		UUID: u.UUID, Username: u.Username, Email: u.Email,
		SuperUser: u.SuperUser, IsMFAActive: u.MFAActive(), Disabled: u.Disabled,
		SubscriptionType: u.SubscriptionType, FirstName: u.FirstName, LastName: u.LastName,
		IsPhoneNumberVerified: u.PhoneVerified,
	}
	if c := rfc3339(u.Created); c != "" {
		j.Created = &c
	}
	if u.Phone != "" {
		p := u.Phone
		j.PhoneNumber = &p
	}
	return j
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// writeJSON writes a JSON array of JSONUser ("[]" for none), indented by
// two spaces, with a final newline. HTML characters are not escaped.
func writeJSON(w io.Writer, users []account.User) error {
	out := make([]JSONUser, len(users))
	for i := range users {
		out[i] = NewJSONUser(&users[i])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// writeCSV writes an RFC 4180 CSV: a header of the 12 column names, then
// one row per user; booleans are true/false, created is RFC 3339 UTC,
// unknown values are empty.
func writeCSV(w io.Writer, users []account.User, neutralise bool) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(account.Columns); err != nil {
		return err
	}
	b := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	for i := range users {
		u := &users[i]
		rec := []string{
			u.UUID, u.Username, u.Email, b(u.SuperUser), b(u.MFAActive()), b(u.Disabled),
			rfc3339(u.Created), u.SubscriptionType, u.FirstName, u.LastName, u.Phone, b(u.PhoneVerified),
		}
		if neutralise {
			for k := range rec {
				rec[k] = NeutraliseCell(rec[k])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// formulaStart reports whether s, after any leading apostrophes, starts
// with a character a spreadsheet reads as the start of a formula.
func formulaStart(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// NeutraliseCell protects a CSV cell against spreadsheet formula injection
// (OWASP "CSV injection"). The scheme: a cell that matches ^'*[=+\-@\t\r]
// (a formula character, possibly after apostrophes) gets one more leading
// apostrophe; any other cell is unchanged. So "=1+1" becomes "'=1+1", and
// "'=1+1" becomes "”=1+1", which keeps the mapping reversible.
func NeutraliseCell(s string) string {
	if formulaStart(s) {
		return "'" + s
	}
	return s
}

// RestoreCell undoes NeutraliseCell: a cell that matches ^'+[=+\-@\t\r]
// loses exactly one leading apostrophe; any other cell is unchanged.
// RestoreCell(NeutraliseCell(s)) == s for every s.
func RestoreCell(s string) string {
	if strings.HasPrefix(s, "'") && formulaStart(s) {
		return s[1:]
	}
	return s
}
