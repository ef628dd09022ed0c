package otp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// SMS code policy. The original relied on Infobip's defaults (15 minutes, 10
// attempts); airt shortens the validity to 10 minutes.
const (
	// SMSValidity is how long an SMS code can be used after it was made.
	SMSValidity = 10 * time.Minute
	// SMSMaxFailures is the number of wrong codes after which the challenge is dead and the
	// flow must start over.
	SMSMaxFailures = 10
	// SMSDigits is the length of an SMS code.
	SMSDigits = 6
	// smsSaltBytes is the size of the per-challenge HMAC key.
	smsSaltBytes = 16
)

// Purposes of an SMS code. They are the original service's message template names, so a
// code made for one flow is not accepted by another (the caller compares Purpose).
const (
	PurposeRegisterPhone = "register_phone_number"
	PurposeResetPassword = "reset_password"
	PurposeDisableMFA    = "disable_mfa"
	PurposeGetToken      = "get_token"
)

// Errors of SMSChallenge.Check. The texts are the original service's.
var (
	// ErrSMSExpired: the challenge is older than SMSValidity.
	//lint:ignore ST1005 the original service's text, kept word for word
	ErrSMSExpired = errors.New("OTP entered is expired. Please generate a new OTP and try again.")
	// ErrSMSTooMany: SMSMaxFailures wrong codes were entered; the challenge is dead.
	//lint:ignore ST1005 the original service's text, kept word for word
	ErrSMSTooMany = errors.New("Too many failed attempts. Please initiate the phone registration process again.")
	// ErrSMSIncorrect: a wrong code, with tries left.
	//lint:ignore ST1005 the original service's text, kept word for word
	ErrSMSIncorrect = errors.New("Incorrect OTP. Please enter the OTP you have received on your registered phone number and try again.")
)

// SMSChallenge is a pending SMS code as the store keeps it (sealed, see Seal). The code
// itself is not kept: only Hash = HMAC-SHA256(key=Salt, code), with a random Salt per
// challenge, so a million-guess table has to be rebuilt for every challenge.
type SMSChallenge struct {
	Hash     []byte    // HMAC-SHA256(Salt, code)
	Salt     []byte    // 16 random bytes
	Expires  time.Time // the code is refused from this instant on
	Failures int       // wrong codes entered so far
	Phone    string    // E.164 number the code was sent to
	Purpose  string    // one of the Purpose constants
}

// NewSMSChallenge makes a new SMS code for phone and purpose at now: 6 uniformly random
// digits from crypto/rand. It returns the code (to send with SMSMessage, then forget) and
// the challenge to store, valid until now+SMSValidity. A new challenge replaces any previous
// one for the same purpose.
func NewSMSChallenge(phone, purpose string, now time.Time) (code string, ch SMSChallenge, err error) {
	return NewSMSChallengeFrom(rand.Reader, phone, purpose, now)
}

// NewSMSChallengeFrom is NewSMSChallenge reading randomness from r (tests pass a fixed
// reader). It returns an error only when r fails.
func NewSMSChallengeFrom(r io.Reader, phone, purpose string, now time.Time) (code string, ch SMSChallenge, err error) {
	n, err := rand.Int(r, big.NewInt(1_000_000))
	if err != nil {
		return "", SMSChallenge{}, fmt.Errorf("sms code: reading random bytes: %w", err)
	}
	code = fmt.Sprintf("%06d", n.Int64())
	salt := make([]byte, smsSaltBytes)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", SMSChallenge{}, fmt.Errorf("sms code: reading random bytes: %w", err)
	}
	ch = SMSChallenge{
		Hash:    smsHash(salt, code),
		Salt:    salt,
		Expires: now.Add(SMSValidity),
		Phone:   phone,
		Purpose: purpose,
	}
	return code, ch, nil
}

func smsHash(salt []byte, code string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(code))
	return m.Sum(nil)
}

// Matches reports whether the challenge was made for phone and purpose. Callers check it
// before Check, so a code sent to an old number, or for another flow, proves nothing (the
// original accepted a PIN sent to a number that had since been replaced).
func (c SMSChallenge) Matches(phone, purpose string) bool {
	return c.Phone == phone && c.Purpose == purpose
}

// Check verifies code at now. The code must be six ASCII digits once surrounding white
// space is trimmed; the hash comparison is constant-time. In order:
//
//   - ErrSMSTooMany if SMSMaxFailures wrong codes were already entered (it stays so);
//   - ErrSMSExpired if now is at or after Expires: a code made at T is accepted until just
//     before T+10min and refused at T+10min exactly;
//   - a wrong or malformed code increments Failures and returns ErrSMSIncorrect, or
//     ErrSMSTooMany when that was the SMSMaxFailures-th;
//   - nil for the right code. Codes are single use: on nil the caller deletes the challenge
//     in the same transaction. On error the caller stores the updated challenge.
func (c *SMSChallenge) Check(code string, now time.Time) error {
	if c.Failures >= SMSMaxFailures {
		return ErrSMSTooMany
	}
	if !now.Before(c.Expires) {
		return ErrSMSExpired
	}
	var got []byte
	if s, ok := parseCode(code); ok {
		got = smsHash(c.Salt, s)
	}
	if got != nil && len(c.Hash) == sha256.Size && hmac.Equal(got, c.Hash) {
		return nil
	}
	c.Failures++
	if c.Failures >= SMSMaxFailures {
		return ErrSMSTooMany
	}
	return ErrSMSIncorrect
}

// SMSMessage returns the text sent for code, saying what it is for, e.g.
//
//	Your airt code to register this phone number is 123456. It expires in 10 minutes. Do not share it.
//
// An unknown purpose gives "Your airt verification code is 123456. ...".
func SMSMessage(code, purpose string) string {
	what := "verification code"
	switch purpose {
	case PurposeRegisterPhone:
		what = "code to register this phone number"
	case PurposeResetPassword:
		what = "code to reset your password"
	case PurposeDisableMFA:
		what = "code to turn off multi-factor authentication"
	case PurposeGetToken:
		what = "code to log in"
	}
	return fmt.Sprintf("Your airt %s is %s. It expires in %d minutes. Do not share it.",
		what, code, int(SMSValidity/time.Minute))
}

// SMS sending is rate limited per user: at most SMSMaxSends codes in any
// SMSSendWindow, so that a script (or a stranger running reset-password, which
// needs no login) cannot flood a phone or run up the gateway's bill.
const (
	SMSMaxSends   = 5
	SMSSendWindow = time.Hour
)

// ErrSMSSendLimit is returned by SendAllowed when the limit is reached.
var ErrSMSSendLimit = errors.New("too many SMS codes were sent for this account")

// SendAllowed reports whether one more code may be sent now, given the times
// earlier codes were sent. It returns the send times still inside the window
// (the ones to keep) and, when refused, when the next send is allowed.
func SendAllowed(sent []time.Time, now time.Time) (kept []time.Time, next time.Time, err error) {
	for _, t := range sent {
		if now.Sub(t) < SMSSendWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) >= SMSMaxSends {
		oldest := kept[0]
		for _, t := range kept {
			if t.Before(oldest) {
				oldest = t
			}
		}
		return kept, oldest.Add(SMSSendWindow), ErrSMSSendLimit
	}
	return kept, time.Time{}, nil
}
