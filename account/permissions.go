package account

// The permission rules, the same on the client and the server: a
// super user may do everything; any other user may read and update only their
// own account and manage their own MFA, phone and SSO.

// CanAccess reports whether caller may read or change target's own account
// (details, update, MFA, phone, SSO). It returns ErrOtherUsersData otherwise.
func CanAccess(caller, target *User) error {
	if caller.SuperUser || caller.UUID == target.UUID {
		return nil
	}
	return ErrOtherUsersData
}

// RequireSuperUser returns ErrSuperUserOnly unless caller is a super user
// (create, ls, disable, enable, import, export).
func RequireSuperUser(caller *User) error {
	if caller.SuperUser {
		return nil
	}
	return ErrSuperUserOnly
}

// CheckActive returns ErrAccountDisabled for a disabled caller: a disabled
// user cannot log in and their sessions stop working.
func CheckActive(caller *User) error {
	if caller.Disabled {
		return ErrAccountDisabled
	}
	return nil
}
