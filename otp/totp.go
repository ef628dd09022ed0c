package otp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	pqotp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters. They match the original service (pyotp defaults, RFC 6238) and what every
// authenticator app supports; they are not configurable.
const (
	// Period is the length of a TOTP time step, in seconds.
	Period = 30
	// Digits is the number of digits of a TOTP code.
	Digits = 6
	// Skew is how many steps before and after the current one Verify accepts.
	// RFC 6238 §5.2 recommends at most one.
	Skew = 1
	// SecretBytes is the size of a TOTP secret: 160 bits, the length of the SHA1 HMAC output
	// (RFC 4226 R6). Base32 without padding it is 32 characters.
	SecretBytes = 20
	// Issuer is the issuer written in the otpauth URI and shown by authenticator apps.
	Issuer = "airt"
)

// ErrInvalid is returned by Verify when the code is malformed or matches none of the
// accepted steps. The text is the original service's.
//
//lint:ignore ST1005 the original service's text, kept word for word
var ErrInvalid = errors.New("Invalid OTP. Please try again.")

// ErrReplay is returned by Verify when the code is right but its step was already accepted
// for this user (RFC 6238 §5.2: a code is accepted once).
var ErrReplay = errors.New("this code was already used; wait for the next code in the authenticator app")

// b32 is the secret encoding: RFC 4648 base32, upper case, no padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// validateOpts are the parameters handed to pquerna/otp. Digits must always be set: without
// it pquerna refuses every code ("Input length unexpected").
var validateOpts = hotp.ValidateOpts{Digits: pqotp.DigitsSix, Algorithm: pqotp.AlgorithmSHA1}

// NewSecret returns a new random 160-bit TOTP secret from crypto/rand, base32 without
// padding (32 characters). It is a password: show it once, store it only sealed.
func NewSecret() (string, error) { return NewSecretFrom(rand.Reader) }

// NewSecretFrom is NewSecret reading its SecretBytes random bytes from r (tests pass a
// fixed reader). It returns an error only when r fails.
func NewSecretFrom(r io.Reader) (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("totp secret: reading random bytes: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// decodeSecret accepts a secret the way authenticator apps and pquerna do: surrounding
// spaces trimmed, lower case allowed, padding optional.
func decodeSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.TrimRight(strings.TrimSpace(secret), "="))
	b, err := b32.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("totp secret: not a base32 secret; the stored secret is damaged, run mfa enable again")
	}
	return b, nil
}

// CheckSecret reports whether secret can be used by Code and Verify: base32 (any case,
// padding optional) of at least 16 bytes (128 bits, RFC 4226 R6).
func CheckSecret(secret string) error {
	b, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	if len(b) < 16 {
		return fmt.Errorf("totp secret: %d bits is too short; at least 128 are needed", 8*len(b))
	}
	return nil
}

// URI returns the otpauth provisioning URI for secret and account (the user's email), built
// with pquerna/otp:
//
//	otpauth://totp/airt:alice@example.com?algorithm=SHA1&digits=6&issuer=airt&period=30&secret=...
//
// pquerna sorts the query parameters; authenticator apps do not care about their order.
// Unlike the original ("airt.ai", no algorithm/digits/period), the parameters are explicit
// so apps cannot guess them wrong. The secret is written upper case without padding.
//
// URI never fails: for a secret that does not decode (check it with CheckSecret) or an empty
// account it writes the same shape by hand, and authenticator apps will refuse it.
func URI(secret, account string) string {
	if b, err := decodeSecret(secret); err == nil {
		key, err := totp.Generate(totp.GenerateOpts{
			Issuer:      Issuer,
			AccountName: account,
			Period:      Period,
			Secret:      b,
			Digits:      pqotp.DigitsSix,
			Algorithm:   pqotp.AlgorithmSHA1,
		})
		if err == nil {
			return key.URL()
		}
	}
	v := url.Values{}
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("issuer", Issuer)
	v.Set("period", "30")
	v.Set("secret", strings.TrimSpace(secret))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + Issuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

// Step returns the TOTP time step of t: its Unix time divided by Period. Times before
// 1970 are step 0.
func Step(t time.Time) uint64 {
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u) / Period
}

// Code returns the 6-digit code for secret at time t. The CLI uses it in tests and in the
// self-check command; it returns an error only for a secret that is not base32.
func Code(secret string, t time.Time) (string, error) {
	return codeAt(secret, Step(t))
}

// codeAt is the HOTP value of secret at step (RFC 4226), computed by pquerna/otp.
func codeAt(secret string, step uint64) (string, error) {
	if _, err := decodeSecret(secret); err != nil {
		return "", err
	}
	c, err := hotp.GenerateCodeCustom(secret, step, validateOpts)
	if err != nil {
		return "", fmt.Errorf("totp code: %w", err)
	}
	return c, nil
}

// parseCode trims surrounding white space and returns the code if it is exactly Digits
// ASCII digits. Anything else (letters, Unicode digits, inner spaces, 5 or 7 digits) fails.
func parseCode(code string) (string, bool) {
	c := strings.TrimSpace(code)
	if len(c) != Digits {
		return "", false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return "", false
		}
	}
	return c, true
}

// Verify checks code against secret at time now. It accepts the steps now-1, now and now+1
// (Skew), never two steps away, and compares codes in constant time. The code must be
// exactly six ASCII digits once surrounding white space is trimmed.
//
// lastStep is the highest step already accepted for this user (0 if none). A code that
// matches a step <= lastStep is refused with ErrReplay; otherwise the lowest matching step
// above lastStep is returned, and the caller must store it as the new lastStep (it only
// goes up) in the same transaction that read lastStep, so two concurrent logins cannot both
// pass.
//
// Errors: ErrInvalid (malformed or wrong code), ErrReplay (right code, step already used),
// or a wrapped error for a secret that is not base32 (the store is damaged). Failed attempts
// are not counted here: see Attempts.
func Verify(secret, code string, now time.Time, lastStep uint64) (step uint64, err error) {
	if _, err := decodeSecret(secret); err != nil {
		return 0, err
	}
	c, ok := parseCode(code)
	if !ok {
		return 0, ErrInvalid
	}
	cur := Step(now)
	var accepted uint64
	found, replay := false, false
	// Every candidate step is computed and compared, whatever matched before, so the time
	// taken does not tell which step (if any) matched.
	for d := -Skew; d <= Skew; d++ {
		if d < 0 && cur < uint64(-d) {
			continue // before the epoch's first steps
		}
		s := uint64(int64(cur) + int64(d))
		want, err := codeAt(secret, s)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(c)) != 1 {
			continue
		}
		if s <= lastStep {
			replay = true
			continue
		}
		if !found {
			found, accepted = true, s
		}
	}
	switch {
	case found:
		return accepted, nil
	case replay:
		return 0, ErrReplay
	default:
		return 0, ErrInvalid
	}
}
