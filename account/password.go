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
func UseTestArgon2() { argon2Params, acceptTestArgon2 = testArgon2, true }

// acceptTestArgon2 lets ValidatePasswordHash accept hashes made with the test
// parameters; like argon2Params, only UseTestArgon2 sets it.
var acceptTestArgon2 = false

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

// Bcrypt costs airt accepts: the original wrote cost 12, golang.org/x/crypto
// defaults to 10. Each step doubles the work, so a higher cost in a pushed
// or imported hash would let whoever wrote it make every failed login burn
// seconds of the server's CPU (cost 31 is days).
const (
	MinBcryptCost = 10
	MaxBcryptCost = 12
)

// ValidatePasswordHash checks that h is a hash airt writes or imports, and
// nothing costlier: an argon2id PHC string with exactly airt's parameters
// (ProductionArgon2; a test binary also accepts its cheap ones), or a bcrypt
// hash ($2a$, $2b$, $2y$) of cost 10 to 12. A hash of other parameters could
// make each password check take gigabytes or minutes; it is refused on push,
// on import and by CheckPassword.
func ValidatePasswordHash(h string) error {
	switch {
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		cost, err := bcrypt.Cost([]byte(h))
		if err != nil || len(h) != 60 {
			return Errorf(KindInvalid, "password_hash: not a valid bcrypt hash")
		}
		if cost < MinBcryptCost || cost > MaxBcryptCost {
			return Errorf(KindInvalid, "password_hash: bcrypt cost %d is not accepted: use a cost from %d to %d", cost, MinBcryptCost, MaxBcryptCost)
		}
		return nil
	case strings.HasPrefix(h, "$argon2id$"):
		_, _, _, err := parseArgon2(h)
		return err
	}
	return Errorf(KindInvalid, "password_hash: must be a bcrypt ($2b$) or argon2id ($argon2id$) hash")
}

type argon2Setting struct {
	memory  uint32
	time    uint32
	threads uint8
}

// maxPHCLength bounds an argon2id string before it is parsed: airt's are 97
// characters.
const maxPHCLength = 200

func parseArgon2(h string) (argon2Setting, []byte, []byte, error) {
	var s argon2Setting
	bad := Errorf(KindInvalid, "password_hash: not a valid argon2id PHC string")
	if len(h) > maxPHCLength {
		return s, nil, nil, bad
	}
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return s, nil, nil, bad
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &s.memory, &s.time, &s.threads); err != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", s.memory, s.time, s.threads) {
		return s, nil, nil, bad
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return s, nil, nil, bad
	}
	accepted := func(p Argon2Parameters) bool {
		return s.memory == p.Memory && s.time == p.Time && s.threads == p.Threads &&
			len(salt) == p.SaltLen && len(key) == int(p.KeyLen)
	}
	if !accepted(ProductionArgon2) && !(acceptTestArgon2 && accepted(testArgon2)) {
		p := ProductionArgon2
		return s, nil, nil, Errorf(KindInvalid,
			"password_hash: argon2id parameters m=%d,t=%d,p=%d (salt %d, key %d bytes) are not accepted: airt writes and accepts m=%d,t=%d,p=%d with a %d-byte salt and a %d-byte key",
			s.memory, s.time, s.threads, len(salt), len(key), p.Memory, p.Time, p.Threads, p.SaltLen, p.KeyLen)
	}
	return s, salt, key, nil
}

// CheckPassword reports whether password matches hash (argon2id or bcrypt),
// in constant time. A hash ValidatePasswordHash refuses matches nothing and
// costs nothing: a store damaged or written by an older airt cannot make one
// login burn gigabytes or minutes.
func CheckPassword(hash, password string) bool {
	if ValidatePasswordHash(hash) != nil {
		return false
	}
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
