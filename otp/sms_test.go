package otp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func newChallenge(t *testing.T) (string, SMSChallenge) {
	t.Helper()
	code, ch, err := NewSMSChallenge("+440123456789", PurposeRegisterPhone, frozen)
	if err != nil {
		t.Fatal(err)
	}
	return code, ch
}

// otherCode returns a well-formed code that is not code.
func otherCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestNewSMSChallenge(t *testing.T) {
	code, ch := newChallenge(t)
	if _, ok := parseCode(code); !ok {
		t.Errorf("code %q is not 6 digits", code)
	}
	if !ch.Expires.Equal(frozen.Add(SMSValidity)) || ch.Failures != 0 || len(ch.Salt) != 16 || len(ch.Hash) != 32 {
		t.Errorf("challenge = %+v", ch)
	}
	if !ch.Matches("+440123456789", PurposeRegisterPhone) || ch.Matches("+440123456780", PurposeRegisterPhone) || ch.Matches("+440123456789", PurposeResetPassword) {
		t.Error("Matches does not bind phone and purpose")
	}
	// The code appears nowhere in the stored challenge, as text or as bytes.
	for _, b := range [][]byte{ch.Hash, ch.Salt, []byte(ch.Phone), []byte(ch.Purpose)} {
		if bytes.Contains(b, []byte(code)) {
			t.Errorf("challenge field %x contains the code %s", b, code)
		}
	}
	if bytes.Equal(ch.Hash, smsHash(nil, code)) {
		t.Error("hash is not salted")
	}
	// Deterministic with a fixed reader; a short reader fails.
	c1, _, err := NewSMSChallengeFrom(bytes.NewReader(make([]byte, 64)), "p", "x", frozen)
	if err != nil || c1 != "000000" {
		t.Errorf("NewSMSChallengeFrom(zeros) = %q, %v", c1, err)
	}
	if _, _, err := NewSMSChallengeFrom(bytes.NewReader(make([]byte, 4)), "p", "x", frozen); err == nil {
		t.Error("NewSMSChallengeFrom(short reader) succeeded")
	}
	// Codes vary.
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		c, _ := newChallenge(t)
		seen[c] = true
	}
	if len(seen) < 2 {
		t.Error("20 codes are all equal")
	}
}

func TestSMSCheck(t *testing.T) {
	code, ch := newChallenge(t)
	for _, tc := range []struct {
		name string
		code string
		at   time.Duration
		err  error
	}{
		{"right code", code, 0, nil},
		{"right code with spaces", " " + code + "\n", time.Minute, nil},
		{"just before expiry", code, SMSValidity - time.Nanosecond, nil},
		{"at expiry", code, SMSValidity, ErrSMSExpired},
		{"after expiry", code, SMSValidity + time.Hour, ErrSMSExpired},
		{"wrong code", otherCode(code), 0, ErrSMSIncorrect},
		{"malformed", "12ab56", 0, ErrSMSIncorrect},
		{"empty", "", 0, ErrSMSIncorrect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ch
			err := c.Check(tc.code, frozen.Add(tc.at))
			if !errors.Is(err, tc.err) {
				t.Errorf("Check = %v, want %v", err, tc.err)
			}
			wantFailures := 0
			if tc.err == ErrSMSIncorrect {
				wantFailures = 1
			}
			if c.Failures != wantFailures {
				t.Errorf("Failures = %d, want %d", c.Failures, wantFailures)
			}
		})
	}
}

func TestSMSTooMany(t *testing.T) {
	code, ch := newChallenge(t)
	wrong := otherCode(code)
	for i := 1; i < SMSMaxFailures; i++ {
		if err := ch.Check(wrong, frozen); !errors.Is(err, ErrSMSIncorrect) || ch.Failures != i {
			t.Fatalf("wrong code %d: %v, failures %d", i, err, ch.Failures)
		}
	}
	if err := ch.Check(wrong, frozen); !errors.Is(err, ErrSMSTooMany) {
		t.Fatalf("10th wrong code: %v, want ErrSMSTooMany", err)
	}
	// Dead for good: the right code, later calls, even after expiry.
	for _, at := range []time.Duration{0, time.Minute, SMSValidity + time.Minute} {
		if err := ch.Check(code, frozen.Add(at)); !errors.Is(err, ErrSMSTooMany) {
			t.Errorf("right code after 10 failures (+%v): %v, want ErrSMSTooMany", at, err)
		}
	}
	if ch.Failures != SMSMaxFailures {
		t.Errorf("Failures = %d after the challenge died, want %d", ch.Failures, SMSMaxFailures)
	}
}

func TestSMSZeroChallenge(t *testing.T) {
	var ch SMSChallenge
	if err := ch.Check("123456", frozen); !errors.Is(err, ErrSMSExpired) {
		t.Errorf("zero challenge: %v, want ErrSMSExpired", err)
	}
	ch.Expires = frozen.Add(time.Minute) // no hash: nothing matches
	if err := ch.Check("123456", frozen); !errors.Is(err, ErrSMSIncorrect) {
		t.Errorf("challenge without hash: %v, want ErrSMSIncorrect", err)
	}
}

func TestSMSMessage(t *testing.T) {
	for _, tc := range []struct{ purpose, want string }{
		{PurposeRegisterPhone, "Your airt code to register this phone number is 123456. It expires in 10 minutes. Do not share it."},
		{PurposeResetPassword, "Your airt code to reset your password is 123456. It expires in 10 minutes. Do not share it."},
		{PurposeDisableMFA, "Your airt code to turn off multi-factor authentication is 123456. It expires in 10 minutes. Do not share it."},
		{"", "Your airt verification code is 123456. It expires in 10 minutes. Do not share it."},
	} {
		if got := SMSMessage("123456", tc.purpose); got != tc.want {
			t.Errorf("SMSMessage(%q) = %q", tc.purpose, got)
		}
		if !strings.Contains(SMSMessage("654321", tc.purpose), "654321") {
			t.Errorf("message for %q lacks the code", tc.purpose)
		}
	}
}

func TestSendAllowed(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var sent []time.Time
	for i := 0; i < SMSMaxSends; i++ {
		kept, _, err := SendAllowed(sent, now.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatalf("send %d refused: %v", i+1, err)
		}
		sent = append(kept, now.Add(time.Duration(i)*time.Minute))
	}
	at := now.Add(10 * time.Minute)
	if _, next, err := SendAllowed(sent, at); !errors.Is(err, ErrSMSSendLimit) || !next.Equal(now.Add(SMSSendWindow)) {
		t.Errorf("send %d: err %v, next %v; want the limit until %v", SMSMaxSends+1, err, next, now.Add(SMSSendWindow))
	}
	// An hour after the first send, one slot is free again.
	kept, _, err := SendAllowed(sent, now.Add(SMSSendWindow))
	if err != nil || len(kept) != SMSMaxSends-1 {
		t.Errorf("after the window: kept %d, err %v; want %d kept and allowed", len(kept), err, SMSMaxSends-1)
	}
}
