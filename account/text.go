package account

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// Names and emails are text that other people read: in tables, in exports,
// in logs, on a terminal. Two rules keep that text honest.
//
//   - Uniqueness and lookup compare the PRECIS form (RFC 8265,
//     UsernameCaseMapped: width folded, lower-cased, NFC), so `ａｄｍｉｎ`
//     (fullwidth), `ADMIN` and `admin` are one name, and so are NFD and NFC
//     `café`.
//   - A username, or an email's local part or domain label, may not mix
//     scripts (UTS #39 "highly restrictive": one script, or Latin with the
//     Han/Kana or Han/Hangul or Han/Bopomofo mixes that Japanese, Korean and
//     Chinese writing need), so `аdmin` with a Cyrillic а cannot sit beside
//     `admin`.
//
// Control and format characters (C0, C1, DEL, U+2028/U+2029, bidi controls,
// zero-width characters, the BOM, soft hyphen, private use, noncharacters)
// are refused in every stored name: they reorder or hide text on a terminal
// and forge rows in one-line-per-user output. So are spaces other than
// U+0020 (NBSP and its kind look like a space and are not one).

// UsernameKey returns the key under which a username is unique and found:
// its PRECIS UsernameCaseMapped form. It fails for a string that profile
// refuses (spaces, controls, symbols such as emoji, a bidi rule violation).
func UsernameKey(s string) (string, error) {
	if printableASCII(s) {
		return strings.ToLower(s), nil
	}
	return precis.UsernameCaseMapped.String(s)
}

// printableASCII reports whether s is non-empty and only printable ASCII
// without space (U+0021–U+007E): PRECIS allows every such character and
// maps it only by lower-casing, so the profiles reduce to strings.ToLower
// (or to nothing). Most names are such; this spares an import of a million
// rows the full PRECIS transform several times per row.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// casePreserved returns the PRECIS UsernameCasePreserved form of s.
func casePreserved(s string) (string, error) {
	if printableASCII(s) {
		return s, nil
	}
	return precis.UsernameCasePreserved.String(s)
}

// EmailKey returns the key under which an email is unique and found: the
// PRECIS UsernameCaseMapped form of the whole address (every character an
// address like alice+tag@example.com holds is allowed by that profile).
func EmailKey(s string) (string, error) { return UsernameKey(s) }

// NameKeyVersion names the function NormalizeKey is. Stores record the
// version their name indexes were built with and re-key them when it
// changes: change it whenever NormalizeKey's results change.
const NameKeyVersion = "precis-1"

// NormalizeKey is the form used for uniqueness and lookup of usernames and
// emails: the PRECIS key, or, for a string that could never be stored (a
// lookup of a name with a space, say), its trimmed lower-case form, which
// then matches nothing stored.
func NormalizeKey(s string) string {
	s = strings.TrimSpace(s)
	if k, err := UsernameKey(s); err == nil {
		return k
	}
	return strings.ToLower(s)
}

// CanonicalUsername checks a username and returns the form to store: the
// PRECIS UsernameCasePreserved form (width folded, NFC; case kept for
// display). Its key is UsernameKey of the result.
func CanonicalUsername(s string) (string, error) {
	if err := ValidateUsername(s); err != nil {
		return "", err
	}
	c, err := casePreserved(s)
	if err != nil {
		return "", usernameErr(s, "letters, digits and ASCII punctuation only (no spaces, symbols or emoji)")
	}
	return c, nil
}

// CanonicalEmail checks an email and returns the form to store (NFC, width
// folded, case kept).
func CanonicalEmail(s string) (string, error) {
	if err := ValidateEmail(s); err != nil {
		return "", err
	}
	c, err := casePreserved(s)
	if err != nil {
		return "", badEmail(s)
	}
	return c, nil
}

func usernameErr(s, problem string) error {
	return Errorf(KindInvalid, "username %s: %s", Quote(s), problem)
}

func badEmail(s string) error {
	return ErrInvalidEmail.WithHint(fmt.Sprintf("%s is not an email address like alice@example.com", Quote(s)))
}

// Quote quotes s for an error message: Go syntax, in which every rune that
// is not printable (controls, format characters, spaces other than U+0020)
// is escaped, cut to 64 characters, so a hostile value can neither write
// escape sequences to a terminal nor flood it.
func Quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("%q…", string([]rune(s)[:max]))
	}
	return fmt.Sprintf("%q", s)
}

// forbiddenRune returns the index of the first rune that may not appear in a
// stored name (see the package comment above), or -1. Invalid UTF-8 counts.
func forbiddenRune(s string) int {
	for i, r := range s {
		if isForbidden(r) {
			return i
		}
	}
	return -1
}

func isForbidden(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true // invalid UTF-8 (or a literal U+FFFD, which is no name either)
	case r < 0x80:
		return r < ' ' || r == 0x7f
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r),
		unicode.Is(unicode.Cs, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r),
		unicode.Is(unicode.Zs, r):
		return true
	case r&0xfffe == 0xfffe, r >= 0xfdd0 && r <= 0xfdef:
		return true // noncharacters
	case unicode.Is(unicode.Variation_Selector, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		return true // invisible
	}
	return false
}

// describeRune names the rune at s[i] for an error, " (U+200B)", when the
// quoted value does not show it plainly (anything but ASCII).
func describeRune(s string, i int) string {
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case r < utf8.RuneSelf:
		return ""
	case r == utf8.RuneError && n == 1:
		return " (invalid UTF-8)"
	}
	return fmt.Sprintf(" (U+%04X)", r)
}

// scriptOf returns the script of r, "" for Common and Inherited (digits,
// punctuation, combining marks), which mix with every script.
func scriptOf(r rune) string {
	if r < 0x80 {
		if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
			return "Latin"
		}
		return ""
	}
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return ""
	}
	for _, name := range likelyScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return "Unknown"
}

// likelyScripts are tried first: most names are in one of them.
var likelyScripts = []string{"Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul",
	"Arabic", "Hebrew", "Devanagari", "Thai", "Bopomofo"}

// allowedMixes are the sets of scripts one name may combine (UTS #39 highly
// restrictive): Latin with the scripts of Japanese, Chinese and Korean
// writing.
var allowedMixes = []map[string]bool{
	{"Latin": true, "Han": true, "Hiragana": true, "Katakana": true},
	{"Latin": true, "Han": true, "Bopomofo": true},
	{"Latin": true, "Han": true, "Hangul": true},
}

// mixedScripts returns the scripts of s when they may not be mixed, else
// nil.
func mixedScripts(s string) []string {
	var seen []string
	for _, r := range s {
		sc := scriptOf(r)
		if sc == "" || contains(seen, sc) {
			continue
		}
		seen = append(seen, sc)
	}
	if len(seen) <= 1 {
		return nil
	}
	for _, mix := range allowedMixes {
		ok := true
		for _, sc := range seen {
			ok = ok && mix[sc]
		}
		if ok {
			return nil
		}
	}
	return seen
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
