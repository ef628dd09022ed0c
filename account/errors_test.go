package account

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorIs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"the code itself", ErrInvalidOTP, ErrInvalidOTP, true},
		{"a hinted copy", ErrInvalidOTP.WithHint("try the next code"), ErrInvalidOTP, true},
		{"a hinted copy of a hinted copy", ErrInvalidOTP.WithHint("a").WithHint("b"), ErrInvalidOTP, true},
		{"wrapped hinted copy", fmt.Errorf("alice: %w", ErrInvalidEmail.WithHint("x")), ErrInvalidEmail, true},
		{"wrapped code", fmt.Errorf("alice: %w", ErrUserExists), ErrUserExists, true},
		{"another code", ErrInvalidOTP, ErrOTPRequired, false},
		{"hinted copy of another code", ErrInvalidOTP.WithHint("x"), ErrOTPRequired, false},
		{"same kind and text, made by hand", &Error{Kind: KindOTP, Text: "Invalid OTP. Please try again."}, ErrInvalidOTP, false},
		{"Errorf with the same text", Errorf(KindOTP, "%s", ErrInvalidOTP.Error()), ErrInvalidOTP, false},
		{"a plain error", errors.New("Invalid OTP. Please try again."), ErrInvalidOTP, false},
		{"nil", nil, ErrInvalidOTP, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, tc.target); got != tc.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
			}
		})
	}
}

func TestCodeAsError(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		wantKind Kind
		wantText string
		wantHint string
	}{
		{"code with its own hint", ErrNotLoggedIn, KindUnauthenticated, "not logged in",
			"run 'airt token -u USERNAME' to log in, or set AIRT_SERVICE_TOKEN"},
		{"code without a hint", ErrInvalidOTP, KindOTP, "Invalid OTP. Please try again.", ""},
		{"hint replaced", ErrLastSuperUser.WithHint("other"), KindForbidden, "cannot disable the last enabled super user", "other"},
		{"wrapped code", fmt.Errorf("x: %w", ErrSuperUserOnly), KindForbidden,
			"You do not have sufficient permission to access this route. Please contact your administrator for help.", ""},
		{"unknown code", Code(200), KindFailed, "account error 200", ""},
		{"zero code", Code(0), KindFailed, "account error 0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *Error
			if !errors.As(tc.err, &e) {
				t.Fatalf("errors.As(%v, *Error) = false", tc.err)
			}
			if e.Kind != tc.wantKind || e.Text != tc.wantText || e.Hint != tc.wantHint {
				t.Errorf("got {%v %q %q}, want {%v %q %q}", e.Kind, e.Text, e.Hint, tc.wantKind, tc.wantText, tc.wantHint)
			}
			if KindOf(tc.err) != tc.wantKind {
				t.Errorf("KindOf = %v, want %v", KindOf(tc.err), tc.wantKind)
			}
		})
	}
}

// TestCodeTextsCannotChange: what errors.As hands out is a copy, so changing
// it does not change the next use of the code.
func TestCodeTextsCannotChange(t *testing.T) {
	var e *Error
	if !errors.As(ErrBadToken, &e) {
		t.Fatal("errors.As failed")
	}
	e.Text, e.Hint = "changed", "changed"
	if ErrBadToken.Error() == "changed" {
		t.Error("changing the *Error from errors.As changed ErrBadToken")
	}
	var again *Error
	errors.As(ErrBadToken, &again)
	if again.Hint == "changed" {
		t.Error("changing the *Error from errors.As changed ErrBadToken's hint")
	}
}

// TestEveryCodeHasText: no code between the first and the last entry of the
// table was left without a text.
func TestEveryCodeHasText(t *testing.T) {
	for c := Code(1); int(c) < len(coded); c++ {
		if coded[c].Text == "" {
			t.Errorf("code %d has no text", uint8(c))
		}
	}
}
