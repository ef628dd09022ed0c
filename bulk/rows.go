// Package bulk is airt's bulk provisioning: it reads user rows from CSV or
// JSON Lines one at a time (memory does not grow with the file), checks them
// against the rules and the store (Checker), applies them in chunks through
// the same localstore.Tx.Apply as `airt user create` (Importer), and writes
// every user out again (Export). It never prints on its own and never exits:
// results go to the io.Writer it is given.
//
// # Columns
//
// A CSV file has a header row; a JSON Lines file has one object per line
// whose keys are the same names. The columns are the long names of the
// create flags, plus password_hash and the read-only columns of the export:
//
//	username, first_name, last_name, email, subscription_type   required for a new user
//	password | password_hash                                    one of them for a new user
//	super_user, phone_number                                    optional
//	uuid, created, disabled                                     optional: kept when creating
//	is_mfa_active, is_phone_number_verified                     ignored (states a user proves)
//
// password_hash is a bcrypt ($2a$, $2b$, $2y$) or argon2id PHC hash, so a
// directory can be migrated without knowing its passwords. Booleans are
// true/false (also True/False, 1/0); created is RFC 3339. In CSV, a cell
// that export neutralised against spreadsheet formula injection (a leading
// apostrophe before = + - @ tab or CR, see render.NeutraliseCell) is
// restored, so an export imports back unchanged.
package bulk

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airt/airt/render"
)

// Format is the syntax of an import file.
type Format string

// The import formats.
const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// FormatOf returns the format a file name's extension implies: .csv is CSV,
// .jsonl, .ndjson and .json are JSON Lines; "" when the extension says
// nothing.
func FormatOf(name string) Format {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".csv"):
		return CSV
	case strings.HasSuffix(lower, ".jsonl"), strings.HasSuffix(lower, ".ndjson"), strings.HasSuffix(lower, ".json"):
		return JSONL
	}
	return ""
}

// Sniff returns the format of a stream from its first bytes: JSON Lines when
// the first non-blank byte is '{', CSV otherwise.
func Sniff(head []byte) Format {
	head = bytes.TrimPrefix(head, utf8BOM)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return JSONL
	}
	return CSV
}

var utf8BOM = []byte("\xef\xbb\xbf")

// Column names.
const (
	colUsername      = "username"
	colFirstName     = "first_name"
	colLastName      = "last_name"
	colEmail         = "email"
	colPassword      = "password"
	colPasswordHash  = "password_hash"
	colSubscription  = "subscription_type"
	colSuperUser     = "super_user"
	colPhone         = "phone_number"
	colUUID          = "uuid"
	colCreated       = "created"
	colDisabled      = "disabled"
	colMFA           = "is_mfa_active"
	colPhoneVerified = "is_phone_number_verified"
)

// columnBit gives each known column a bit of Row.Set.
var columnBit = map[string]uint32{}

// knownColumns lists the accepted columns, in the order of the doc comment.
var knownColumns = []string{
	colUsername, colFirstName, colLastName, colEmail, colSubscription,
	colPassword, colPasswordHash, colSuperUser, colPhone,
	colUUID, colCreated, colDisabled, colMFA, colPhoneVerified,
}

func init() {
	for i, c := range knownColumns {
		columnBit[c] = 1 << i
	}
}

// Row is one user of an import file, decoded but not yet checked against
// the rules (Checker does that).
type Row struct {
	// Line is the line of the file the row starts on (1-based).
	Line int

	Username, FirstName, LastName, Email string
	SubscriptionType                     string
	Password, PasswordHash               string
	Phone                                string
	UUID                                 string
	SuperUser, Disabled                  bool
	Created                              time.Time

	// set has a bit for each column the row carries (CSV: the header's
	// columns; JSON Lines: the keys present).
	set uint32
}

// Has reports whether the row carries the column (even empty).
func (r *Row) Has(column string) bool { return r.set&columnBit[column] != 0 }

// RowError is a bad row: its line and every problem found in it. Reading
// goes on after one.
type RowError struct {
	Line     int
	Problems []string
	// Header is set for a bad CSV header (NewReader): no row can be read.
	Header bool
}

func (e *RowError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, strings.Join(e.Problems, "; "))
}

// MaxLine is the longest JSON Lines line (and CSV record) accepted, so a
// damaged file cannot make the reader hold it all.
const MaxLine = 1 << 20

// TooLongError is a CSV record longer than MaxLine bytes (a 100 MB field, or
// a quote never closed). The CSV reader cannot find the next record's start
// with certainty after one, so reading stops there.
type TooLongError struct {
	// Line is the line the record starts on.
	Line int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("line %d: a CSV record longer than %d bytes (a huge field, or a quote never closed)", e.Line, MaxLine)
}

