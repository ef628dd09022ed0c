package otp

import (
	"bytes"
	"errors"
	"testing"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	key, other := mustKey(t), mustKey(t)
	if len(key) != 32 || bytes.Equal(key, other) {
		t.Fatalf("NewKey: %x, %x", key, other)
	}
	secret := []byte(testSecret)
	ad := []byte("users/alice/totp")
	sealed, err := Seal(key, secret, ad)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 24+len(secret)+16 || bytes.Contains(sealed, secret) {
		t.Errorf("sealed = %x", sealed)
	}
	again, _ := Seal(key, secret, ad)
	if bytes.Equal(sealed, again) {
		t.Error("two seals of the same secret are equal: the nonce is not random")
	}

	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	for _, tc := range []struct {
		name   string
		key    []byte
		sealed []byte
		ad     []byte
		ok     bool
	}{
		{"round trip", key, sealed, ad, true},
		{"wrong key", other, sealed, ad, false},
		{"tampered nonce", key, flip(0), ad, false},
		{"tampered ciphertext", key, flip(30), ad, false},
		{"tampered tag", key, flip(len(sealed) - 1), ad, false},
		{"truncated", key, sealed[:len(sealed)-1], ad, false},
		{"too short", key, sealed[:10], ad, false},
		{"empty", key, nil, ad, false},
		{"different additional data", key, sealed, []byte("users/bob/totp"), false},
		{"missing additional data", key, sealed, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Open(tc.key, tc.sealed, tc.ad)
			if tc.ok {
				if err != nil || !bytes.Equal(got, secret) {
					t.Errorf("Open = %q, %v", got, err)
				}
				return
			}
			if !errors.Is(err, ErrSealedOpen) || got != nil {
				t.Errorf("Open = %q, %v; want ErrSealedOpen", got, err)
			}
		})
	}
	if err := ErrSealedOpen.Error(); err != "sealed secret cannot be opened: wrong store key or damaged data" {
		t.Errorf("ErrSealedOpen text = %q", err)
	}

	// Empty plaintext round-trips; bad key sizes are refused on both sides.
	if s, err := Seal(key, nil, nil); err != nil {
		t.Error(err)
	} else if p, err := Open(key, s, nil); err != nil || len(p) != 0 {
		t.Errorf("empty round trip = %q, %v", p, err)
	}
	if _, err := Seal(key[:16], secret, nil); err == nil {
		t.Error("Seal with a 16-byte key succeeded")
	}
	if _, err := Open(key[:16], sealed, ad); err == nil || errors.Is(err, ErrSealedOpen) {
		t.Errorf("Open with a 16-byte key = %v, want a key-size error", err)
	}
}
