package account

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Every form the reference lists, for one UK number.
		{"440123456789", "+44123456789"},
		{"+440123456789", "+44123456789"},
		{"00440123456789", "+44123456789"},
		{"+44 0123456789", "+44123456789"},
		{"(+44) 012 345 6789", "+44123456789"},
		{"+44 7911 123456", "+447911123456"},
		{"447911123456", "+447911123456"},
		{"+1 (415) 555-2671", "+14155552671"},
		{"+44 20 7946 0958", "+442079460958"},
		// Junk.
		{"", ""},
		{"abc", ""},
		{"12", ""},
		{"+", ""},
		{"++447911123456", ""},
		{"44791112345612345678", ""},
		{"999999999", ""},
		{"4479111234x6", ""},
	} {
		got, err := NormalizePhone(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("NormalizePhone(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"440123456789", "(+44) 012 345 6789", "abc", "00", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone(s)
		if err == nil && (!strings.HasPrefix(got, "+") || len(got) < 8) {
			t.Errorf("NormalizePhone(%q) = %q: not E.164", s, got)
		}
		if err == nil {
			if again, err := NormalizePhone(got); err != nil || again != got {
				t.Errorf("E.164 %q does not normalise to itself: %q, %v", got, again, err)
			}
		}
	})
}

func TestValidateEmail(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"alice@example.com", true},
		{"a.b+c@sub.example.co.uk", true},
		{"nope", false},
		{"alice@localhost", false},
		{"Alice <alice@example.com>", false},
		{"alice@example.com ", false},
		{"@example.com", false},
		{"alice@.com", false},
	} {
		if err := ValidateEmail(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateEmail(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestValidateUsername(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"alice", true}, {"alice.smith-2", true}, {"@name", true},
		{"", false}, {"a b", false}, {"a\tb", false}, {strings.Repeat("a", 101), false},
		{"0b0e4f3c-1f0a-4a8e-9f2c-3c1d2e4f5a6b", false},
	} {
		if err := ValidateUsername(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateUsername(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestPasswordHashes(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: not argon2id with the documented parameters", h)
	}
	if !CheckPassword(h, "correct horse") || CheckPassword(h, "correct horse!") {
		t.Error("argon2id check is wrong")
	}
	if err := ValidatePasswordHash(h); err != nil {
		t.Error(err)
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.DefaultCost)
	b2 := "$2b$" + string(b[4:]) // the original server's ident
	for _, bh := range []string{string(b), b2} {
		if err := ValidatePasswordHash(bh); err != nil {
			t.Errorf("ValidatePasswordHash(%q) = %v", bh, err)
		}
		if !CheckPassword(bh, "correct horse") || CheckPassword(bh, "wrong") {
			t.Errorf("bcrypt check of %q is wrong", bh)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=0,t=1,p=1$x$y", "$2b$04$short", "$1$abc"} {
		if ValidatePasswordHash(bad) == nil {
			t.Errorf("ValidatePasswordHash(%q) accepted", bad)
		}
		if CheckPassword(bad, "") {
			t.Errorf("CheckPassword(%q) accepted", bad)
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"Alice", true}, {"Mary Ann", true}, {"Zoë", true},
		{"", false}, {"   ", false}, {"tab\tx", false}, {"new\nline", false}, {"nul\x00", false},
		{strings.Repeat("a", 256), false},
	} {
		if err := ValidateName("first_name", tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}
