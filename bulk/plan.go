package bulk

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// Policy says what an import does with a row that names an existing user
// (by uuid, username or email, matched case-insensitively).
type Policy string

// The conflict policies of --on-conflict.
const (
	// Fail reports such rows as bad, and the import changes nothing.
	Fail Policy = "fail"
	// Skip leaves the existing user alone.
	Skip Policy = "skip"
	// Update sets the username, email, first_name and last_name of the
	// existing user from the row (what `airt user update` can change).
	Update Policy = "update"
)

// Action is what an import does with one row.
type Action int

// The actions, in the words of the result table.
const (
	ActFail Action = iota
	ActCreate
	ActUpdate
	ActSkip
)

func (a Action) String() string {
	return [...]string{"failed", "created", "updated", "skipped"}[a]
}

// Decision is the outcome of checking one row.
type Decision struct {
	Row    *Row
	Action Action
	// Problems say why a row fails (ActFail).
	Problems []string
	// Target is the existing user the row names (ActUpdate, ActSkip).
	Target *account.User
	// Changes are the user.update arguments (ActUpdate), Changed their
	// column names in order.
	Changes localstore.Args
	Changed []string
	// Detail is a short note for the result table.
	Detail string
}

// Checker decides what to do with each row. Pass 1 of an import runs every
// row through Check (rules, duplicates inside the file, the store); pass 2
// calls Decide again in the writing transaction. The Checker keeps a 64-bit
// hash of each username, email and uuid of the file (about 16 bytes each,
// see keySet) to find duplicates: a hash collision (chance about n²/2⁶⁵, 1 in
// 10 million at a million rows) would report a false duplicate, never miss
// a real one.
type Checker struct {
	Policy Policy
	// Bootstrap is set when the store is empty: the first row creates the
	// first super user without a login (an empty store has nobody to log in
	// as, see localstore/apply.go), the others are created
	// by that user.
	Bootstrap bool

	seed                     maphash.Seed
	usernames, emails, uuids keySet
	targets                  map[string]int
	rows                     int
	firstLine                int
	Counts                   [4]int
	// Bad counts failed rows, Conflicts those of them that name an
	// existing user under the Fail policy.
	Bad, Conflicts int
	// Header is set when the file's header (CSV) is bad: no row was read.
	Header bool
}

// NewChecker returns a Checker for one pass over a file.
func NewChecker(policy Policy, bootstrap bool) *Checker {
	return &Checker{Policy: policy, Bootstrap: bootstrap, seed: maphash.MakeSeed(),
		targets: map[string]int{}}
}

// Check decides row (read with readErr, a *RowError or nil) in pass 1: the
// rules, duplicates of earlier rows of the file, then the store in tx.
func (c *Checker) Check(tx *localstore.Tx, row *Row, readErr error) Decision {
	c.rows++
	d := c.check(tx, row, readErr)
	c.Counts[d.Action]++
	if d.Action == ActFail {
		c.Bad++
		if c.Policy == Fail && d.Target != nil {
			c.Conflicts++
		}
	}
	return d
}

func (c *Checker) check(tx *localstore.Tx, row *Row, readErr error) Decision {
	var re *RowError
	if readErr != nil {
		if !errors.As(readErr, &re) {
			return Decision{Row: row, Action: ActFail, Problems: []string{readErr.Error()}}
		}
		if c.rows == 1 && c.firstLine == 0 {
			c.firstLine = re.Line
		}
		problems := re.Problems
		if re.Header {
			c.Header = true
		}
		if row == nil {
			row = &Row{Line: re.Line}
		} else {
			// The values that could be read are checked too, so that
			// one run reports everything wrong with the row.
			problems = append(problems, ValidateRow(row)...)
		}
		return Decision{Row: row, Action: ActFail, Problems: problems}
	}
	if c.firstLine == 0 {
		c.firstLine = row.Line
	}
	problems := ValidateRow(row)
	problems = append(problems, c.duplicates(row)...)
	if problems != nil {
		return Decision{Row: row, Action: ActFail, Problems: problems}
	}
	d := c.Decide(tx, row)
	if d.Action == ActUpdate {
		if prev, ok := c.targets[d.Target.UUID]; ok {
			return Decision{Row: row, Action: ActFail, Problems: []string{fmt.Sprintf(
				"names user %s, which line %d already updates", d.Target.Username, prev)}}
		}
		c.targets[d.Target.UUID] = row.Line
	}
	return d
}

