package account

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// The look-alikes of the issue: none of them may be stored beside `admin`
// (refused outright, or the same key as admin).
func TestLookAlikeUsernames(t *testing.T) {
	adminKey, err := UsernameKey("admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in string
		sameKey  bool // accepted, but its key is admin's: uniqueness refuses it
	}{
		{"cyrillic a", "\u0430dmin", false},
		{"cyrillic o in latin", "r\u043eot", false},
		{"greek omicron", "r\u03bfot", false},
		{"fullwidth", "ａｄｍｉｎ", true},
		{"upper case", "ADMIN", true},
		{"zero width space", "admin\u200b", false},
		{"zero width joiner", "ad\u200dmin", false},
		{"right-to-left override", "\u202enimda", false},
		{"left-to-right mark", "\u200eadmin", false},
		{"bom", "\ufeffadmin", false},
		{"soft hyphen", "ad\u00admin", false},
		{"nbsp", "ad\u00a0min", false},
		{"line separator", "admin\u2028", false},
		{"c1 next line", "admin\u0085", false},
		{"c1 csi", "admin\u009b", false},
		{"escape", "admin\x1b[31m", false},
		{"newline", "admin\nroot", false},
		{"invalid utf-8", "admin\xff", false},
		{"emoji", "admin😀", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CanonicalUsername(tc.in)
			if !tc.sameKey {
				if err == nil {
					t.Fatalf("CanonicalUsername(%+q) = %q, want an error", tc.in, c)
				}
				if strings.ContainsAny(err.Error(), "\x1b\u009b\u202e\u200b\n") {
					t.Errorf("error text carries the raw character: %+q", err.Error())
				}
				return
			}
			if err != nil {
				t.Fatalf("CanonicalUsername(%+q): %v", tc.in, err)
			}
			if k, _ := UsernameKey(c); k != adminKey {
				t.Errorf("key of %+q = %+q, want admin's %q", c, k, adminKey)
			}
			if NormalizeKey(tc.in) != adminKey {
				t.Errorf("NormalizeKey(%+q) = %+q, want %q", tc.in, NormalizeKey(tc.in), adminKey)
			}
		})
	}
}

func TestNFCAndNFDAreOneName(t *testing.T) {
	nfc, nfd := norm.NFC.String("café"), norm.NFD.String("café")
	if nfc == nfd {
		t.Fatal("test strings are equal")
	}
	c1, err1 := CanonicalUsername(nfc)
	c2, err2 := CanonicalUsername(nfd)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if c1 != nfc || c2 != nfc {
		t.Errorf("stored forms %+q, %+q; want NFC %+q", c1, c2, nfc)
	}
	if NormalizeKey(nfd) != NormalizeKey(nfc) {
		t.Error("NFD and NFC café have different keys")
	}
	e1, _ := CanonicalEmail(nfd + "@example.com")
	e2, _ := CanonicalEmail(strings.ToUpper(nfc) + "@EXAMPLE.com")
	if k1, k2 := NormalizeKey(e1), NormalizeKey(e2); k1 != k2 {
		t.Errorf("email keys differ: %+q %+q", k1, k2)
	}
}

