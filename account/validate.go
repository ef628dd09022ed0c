package account

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"

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

// NormalizeKey is the case-insensitive form used for uniqueness and lookup of
// usernames and emails.
func NormalizeKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateUsername checks a username: non-empty, no spaces or control
// characters, at most 100 characters, not shaped like a uuid.
func ValidateUsername(s string) error {
	switch {
	case s == "":
		return Errorf(KindInvalid, "username: must not be empty")
	case len(s) > 100:
		return Errorf(KindInvalid, "username %q: longer than 100 characters", s)
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return Errorf(KindInvalid, "username %q: must not contain spaces or control characters", s)
	case LooksLikeUUID(s):
		return Errorf(KindInvalid, "username %q: must not look like a uuid (uuids name users)", s)
	}
	return nil
}

// ValidateName checks a first or last name: non-empty, at most 255
// characters, no control characters (a tab or newline would break the
// one-line-per-user output that scripts read).
func ValidateName(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return Errorf(KindInvalid, "%s: must not be empty", field)
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		return Errorf(KindInvalid, "%s %q: must not contain tabs, newlines or other control characters", field, s)
	}
	if len(s) > 255 {
		return Errorf(KindInvalid, "%s: longer than 255 characters", field)
	}
	return nil
}

// ValidateEmail checks that s is a plain address ("alice@example.com") whose
// domain has a dot. It returns the original's "Invalid email format" error.
func ValidateEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 100 {
		return ErrInvalidEmail.WithHint(fmt.Sprintf("%q is not an email address like alice@example.com", s))
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return ErrInvalidEmail.WithHint(fmt.Sprintf("%q is not an email address like alice@example.com", s))
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

// ValidatePassword checks the password policy.
func ValidatePassword(p string) error {
	if len(p) < MinPasswordLength {
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