// duplicates reports the row's username, email and uuid seen on an
// earlier line of the file.
func (c *Checker) duplicates(row *Row) []string {
	var problems []string
	for _, k := range []struct {
		col, val string
		seen     *keySet
	}{{colUsername, row.Username, &c.usernames}, {colEmail, row.Email, &c.emails}, {colUUID, row.UUID, &c.uuids}} {
		if k.val == "" {
			continue
		}
		h := maphash.String(c.seed, account.NormalizeKey(k.val))
		if prev, dup := k.seen.add(h, row.Line); dup {
			problems = append(problems, fmt.Sprintf("%s %q is also on line %d", k.col, k.val, prev))
		}
	}
	return problems
}

// ValidateRow checks each value the row carries with the rules of
// `airt user create` (the same account validators) and returns every
// problem. It normalises the phone number to E.164 in place.
func ValidateRow(row *Row) []string {
	var problems []string
	add := func(err error) {
		if err == nil {
			return
		}
		problems = append(problems, problemText(err))
	}
	if row.Username == "" && row.Email == "" && row.UUID == "" {
		return []string{"the row has no username, email or uuid"}
	}
	// An empty cell is a value not given: a new user needs it (Decide
	// says so), an update leaves it as it is.
	if row.Username != "" {
		add(account.ValidateUsername(row.Username))
	}
	if row.FirstName != "" {
		add(account.ValidateName(colFirstName, row.FirstName))
	}
	if row.LastName != "" {
		add(account.ValidateName(colLastName, row.LastName))
	}
	if row.Email != "" {
		if err := account.ValidateEmail(row.Email); err != nil {
			problems = append(problems, fmt.Sprintf("email %q: not an email address like alice@example.com", row.Email))
		}
	}
	if row.SubscriptionType != "" {
		add(account.ValidateSubscription(row.SubscriptionType))
	}
	if row.Phone != "" {
		p, err := account.NormalizePhone(row.Phone)
		add(err)
		if err == nil {
			row.Phone = p
		}
	}
	switch {
	case row.Password != "" && row.PasswordHash != "":
		problems = append(problems, "give password or password_hash, not both")
	case row.Password != "":
		add(account.ValidatePassword(row.Password))
	case row.PasswordHash != "":
		add(account.ValidatePasswordHash(row.PasswordHash))
	}
	if row.UUID != "" && !canonicalUUID(row.UUID) {
		problems = append(problems, fmt.Sprintf("uuid %q: not a uuid like 0b0f6c7e-1c4a-4f3e-9d1a-2b3c4d5e6f70", row.UUID))
	}
	return problems
}

func canonicalUUID(s string) bool {
	return len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && account.LooksLikeUUID(s)
}

// problemText is an error as one line: its text and, for an
// *account.Error, its hint in parentheses.
func problemText(err error) string {
	var ae *account.Error
	if errors.As(err, &ae) && ae.Hint != "" {
		return ae.Text + " (" + ae.Hint + ")"
	}
	return err.Error()
}

// Decide looks row (already valid) up in the store and decides what to do
// with it under the policy. It does not look at other rows of the file.
func (c *Checker) Decide(tx *localstore.Tx, row *Row) Decision {
	fail := func(format string, args ...any) Decision {
		return Decision{Row: row, Action: ActFail, Problems: []string{fmt.Sprintf(format, args...)}}
	}
	type match struct {
		by, val string
		u       *account.User
	}
	var matches []match
	if row.UUID != "" {
		if u, err := tx.User(row.UUID); err == nil {
			matches = append(matches, match{colUUID, row.UUID, u})
		}
	}
	if row.Username != "" {
		if u, err := tx.UserByUsername(row.Username); err == nil {
			matches = append(matches, match{colUsername, row.Username, u})
		}
	}
	if row.Email != "" {
		if u, err := tx.UserByEmail(row.Email); err == nil {
			matches = append(matches, match{colEmail, row.Email, u})
		}
	}
	if len(matches) == 0 {
		return c.decideCreate(row)
	}
	target := matches[0]
	for _, m := range matches[1:] {
		if m.u.UUID != target.u.UUID {
			return fail("%s %q is user %s but %s %q is user %s", target.by, target.val, target.u.Username,
				m.by, m.val, m.u.Username)
		}
	}
	switch c.Policy {
	case Skip:
		detail := "exists"
		if row.Username != target.u.Username {
			detail = "exists as " + target.u.Username
		}
		return Decision{Row: row, Action: ActSkip, Target: target.u, Detail: detail}
	case Update:
		return c.decideUpdate(row, target.u)
	}
	return Decision{Row: row, Action: ActFail, Target: target.u, Problems: []string{fmt.Sprintf(
		"user %s already exists (same %s); pass --on-conflict skip or --on-conflict update", target.u.Username, target.by)}}
}

