package otp

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airt/airt/internal/qrtest"
)

// decodeQRText decodes a plain half-block rendering (see internal/qrtest).
func decodeQRText(t *testing.T, text string, px int) string {
	t.Helper()
	got, err := qrtest.Decode(strings.Split(strings.TrimSuffix(text, "\n"), "\n"), px)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestQR(t *testing.T) {
	for _, uri := range []string{
		URI(testSecret, "alice@example.com"),
		URI(testSecret, "a.very.long.name+tag@subdomain.example.co.uk"),
		"otpauth://totp/airt:x",
	} {
		plain, err := QR(uri, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQRText(t, plain, 4); got != uri {
			t.Errorf("decoded %q, want %q", got, uri)
		}
		lines := strings.Split(strings.TrimSuffix(plain, "\n"), "\n")
		// Quiet zone: the first two lines (4 modules) are blank, and every line starts and
		// ends with 4 blank columns.
		for i, l := range lines {
			r := []rune(l)
			if i < 2 && strings.TrimSpace(l) != "" {
				t.Errorf("line %d of the quiet zone is not blank: %q", i, l)
			}
			if strings.TrimSpace(string(r[:QuietZone])) != "" || strings.TrimSpace(string(r[len(r)-QuietZone:])) != "" {
				t.Errorf("line %d lacks the side quiet zone: %q", i, l)
			}
		}
		if w := utf8.RuneCountInString(lines[0]); w > 80 {
			t.Errorf("QR is %d columns wide, more than 80", w)
		}

		colour, err := QR(uri, true)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(strings.TrimSuffix(colour, "\n"), "\n") {
			if !strings.HasPrefix(l, "\x1b[30;47m") || !strings.HasSuffix(l, "\x1b[0m") {
				t.Errorf("ANSI line %d is not wrapped black-on-white: %q", i, l)
			}
		}
		if got := ansiRE.ReplaceAllString(colour, ""); got != plain {
			t.Errorf("ANSI rendering without escapes differs from the plain one")
		}
	}
	if _, err := QR(strings.Repeat("x", 5000), false); err == nil {
		t.Error("QR of 5000 bytes succeeded")
	}
}
