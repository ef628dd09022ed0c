package sync

import (
	"sort"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// Field names used for conflict detection (see the package comment).
const (
	FieldAll      = "*" // a record adopted whole (server bootstrap): touches every field
	fieldDisabled = "disabled"
	fieldMFA      = "mfa"
	fieldMFAStep  = "mfa_step"
	fieldPhone    = "phone_number"
	fieldPassword = "password"
)

// createFields are the fields a user.create sets.
var createFields = []string{"username", "email", "first_name", "last_name", "subscription_type",
	"super_user", fieldPhone, fieldPassword, "created"}

// Fields returns the fields mutation m sets.
func Fields(m *localstore.Mutation) []string {
	a := &m.Args
	switch m.Op {
	case localstore.OpCreate:
		return createFields
	case localstore.OpUpdate:
		var f []string
		if a.Username != nil {
			f = append(f, "username")
		}
		if a.Email != nil {
			f = append(f, "email")
		}
		if a.FirstName != nil {
			f = append(f, "first_name")
		}
		if a.LastName != nil {
			f = append(f, "last_name")
		}
		return f
	case localstore.OpDisable, localstore.OpEnable:
		return []string{fieldDisabled}
	case localstore.OpMFAActivate, localstore.OpMFADisable:
		return []string{fieldMFA}
	case localstore.OpMFAStep:
		return []string{fieldMFAStep}
	case localstore.OpPhoneVerified:
		return []string{fieldPhone}
	case localstore.OpPasswordReset:
		return []string{fieldPassword}
	case localstore.OpSSOEnable, localstore.OpSSODisable:
		return []string{"sso:" + a.Provider}
	}
	return nil
}

// alreadySo reports whether u already holds the value m sets for field f
// (both sides made the same change: not a conflict).
func alreadySo(u *account.User, m *localstore.Mutation, f string) bool {
	a := &m.Args
	switch m.Op {
	case localstore.OpUpdate:
		switch f {
		case "username":
			return u.Username == *a.Username
		case "email":
			return u.Email == *a.Email
		case "first_name":
			return u.FirstName == *a.FirstName
		case "last_name":
			return u.LastName == *a.LastName
		}
	case localstore.OpDisable:
		return u.Disabled
	case localstore.OpEnable:
		return !u.Disabled
	case localstore.OpMFADisable:
		return !u.MFAActive()
	case localstore.OpPhoneVerified:
		return a.Phone != nil && u.Phone == *a.Phone && u.PhoneVerified
	case localstore.OpSSOEnable:
		return u.SSO[a.Provider] == a.SSOEmail
	case localstore.OpSSODisable:
		_, linked := u.SSO[a.Provider]
		return !linked
	}
	return false
}

// Conflicts returns the fields of m that conflict with changedSince, the
// fields other stores changed on the record since m.BaseVersion, given the
// record's current state u; sorted, nil when m merges cleanly. mfa.step never
// conflicts: it only raises the highest step used.
func Conflicts(u *account.User, m *localstore.Mutation, changedSince map[string]bool) []string {
	if m.Op == localstore.OpMFAStep || len(changedSince) == 0 {
		return nil
	}
	var out []string
	for _, f := range Fields(m) {
		if !changedSince[f] && !changedSince[FieldAll] {
			continue
		}
		if alreadySo(u, m, f) {
			continue
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Noop reports whether every field m sets already has that value on u, so
// applying it would change nothing (two admins disabling the same user).
func Noop(u *account.User, m *localstore.Mutation) bool {
	if m.Op == localstore.OpCreate || m.Op == localstore.OpMFAStep {
		return false
	}
	f := Fields(m)
	if len(f) == 0 {
		return false
	}
	for _, name := range f {
		if !alreadySo(u, m, name) {
			return false
		}
	}
	return true
}

// Only returns a copy of m that sets only the given fields, for a user.update
// (the one operation that sets several fields a conflict can split); other
// operations are returned unchanged.
func Only(m *localstore.Mutation, fields []string) *localstore.Mutation {
	c := *m
	if m.Op != localstore.OpUpdate {
		return &c
	}
	keep := map[string]bool{}
	for _, f := range fields {
		keep[f] = true
	}
	a := &c.Args
	if !keep["username"] {
		a.Username = nil
	}
	if !keep["email"] {
		a.Email = nil
	}
	if !keep["first_name"] {
		a.FirstName = nil
	}
	if !keep["last_name"] {
		a.LastName = nil
	}
	return &c
}

// Without returns the fields of m that are not in drop.
func Without(m *localstore.Mutation, drop []string) []string {
	skip := map[string]bool{}
	for _, f := range drop {
		skip[f] = true
	}
	var out []string
	for _, f := range Fields(m) {
		if !skip[f] {
			out = append(out, f)
		}
	}
	return out
}

// FieldValue returns u's value of a profile field as the conflict reason
// shows it, and false for fields whose value is not shown.
func FieldValue(u *account.User, f string) (string, bool) {
	switch f {
	case "username":
		return u.Username, true
	case "email":
		return u.Email, true
	case "first_name":
		return u.FirstName, true
	case "last_name":
		return u.LastName, true
	}
	return "", false
}

// ArgValue returns the value m sets for a profile field.
func ArgValue(m *localstore.Mutation, f string) (string, bool) {
	a := &m.Args
	var p *string
	switch f {
	case "username":
		p = a.Username
	case "email":
		p = a.Email
	case "first_name":
		p = a.FirstName
	case "last_name":
		p = a.LastName
	}
	if p == nil {
		return "", false
	}
	return *p, true
}