func TestUsernameScripts(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"alice", true},
		{"zoë", true},
		{"иван", true},       // Cyrillic alone
		{"ivan_иван", false}, // Latin with Cyrillic
		{"δημήτρης", true},   // Greek alone
		{"山田taro", true},     // Han with Latin (Japanese writing)
		{"やまだ太郎", true},      // Hiragana with Han
		{"김철수", true},        // Hangul
		{"김철수kim", true},     // Hangul with Latin
		{"ヤマダ", true},        // Katakana
		{"иван山田", false},    // Cyrillic with Han
		{"user-1.2_3", true}, // digits and punctuation are common to every script
		{"0b0e4f3c-1f0a-4a8e-9f2c-3c1d2e4f5a6b", false},
	} {
		if err := ValidateUsername(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateUsername(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestLengthsInCharacters(t *testing.T) {
	if err := ValidateUsername(strings.Repeat("あ", 34)); err != nil {
		t.Errorf("34 × あ (102 bytes) refused: %v", err)
	}
	if err := ValidateUsername(strings.Repeat("あ", 100)); err != nil {
		t.Errorf("100 × あ refused: %v", err)
	}
	if err := ValidateUsername(strings.Repeat("あ", 101)); err == nil {
		t.Error("101 × あ accepted")
	}
	if err := ValidateName("first_name", strings.Repeat("é", 255)); err != nil {
		t.Errorf("255 × é refused: %v", err)
	}
	if err := ValidateName("first_name", strings.Repeat("é", 256)); err == nil {
		t.Error("256 × é accepted")
	}
	if err := ValidatePassword("😀😀"); err == nil {
		t.Error("a 2-character password (8 bytes) accepted")
	}
	if err := ValidatePassword("パスワードです。"); err != nil {
		t.Errorf("an 8-character password refused: %v", err)
	}
	if err := ValidateUsername(strings.Repeat("a", 8<<20)); err == nil || len(err.Error()) > 300 {
		t.Errorf("an 8 MB username: error %.300q", err)
	}
}

func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"Mary Ann", true}, {"Zoë", true}, {"O'Brien-Smith", true}, {"李", true}, {"Иван", true},
		{"Mary\u00a0Ann", false}, {"Ann\u2028Evil", false}, {"Ann\u0085", false}, {"x\u009b31m", false},
		{"\u202eevil", false}, {"a\u2066b", false}, {"zw\u200bj", false}, {"\x1b]0;title\x07", false},
		{"bad\xffutf8", false}, {"priv\ue000", false},
	} {
		if err := ValidateName("first_name", tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateName(%+q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestEmails(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"alice@example.com", true},
		{"a.b+c@sub.example.co.uk", true},
		{"иван@пример.рф", true},
		{"ivan@пример.рф", true}, // each part in one script
		{"\u0430dmin@example.com", false},
		{"admin@ex\u0430mple.com", false},
		{"admin\u200b@example.com", false},
		{"admin@example.com\u202e", false},
		{"ad\u00a0min@example.com", false},
		{strings.Repeat("a", 95) + "@b.com", false},
	} {
		if err := ValidateEmail(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateEmail(%+q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestPasswordHashParameters(t *testing.T) {
	phc := func(m, tm uint32, p uint8, salt, key int) string {
		return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p,
			b64.EncodeToString(make([]byte, salt)), b64.EncodeToString(make([]byte, key)))
	}
	bc := func(cost int) string {
		h, err := bcrypt.GenerateFromPassword([]byte("pw"), cost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	prod := ProductionArgon2
	for _, tc := range []struct {
		name, hash string
		ok         bool
	}{
		{"production argon2id", phc(prod.Memory, prod.Time, prod.Threads, prod.SaltLen, int(prod.KeyLen)), true},
		{"1 GiB argon2id", phc(1<<20, 2, 1, 16, 32), false},
		{"4 GiB argon2id", phc(4<<20, 1, 1, 16, 32), false},
		{"many passes", phc(prod.Memory, 1000, 1, 16, 32), false},
		{"many lanes", phc(prod.Memory, 2, 255, 16, 32), false},
		{"short key", phc(prod.Memory, 2, 1, 16, 16), false},
		{"trailing junk in parameters", strings.Replace(phc(prod.Memory, 2, 1, 16, 32), "p=1", "p=1x", 1), false},
		{"argon2 version 16", strings.Replace(phc(prod.Memory, 2, 1, 16, 32), "v=19", fmt.Sprintf("v=%d", 16), 1), false},
		{"bcrypt 10", bc(10), true},
		{"bcrypt 12", bc(12), true},
		{"bcrypt 4", bc(bcrypt.MinCost), false},
		{"bcrypt 31", strings.Replace(bc(10), "$10$", "$31$", 1), false},
		{"bcrypt truncated", bc(10)[:50], false},
	} {
		err := ValidatePasswordHash(tc.hash)
		if (err == nil) != tc.ok {
			t.Errorf("%s: ValidatePasswordHash = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if !tc.ok && CheckPassword(tc.hash, "pw") {
			t.Errorf("%s: CheckPassword accepted a refused hash", tc.name)
		}
	}
	if argon2.Version != 19 {
		t.Fatalf("argon2.Version = %d", argon2.Version)
	}
}

func TestTestArgon2OnlyInTestBinaries(t *testing.T) {
	tp := testArgon2
	h := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", tp.Memory, tp.Time, tp.Threads,
		b64.EncodeToString(make([]byte, tp.SaltLen)), b64.EncodeToString(make([]byte, tp.KeyLen)))
	savedParams, savedAccept := argon2Params, acceptTestArgon2
	defer func() { argon2Params, acceptTestArgon2 = savedParams, savedAccept }()
	argon2Params, acceptTestArgon2 = ProductionArgon2, false
	if ValidatePasswordHash(h) == nil {
		t.Error("a released binary accepts the test parameters")
	}
	UseTestArgon2()
	if err := ValidatePasswordHash(h); err != nil {
		t.Errorf("a test binary refuses its own parameters: %v", err)
	}
}

// The ASCII fast path gives what PRECIS gives.
func TestASCIIFastPathMatchesPRECIS(t *testing.T) {
	var all []byte
	for c := byte(0x21); c <= 0x7e; c++ {
		all = append(all, c)
	}
	cases := []string{string(all), "Alice", "a.b+c@Example.COM", "UPPER_lower-09", "~!@#$%^&*()"}
	for i := range all {
		cases = append(cases, string(all[i:i+1]))
	}
	for _, s := range cases {
		want, err := precis.UsernameCaseMapped.String(s)
		got, gerr := UsernameKey(s)
		if (err == nil) != (gerr == nil) || got != want {
			t.Errorf("UsernameKey(%q) = %q, %v; PRECIS %q, %v", s, got, gerr, want, err)
		}
		want, err = precis.UsernameCasePreserved.String(s)
		got, gerr = casePreserved(s)
		if (err == nil) != (gerr == nil) || got != want {
			t.Errorf("casePreserved(%q) = %q, %v; PRECIS %q, %v", s, got, gerr, want, err)
		}
	}
}
