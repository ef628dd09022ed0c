package otp

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testSecret is the RFC 6238 SHA1 seed "12345678901234567890" in base32.
const testSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// frozen is a fixed time in the middle of a step.
var frozen = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func mustCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := Code(secret, at)
	if err != nil {
		t.Fatalf("Code: %v", err)
	}
	return c
}

func TestNewSecret(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 32 || strings.Contains(s, "=") {
		t.Errorf("NewSecret() = %q, want 32 base32 characters without padding", s)
	}
	if err := CheckSecret(s); err != nil {
		t.Errorf("CheckSecret(NewSecret()) = %v", err)
	}
	s2, _ := NewSecret()
	if s == s2 {
		t.Errorf("two secrets are equal: %q", s)
	}
	fixed, err := NewSecretFrom(bytes.NewReader(bytes.Repeat([]byte{0}, SecretBytes)))
	if err != nil || fixed != strings.Repeat("A", 32) {
		t.Errorf("NewSecretFrom(zeros) = %q, %v", fixed, err)
	}
	if _, err := NewSecretFrom(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Error("NewSecretFrom(short reader) succeeded")
	}
}

func TestCheckSecret(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{testSecret, true},
		{strings.ToLower(testSecret), true},
		{" " + testSecret + "====\n", true},
		{"", false},
		{"not base32!", false},
		{"GEZDGNBV", false}, // 40 bits
	} {
		if err := CheckSecret(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckSecret(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestURI(t *testing.T) {
	got := URI(strings.ToLower(testSecret), "alice@example.com")
	want := "otpauth://totp/airt:alice@example.com?algorithm=SHA1&digits=6&issuer=airt&period=30&secret=" + testSecret
	if got != want {
		t.Errorf("URI =\n %s\nwant\n %s", got, want)
	}
	// The fallback for an unusable secret keeps the same shape.
	bad := URI("not base32!", "bob@example.com")
	u, err := url.Parse(bad)
	if err != nil || u.Scheme != "otpauth" || u.Query().Get("issuer") != "airt" || u.Query().Get("secret") != "not base32!" {
		t.Errorf("URI(bad secret) = %q (%v)", bad, err)
	}
}

func TestStep(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want uint64
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(29, 999), 0},
		{time.Unix(30, 0), 1},
		{time.Unix(59, 0), 1},
		{time.Unix(-100, 0), 0},
		{frozen, uint64(frozen.Unix() / 30)},
	} {
		if got := Step(tc.t); got != tc.want {
			t.Errorf("Step(%v) = %d, want %d", tc.t.Unix(), got, tc.want)
		}
	}
}

// TestCodeRFC6238 checks the 6-digit truncation of the RFC 6238 SHA1 vectors (the RFC
// lists 8 digits; the last 6 are the 6-digit code).
func TestCodeRFC6238(t *testing.T) {
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	} {
		if got := mustCode(t, testSecret, time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("Code(t=%d) = %s, want %s", tc.unix, got, tc.want)
		}
	}
	if _, err := Code("!!", frozen); err == nil {
		t.Error("Code with a bad secret succeeded")
	}
}