func (c *Checker) decideCreate(row *Row) Decision {
	var problems []string
	for _, f := range []struct{ col, val string }{
		{colUsername, row.Username}, {colFirstName, row.FirstName}, {colLastName, row.LastName},
		{colEmail, row.Email}, {colSubscription, row.SubscriptionType},
	} {
		if f.val == "" {
			problems = append(problems, f.col+": required for a new user")
		}
	}
	if row.Password == "" && row.PasswordHash == "" {
		problems = append(problems, "password or password_hash: one is required for a new user")
	}
	if c.Bootstrap && row.Line == c.firstLine {
		if !row.SuperUser || row.Disabled {
			problems = append(problems, "the first user of an empty store must be an enabled super user (super_user true), or create one first with 'airt user create -su' and log in")
		}
	}
	if problems != nil {
		return Decision{Row: row, Action: ActFail, Problems: problems}
	}
	d := Decision{Row: row, Action: ActCreate}
	if row.Disabled {
		d.Detail = "disabled"
	}
	return d
}

// decideUpdate computes the user.update of an existing user. Columns that
// user.update cannot change must agree with the store.
func (c *Checker) decideUpdate(row *Row, u *account.User) Decision {
	var problems []string
	fixed := func(col, store, file string) {
		problems = append(problems, fmt.Sprintf("%s is %q in the file but %q in the store, and an import changes only username, email, first_name and last_name", col, file, store))
	}
	if row.UUID != "" && row.UUID != u.UUID {
		problems = append(problems, fmt.Sprintf("uuid %q: the user %s has uuid %s", row.UUID, u.Username, u.UUID))
	}
	if row.SubscriptionType != "" && row.SubscriptionType != u.SubscriptionType {
		fixed(colSubscription, u.SubscriptionType, row.SubscriptionType)
	}
	if row.Has(colSuperUser) && row.SuperUser != u.SuperUser {
		fixed(colSuperUser, fmt.Sprint(u.SuperUser), fmt.Sprint(row.SuperUser))
	}
	if row.Has(colPhone) {
		phone := row.Phone
		if p, err := account.NormalizePhone(phone); err == nil {
			phone = p // pass 2 does not run ValidateRow
		}
		if phone != u.Phone {
			fixed(colPhone, u.Phone, phone)
		}
	}
	if row.Has(colDisabled) && row.Disabled != u.Disabled {
		problems = append(problems, fmt.Sprintf("disabled is %t in the file but %t in the store: use 'airt user enable' or 'airt user disable'", row.Disabled, u.Disabled))
	}
	if problems != nil {
		return Decision{Row: row, Action: ActFail, Target: u, Problems: problems}
	}
	d := Decision{Row: row, Action: ActUpdate, Target: u}
	set := func(col, file, store string, dst **string) {
		if file != "" && file != store {
			v := file
			*dst = &v
			d.Changed = append(d.Changed, col)
		}
	}
	set(colUsername, row.Username, u.Username, &d.Changes.Username)
	set(colEmail, row.Email, u.Email, &d.Changes.Email)
	set(colFirstName, row.FirstName, u.FirstName, &d.Changes.FirstName)
	set(colLastName, row.LastName, u.LastName, &d.Changes.LastName)
	if d.Changed == nil {
		return Decision{Row: row, Action: ActSkip, Target: u, Detail: "unchanged"}
	}
	d.Detail = strings.Join(d.Changed, ", ")
	return d
}
