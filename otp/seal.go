package otp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the size of a store key: 32 bytes for XChaCha20-Poly1305.
const KeySize = chacha20poly1305.KeySize

// ErrSealedOpen is returned by Open when the sealed bytes fail authentication: the key is not
// the one that sealed them, or the bytes (or the additional data) changed.
var ErrSealedOpen = errors.New("sealed secret cannot be opened: wrong store key or damaged data")

// NewKey returns a new random 32-byte store key from crypto/rand. The store keeps it in the
// OS keyring, never in the store file.
func NewKey() ([]byte, error) { return NewKeyFrom(rand.Reader) }

// NewKeyFrom is NewKey reading from r. It returns an error only when r fails.
func NewKeyFrom(r io.Reader) ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := io.ReadFull(r, k); err != nil {
		return nil, fmt.Errorf("store key: reading random bytes: %w", err)
	}
	return k, nil
}

// Seal encrypts and authenticates plaintext with key (XChaCha20-Poly1305) and returns
// nonce || ciphertext || tag: a fresh random 24-byte nonce (large enough that random nonces
// never repeat), then len(plaintext)+16 bytes.
//
// additionalData is authenticated but not encrypted or stored: pass what the secret belongs
// to (for example the bucket and user id) so a sealed value copied to another record does
// not open there. Open must be given the same bytes. Seal fails only for a key that is not
// KeySize bytes or a failing random source.
func Seal(key, plaintext, additionalData []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("seal: store key is %d bytes, want %d", len(key), KeySize)
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, out); err != nil {
		return nil, fmt.Errorf("seal: reading random nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, additionalData), nil
}

// Open reverses Seal. It returns ErrSealedOpen when sealed is too short, the key is wrong,
// or sealed or additionalData was changed; a wrapped error for a key that is not KeySize
// bytes.
func Open(key, sealed, additionalData []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("open sealed secret: store key is %d bytes, want %d", len(key), KeySize)
	}
	ns := aead.NonceSize()
	if len(sealed) < ns+aead.Overhead() {
		return nil, ErrSealedOpen
	}
	pt, err := aead.Open(nil, sealed[:ns], sealed[ns:], additionalData)
	if err != nil {
		return nil, ErrSealedOpen
	}
	return pt, nil
}
