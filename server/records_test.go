package server

import (
	"reflect"
	"testing"
)

func TestChangeRecordRoundTrip(t *testing.T) {
	for _, ch := range []change{
		{ID: "0123456789abcdef", UUID: "0b9a4c1e-1111-4222-8333-444455556666", Store: "fedcba9876543210fedcba9876543210",
			Seq: 7, Mutation: "0123456789abcdef0123456789abcdef", Fields: []string{"username", "email", "sso:google"}},
		{ID: "NOT HEX", UUID: "x", Fields: []string{"*"}},
		{ID: "abc", Fields: []string{}},
	} {
		got, err := decodeChange(encodeChange(ch))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ch) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, ch)
		}
	}
	// A change as schema 2 wrote it (JSON) still reads.
	got, err := decodeChange([]byte(`{"id":"ab","uuid":"u","fields":["email"]}`))
	if err != nil || got.ID != "ab" || got.Fields[0] != "email" {
		t.Errorf("JSON change = %+v, %v", got, err)
	}
}

func FuzzDecodeChange(f *testing.F) {
	f.Add(encodeChange(change{ID: "ab", UUID: "u", Fields: []string{"x"}}))
	f.Add([]byte{1, 1, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) { _, _ = decodeChange(p) })
}