func TestVerify(t *testing.T) {
	now := frozen
	cur := Step(now)
	at := func(d int) time.Time { return now.Add(time.Duration(d*Period) * time.Second) }
	for _, tc := range []struct {
		name     string
		code     string
		lastStep uint64
		want     uint64
		err      error
	}{
		{"current step", mustCode(t, testSecret, now), 0, cur, nil},
		{"previous step", mustCode(t, testSecret, at(-1)), 0, cur - 1, nil},
		{"next step", mustCode(t, testSecret, at(1)), 0, cur + 1, nil},
		{"two steps back", mustCode(t, testSecret, at(-2)), 0, 0, ErrInvalid},
		{"two steps ahead", mustCode(t, testSecret, at(2)), 0, 0, ErrInvalid},
		{"spaces trimmed", " " + mustCode(t, testSecret, now) + "\n", 0, cur, nil},
		{"replay of accepted step", mustCode(t, testSecret, now), cur, 0, ErrReplay},
		{"lastStep ahead", mustCode(t, testSecret, now), cur + 1, 0, ErrReplay},
		{"previous step after current accepted", mustCode(t, testSecret, at(-1)), cur, 0, ErrReplay},
		{"next step after current accepted", mustCode(t, testSecret, at(1)), cur, cur + 1, nil},
		{"empty", "", 0, 0, ErrInvalid},
		{"short", "12345", 0, 0, ErrInvalid},
		{"long", "1234567", 0, 0, ErrInvalid},
		{"letters", "12a456", 0, 0, ErrInvalid},
		{"inner space", "123 456", 0, 0, ErrInvalid},
		{"sign", "+12345", 0, 0, ErrInvalid},
		{"arabic-indic digits", "١٢٣٤٥٦", 0, 0, ErrInvalid},
		{"wrong code", wrongCode(t, now), 0, 0, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verify(testSecret, tc.code, now, tc.lastStep)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("Verify(%q, last=%d) = %d, %v; want %d, %v", tc.code, tc.lastStep, got, err, tc.want, tc.err)
			}
		})
	}
	if _, err := Verify("not base32!", "123456", now, 0); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("Verify with a bad secret = %v, want a secret error", err)
	}
}

// wrongCode returns a 6-digit code that matches none of the steps around now.
func wrongCode(t *testing.T, now time.Time) string {
	t.Helper()
	used := map[string]bool{}
	for d := -Skew; d <= Skew; d++ {
		used[mustCode(t, testSecret, now.Add(time.Duration(d*Period)*time.Second))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !used[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// TestVerifyRoundTrip runs the enrolment and login sequence: a code is accepted once, its
// step is stored, and the next step's code is accepted afterwards.
func TestVerifyRoundTrip(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	now := frozen
	step, err := Verify(secret, mustCode(t, secret, now), now, last)
	if err != nil || step != Step(now) {
		t.Fatalf("first Verify = %d, %v", step, err)
	}
	last = step
	if _, err := Verify(secret, mustCode(t, secret, now), now.Add(10*time.Second), last); !errors.Is(err, ErrReplay) {
		t.Fatalf("second use = %v, want ErrReplay", err)
	}
	later := now.Add(Period * time.Second)
	if step, err = Verify(secret, mustCode(t, secret, later), later, last); err != nil || step != last+1 {
		t.Fatalf("next step = %d, %v", step, err)
	}
}

func TestVerifyNearEpoch(t *testing.T) {
	now := time.Unix(5, 0) // step 0: no step -1 to try
	if step, err := Verify(testSecret, mustCode(t, testSecret, now), now, 0); !errors.Is(err, ErrReplay) || step != 0 {
		// step 0 <= lastStep 0: a user's "never accepted" marker must not admit step 0.
		t.Errorf("Verify at step 0 = %d, %v; want ErrReplay", step, err)
	}
	next := mustCode(t, testSecret, time.Unix(35, 0))
	if step, err := Verify(testSecret, next, now, 0); err != nil || step != 1 {
		t.Errorf("Verify step 1 at step 0 = %d, %v", step, err)
	}
}

func FuzzVerify(f *testing.F) {
	for _, s := range []string{"", "123456", " 287082 ", "12345", "1234567", "12a456", "١٢٣٤٥٦", "\x00\xff", "      "} {
		f.Add(s, uint64(0))
	}
	now := time.Unix(59, 0)
	f.Fuzz(func(t *testing.T, code string, last uint64) {
		step, err := Verify(testSecret, code, now, last)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrReplay) {
				t.Fatalf("Verify(%q) = unexpected error %v", code, err)
			}
			return
		}
		c := strings.TrimSpace(code)
		if len(c) != Digits || step <= last || step+1 < Step(now) || step > Step(now)+1 {
			t.Fatalf("Verify(%q, %d) accepted step %d", code, last, step)
		}
	})
}
