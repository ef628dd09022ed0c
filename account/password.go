package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2Parameters are the argon2id parameters of a password hash.
type Argon2Parameters struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen int
}

// ProductionArgon2 are the parameters of new password hashes: the OWASP
// recommendation (19 MiB memory, 2 passes, 1 lane), about 25 ms on one core.
// Hashes are PHC strings, e.g.
// $argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>, so the parameters can
// change later without breaking stored hashes.
var ProductionArgon2 = Argon2Parameters{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// testArgon2 are cheap parameters (64 KiB, 1 pass) that only a test binary
// switches on, through UseTestArgon2: the golden tests run the airt binary
// hundreds of times, and production hashing made up most of their time.
var testArgon2 = Argon2Parameters{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// argon2Params are the parameters HashPassword uses: ProductionArgon2 in
// every released binary. No flag or environment variable reaches it.
var argon2Params = ProductionArgon2

// UseTestArgon2 makes HashPassword use cheap parameters. Only test binaries
// call it (from TestMain, or the airt command registered by main_test.go);
// hashes it makes are still valid argon2id PHC strings.
func UseTestArgon2() { argon2Params = testArgon2 }

// Argon2Params returns the parameters new password hashes are made with.
func Argon2Params() Argon2Parameters { return argon2Params }

var b64 = base64.RawStdEncoding

// HashPassword returns an argon2id PHC hash of password.
func HashPassword(password string) (string, error) {
	p := argon2Params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ValidatePasswordHash checks that h is a hash airt can verify: argon2id PHC
// or bcrypt ($2a$, $2b$, $2y$). Import uses it for password_hash columns.
func ValidatePasswordHash(h string) error {
	switch {
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		if _, err := bcrypt.Cost([]byte(h)); err != nil {
			return Errorf(KindInvalid, "password_hash: not a valid bcrypt hash: %v", err)
		}
		return nil
	case strings.HasPrefix(h, "$argon2id$"):
		if _, _, _, err := parseArgon2(h); err != nil {
			return err
		}
		return nil
	}
	return Errorf(KindInvalid, "password_hash: must be a bcrypt ($2b$) or argon2id ($argon2id$) hash")
}

type argon2Setting struct {
	memory  uint32
	time    uint32
	threads uint8
}

func parseArgon2(h string) (argon2Setting, []byte, []byte, error) {
	var s argon2Setting
	bad := Errorf(KindInvalid, "password_hash: not a valid argon2id PHC string")
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return s, nil, nil, bad
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return s, nil, nil, bad
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &s.memory, &s.time, &s.threads); err != nil ||
		s.memory == 0 || s.time == 0 || s.threads == 0 || s.memory > 4<<20 {
		return s, nil, nil, bad
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) < 16 {
		return s, nil, nil, bad
	}
	return s, salt, key, nil
}

// CheckPassword reports whether password matches hash (argon2id or bcrypt),
// in constant time.
func CheckPassword(hash, password string) bool {
	if strings.HasPrefix(hash, "$argon2id$") {
		s, salt, key, err := parseArgon2(hash)
		if err != nil {
			return false
		}
		got := argon2.IDKey([]byte(password), salt, s.time, s.memory, s.threads, uint32(len(key)))
		return subtle.ConstantTimeCompare(got, key) == 1
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