// recordLimiter sits between the file and encoding/csv, which holds a whole
// record in memory however long it is. It follows the quoting as the bytes
// pass (every '"' toggles; a doubled "" toggles twice) to find where records
// start, and fails a read once the current record passes MaxLine bytes.
type recordLimiter struct {
	r       io.Reader
	inQuote bool
	line    int // line of the next byte
	start   int // line the current record started on
	n       int // bytes of the current record so far
	err     error
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		l.n++
		if l.n > MaxLine {
			l.err = &TooLongError{Line: l.start}
			return i, l.err
		}
		switch p[i] {
		case '"':
			l.inQuote = !l.inQuote
		case '\n':
			l.line++
			if !l.inQuote {
				l.n, l.start = 0, l.line
			}
		}
	}
	return n, err
}

// Reader reads rows from an import file, one at a time.
type Reader struct {
	format Format
	// CSV
	cr     *csv.Reader
	header []string
	// JSON Lines
	br   *bufio.Reader
	buf  []byte
	line int
}

// NewReader returns a Reader of r in format f. For CSV it reads the header
// row now and returns a *RowError (line 1) if a column is unknown,
// duplicated, or a required one is missing.
func NewReader(r io.Reader, f Format) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(3)
	}
	rd := &Reader{format: f}
	switch f {
	case JSONL:
		rd.br = br
		return rd, nil
	case CSV:
		rd.cr = csv.NewReader(&recordLimiter{r: br, line: 1, start: 1})
		rd.cr.FieldsPerRecord = -1
		rd.cr.ReuseRecord = true
		hdr, err := rd.cr.Read()
		if err == io.EOF {
			return nil, &RowError{Line: 1, Header: true, Problems: []string{"the file is empty: a CSV import needs a header row such as " + exampleHeader}}
		}
		if err != nil {
			err = csvError(err)
			var re *RowError
			if errors.As(err, &re) {
				re.Header = true
			}
			return nil, err
		}
		rd.header = make([]string, len(hdr))
		var problems []string
		seen := map[string]bool{}
		for i, h := range hdr {
			h = strings.ToLower(strings.TrimSpace(h))
			rd.header[i] = h
			switch {
			case columnBit[h] == 0:
				problems = append(problems, fmt.Sprintf("unknown column %q (the columns are %s)", hdr[i], strings.Join(knownColumns, ", ")))
			case seen[h]:
				problems = append(problems, fmt.Sprintf("column %q appears twice", h))
			}
			seen[h] = true
		}
		if !seen[colUsername] && !seen[colEmail] && !seen[colUUID] {
			problems = append(problems, "the header names none of username, email, uuid: is the first row a header such as "+exampleHeader+"?")
		}
		if problems != nil {
			return nil, &RowError{Line: 1, Header: true, Problems: problems}
		}
		return rd, nil
	}
	return nil, fmt.Errorf("unknown import format %q: use csv or jsonl", f)
}

const exampleHeader = "username,first_name,last_name,email,password,subscription_type"

// csvError turns a csv.ParseError into a RowError with its line.
func csvError(err error) error {
	var tl *TooLongError
	if errors.As(err, &tl) {
		return tl
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{Line: pe.StartLine, Problems: []string{"CSV: " + pe.Err.Error()}}
	}
	return err
}

// Next returns the next row; io.EOF at the end. A bad row comes back as a
// *RowError (with the row, as far as it could be decoded, or nil); the next
// call reads on. Any other error (reading the stream) ends the file.
func (r *Reader) Next() (*Row, error) {
	if r.format == CSV {
		return r.nextCSV()
	}
	return r.nextJSON()
}

func (r *Reader) nextCSV() (*Row, error) {
	for {
		rec, err := r.cr.Read()
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.cr.FieldPos(0)
		if len(rec) == 1 && rec[0] == "" {
			continue // a blank line
		}
		if len(rec) != len(r.header) {
			return nil, &RowError{Line: line, Problems: []string{fmt.Sprintf("%d fields, but the header has %d columns", len(rec), len(r.header))}}
		}
		row := &Row{Line: line}
		var problems []string
		for i, v := range rec {
			if p := row.setColumn(r.header[i], render.RestoreCell(v), nil); p != "" {
				problems = append(problems, p)
			}
		}
		if problems != nil {
			return row, &RowError{Line: line, Problems: problems}
		}
		return row, nil
	}
}

func (r *Reader) nextJSON() (*Row, error) {
	for {
		r.line++
		b, err := r.readLine()
		if err == errTooLong {
			return nil, &RowError{Line: r.line, Problems: []string{fmt.Sprintf("line longer than %d bytes", MaxLine)}}
		}
		if err == io.EOF && len(b) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		return r.decodeJSON(b)
	}
}

