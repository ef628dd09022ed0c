package localstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/airt/airt/account"
)

func TestUserRecordRoundTrip(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, u := range []*account.User{
		{UUID: "0b9a4c1e-1111-4222-8333-444455556666"},
		{UUID: "0b9a4c1e-1111-4222-8333-444455556666", Username: "ann", Email: "ann@example.com",
			FirstName: "Ann", LastName: "Lee", SubscriptionType: "small", SuperUser: true, Disabled: true,
			Created: at, Phone: "+447911123456", PhoneVerified: true, PasswordHash: "$argon2id$v=19$x",
			MFA:     &account.MFA{Active: true, SealedSecret: []byte{1, 2, 3}, LastStep: 99, Failures: 2, LockedUntil: at.Add(time.Hour)},
			SSO:     map[string]string{"google": "a@g.com", "github": "a@h.com"},
			Version: 7, Updated: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)},
		{UUID: "x", MFA: &account.MFA{}},
		{UUID: "x", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$zyeZcPA5FvJbou2Ezij19w$wsINyES+BrFg1IXrv3tuVAMyNdD53bU2+ABu+I7/1EY"},
		{UUID: "x", PasswordHash: "$argon2id$v=019$m=19456,t=2,p=1$zyeZcPA5FvJbou2Ezij19w$wsINyES+BrFg1IXrv3tuVAMyNdD53bU2+ABu+I7/1EY"},
		{UUID: "x", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$zyeZcPA5FvJbou2Ezij19w==$wsINyES"},
		{UUID: "x", PasswordHash: "$2b$10$IpD0ghIGQDCwLs8HFhN64O5hj1aL4mTsP.Q7P3RKJ4E9IdP6fqwje"},
	} {
		got, err := UnmarshalUser("users", []byte(u.UUID), MarshalUser(u))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, u) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, u)
		}
	}
	// The canonical argon2id string is kept as bytes, 45 bytes shorter.
	h := "$argon2id$v=19$m=19456,t=2,p=1$zyeZcPA5FvJbou2Ezij19w$wsINyES+BrFg1IXrv3tuVAMyNdD53bU2+ABu+I7/1EY"
	var e enc
	e.passwordHash(h)
	if len(e.b) > len(h)-40 {
		t.Errorf("argon2id hash takes %d bytes for a %d-byte string", len(e.b), len(h))
	}
}

func TestMutationRecordRoundTrip(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, m := range []Mutation{
		{Seq: 1, ID: "0123456789abcdef0123456789abcdef", StoreID: "fedcba9876543210fedcba9876543210",
			Op: OpCreate, Target: "0b9a4c1e-1111-4222-8333-444455556666", BaseVersion: 3, Created: at,
			Args: Args{Username: Str("a"), Email: Str(""), FirstName: Str("F"), LastName: Str("L"),
				SubscriptionType: Str("small"), SuperUser: Bool(false), Phone: Str("+1"), Created: &at, Step: 5,
				Provider: "google", SSOEmail: "x@y.z"}},
		{Seq: 2, ID: "NOT-HEX", StoreID: "0B9A4C1E-1111-4222-8333-444455556666", Op: OpUpdate,
			Target: "short", Actor: "0b9a4c1e-1111-4222-8333-44445555666g", State: StateConflict, Reason: "why"},
	} {
		p := encodeMutation(&m, []byte("sealed"))
		got, sealed, err := decodeMutation(m.Seq, p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) || string(sealed) != "sealed" {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
		}
	}
}

// FuzzRecordDecoders: a record that passes its checksum but holds any bytes
// must decode or fail, never panic or allocate without bound.
func FuzzRecordDecoders(f *testing.F) {
	f.Add(encodeUser(&account.User{Username: "a", MFA: &account.MFA{}, SSO: map[string]string{"g": "e"}}))
	f.Add(encodeMutation(&Mutation{ID: "x", Args: Args{Username: Str("u")}}, nil))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, p []byte) {
		_, _ = decodeUser("k", p)
		_, _, _ = decodeMutation(1, p)
		_, _ = UnmarshalUser("users", []byte("k"), sealRecord([]byte("k"), p))
	})
}

func TestNewUUIDIncreases(t *testing.T) {
	prev := NewUUID()
	for range 10000 {
		u := NewUUID()
		if u <= prev || !account.LooksLikeUUID(u) || u[14] != '7' {
			t.Fatalf("uuid %s after %s", u, prev)
		}
		prev = u
	}
}
