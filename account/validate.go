package account

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// MinPasswordLength is the shortest password accepted (the original had no
// policy at all).
const MinPasswordLength = 8

var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// LooksLikeUUID reports whether s has the shape of a uuid. Such strings name
// users by uuid, so they are refused as usernames (the original allowed them
// and such users could then not be named at all).
func LooksLikeUUID(s string) bool { return uuidShape.MatchString(s) }

// Length limits, counted in characters (runes), not bytes: 34 × あ is a
// 34-character name. maxBytesPerRune bounds the bytes looked at before any
// other work, so a hostile 8 MB value costs nothing.
const (
	MaxUsernameLength = 100
	MaxNameLength     = 255
	MaxEmailLength    = 100
	maxBytesPerRune   = 4
)

// ValidateUsername checks a username: non-empty, at most 100 characters, no
// spaces, control or format characters, acceptable to PRECIS
// (UsernameCasePreserved: letters, digits, ASCII punctuation), one script
// (see text.go), not shaped like a uuid.
func ValidateUsername(s string) error {
	switch {
	case s == "":
		return Errorf(KindInvalid, "username: must not be empty")
	case len(s) > MaxUsernameLength*maxBytesPerRune || utf8.RuneCountInString(s) > MaxUsernameLength:
		return usernameErr(s, fmt.Sprintf("longer than %d characters", MaxUsernameLength))
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || isForbidden(r) }); i >= 0 {
		return usernameErr(s, "must not contain spaces or control characters"+describeRune(s, i))
	}
	if _, err := casePreserved(s); err != nil {
		return usernameErr(s, "letters, digits and ASCII punctuation only (no symbols or emoji; right-to-left text must not mix directions)")
	}
	if mixed := mixedScripts(s); mixed != nil {
		return &Error{Kind: KindInvalid,
			Text: fmt.Sprintf("username %s: mixes scripts (%s)", Quote(s), strings.Join(mixed, ", ")),
			Hint: "write a username in one script, so that it cannot pass for another (Cyrillic а looks like Latin a)"}
	}
	if LooksLikeUUID(s) {
		return usernameErr(s, "must not look like a uuid (uuids name users)")
	}
	return nil
}

// ValidateName checks a first or last name: non-empty, at most 255
// characters, no control or format characters and no space but U+0020 (a
// tab or newline would break the one-line-per-user output that scripts read;
// a bidi control or zero-width character hides what the name says).
func ValidateName(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return Errorf(KindInvalid, "%s: must not be empty", field)
	}
	if len(s) > MaxNameLength*maxBytesPerRune || utf8.RuneCountInString(s) > MaxNameLength {
		return Errorf(KindInvalid, "%s: longer than %d characters", field, MaxNameLength)
	}
	for i, r := range s {
		if r != ' ' && isForbidden(r) {
			return Errorf(KindInvalid, "%s %s: must not contain tabs, newlines or other control characters%s",
				field, Quote(s), describeRune(s, i))
		}
	}
	return nil
}

// ValidateEmail checks that s is a plain address ("alice@example.com") whose
// domain has a dot, at most 100 characters, without control or format
// characters, acceptable to PRECIS, and whose local part and each domain
// label are each in one script. It returns the original's "Invalid email
// format" error.
func ValidateEmail(s string) error {
	if s == "" || len(s) > MaxEmailLength*maxBytesPerRune || utf8.RuneCountInString(s) > MaxEmailLength || forbiddenRune(s) >= 0 {
		return badEmail(s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return badEmail(s)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return badEmail(s)
	}
	if _, err := casePreserved(s); err != nil {
		return badEmail(s)
	}
	for _, part := range append([]string{local}, strings.Split(domain, ".")...) {
		if mixed := mixedScripts(part); mixed != nil {
			return ErrInvalidEmail.WithHint(fmt.Sprintf("%s mixes scripts (%s) in %s", Quote(s), strings.Join(mixed, ", "), Quote(part)))
		}
	}
	return nil
}

// ValidateSubscription checks a subscription type: one of
// SubscriptionTypes or LegacySubscriptionTypes.
func ValidateSubscription(s string) error {
	if !slices.Contains(SubscriptionTypes, s) && !slices.Contains(LegacySubscriptionTypes, s) {
		return Errorf(KindInvalid, "subscription type %q is not valid: use one of small, medium, large", s).
			WithHint("the original server's infobip, captn, test, superuser and captn_trial are accepted too, for migrated users")
	}
	return nil
}

// ValidateSSOProvider checks an SSO provider name (case-sensitive, as the
// original server).
func ValidateSSOProvider(p string) error {
	if !slices.Contains(SSOProviders, p) {
		return Errorf(KindInvalid, "Invalid SSO provider. Valid SSO providers are: ['google', 'github']")
	}
	return nil
}

// ValidatePassword checks the password policy: at least MinPasswordLength
// characters (runes: two emoji are two characters, not eight bytes).
func ValidatePassword(p string) error {
	if utf8.RuneCountInString(p) < MinPasswordLength {
		return Errorf(KindInvalid, "password: must be at least %d characters long", MinPasswordLength)
	}
	return nil
}

// NormalizePhone parses a phone number written in any of the forms the
// reference lists (440123456789, +440123456789, 00440123456789,
// +44 0123456789, (+44) 012 345 6789) and returns it in E.164
// (+44123456789). The country code is required, as in the original; a leading
// 00 is the international prefix. Numbers that cannot exist are refused.
func NormalizePhone(s string) (string, error) {
	bad := func() error {
		return Errorf(KindInvalid, "phone number %q is not valid", s).WithHint(
			"write the country code then the number, e.g. +44 7911 123456 or 447911123456")
	}
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0:
			b.WriteRune(r)
		case strings.ContainsRune(" ()-./", r):
		default:
			_ = i
			return "", bad()
		}
	}
	n := b.String()
	n = strings.TrimPrefix(n, "+")
	n = strings.TrimPrefix(n, "00")
	if len(n) < 7 || len(n) > 17 {
		return "", bad()
	}
	num, err := phonenumbers.Parse("+"+n, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", bad()
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}