// readLine reads one line without its newline. A line over MaxLine is
// skipped to its end and reported as errTooLong.
func (r *Reader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong && len(r.buf)+len(chunk) <= MaxLine {
			r.buf = append(r.buf, chunk...)
		} else {
			tooLong, r.buf = true, r.buf[:0]
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong {
			if err == io.EOF {
				err = nil
			}
			return []byte("x"), errTooLong
		}
		return bytes.TrimRight(r.buf, "\r\n"), err
	}
}

var errTooLong = errors.New("line too long")

func (r *Reader) decodeJSON(b []byte) (*Row, error) {
	row := &Row{Line: r.line}
	var obj map[string]json.RawMessage
	if t := bytes.TrimSpace(b); t[0] != '{' {
		return nil, &RowError{Line: r.line, Problems: []string{fmt.Sprintf("not a JSON object: the line starts with %q", truncate(string(t), 20))}}
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, &RowError{Line: r.line, Problems: []string{"not a JSON object: " + jsonProblem(err)}}
	}
	if key, ok := duplicateKey(b); ok {
		// encoding/json keeps the last value silently: which one the
		// writer meant is unknown, so the row is refused.
		return nil, &RowError{Line: r.line, Problems: []string{fmt.Sprintf("key %q appears twice in the object", truncate(key, 40))}}
	}
	var problems []string
	// Keys in column order, so the problems come in a stable order.
	for _, key := range knownColumns {
		raw, ok := obj[key]
		if !ok {
			continue
		}
		delete(obj, key)
		if p := row.setColumn(key, "", raw); p != "" {
			problems = append(problems, p)
		}
	}
	for key := range obj {
		problems = append(problems, fmt.Sprintf("unknown key %q (the keys are %s)", key, strings.Join(knownColumns, ", ")))
	}
	if problems != nil {
		slices.Sort(problems[len(problems)-len(obj):]) // unknown keys: map order
		return row, &RowError{Line: r.line, Problems: problems}
	}
	return row, nil
}

// duplicateKey returns a key that appears more than once at the top level of
// the JSON object b (already known to be valid).
func duplicateKey(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return "", false
	}
	seen := make(map[string]bool, len(knownColumns))
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := t.(string)
		if seen[key] {
			return key, true
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

// setColumn stores one value: text (CSV) or raw (JSON, when non-nil). It
// returns a problem, or "".
func (row *Row) setColumn(col, text string, raw json.RawMessage) string {
	isBool := col == colSuperUser || col == colDisabled || col == colMFA || col == colPhoneVerified
	if raw != nil {
		raw = bytes.TrimSpace(raw)
		switch {
		case bytes.Equal(raw, []byte("null")):
			text = ""
		case isBool && (bytes.Equal(raw, []byte("true")) || bytes.Equal(raw, []byte("false"))):
			text = string(raw)
		default:
			if err := json.Unmarshal(raw, &text); err != nil {
				want := "a string"
				if isBool {
					want = "true or false"
				}
				return fmt.Sprintf("%s: must be %s, not %s", col, want, truncate(string(raw), 40))
			}
		}
	}
	row.set |= columnBit[col]
	switch col {
	case colUsername:
		row.Username = text
	case colFirstName:
		row.FirstName = text
	case colLastName:
		row.LastName = text
	case colEmail:
		row.Email = text
	case colSubscription:
		row.SubscriptionType = text
	case colPassword:
		row.Password = text
	case colPasswordHash:
		row.PasswordHash = text
	case colPhone:
		row.Phone = text
	case colUUID:
		row.UUID = strings.ToLower(strings.TrimSpace(text))
	case colCreated:
		if strings.TrimSpace(text) == "" {
			return ""
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(text))
		if err != nil {
			return fmt.Sprintf("created %q: not an RFC 3339 time like 2024-01-02T03:04:05Z", truncate(text, 40))
		}
		if t.IsZero() {
			// airt's zero time means "unknown" (it prints None), so
			// this value cannot be kept; say so rather than replace it
			// with the import time.
			return fmt.Sprintf("created %q: 0001-01-01T00:00:00Z cannot be stored (airt reads it as unknown); leave created empty to use the import time", truncate(text, 40))
		}
		row.Created = t.UTC()
	case colSuperUser, colDisabled, colMFA, colPhoneVerified:
		b, err := parseBool(text)
		if err != nil {
			return fmt.Sprintf("%s %q: must be true or false", col, truncate(text, 40))
		}
		switch col {
		case colSuperUser:
			row.SuperUser = b
		case colDisabled:
			row.Disabled = b
		}
	}
	return ""
}

func parseBool(s string) (bool, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return false, nil
	case "yes", "y":
		return true, nil
	case "no", "n":
		return false, nil
	}
	return strconv.ParseBool(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
