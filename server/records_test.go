package server

import (
	"reflect"
	"testing"

	usersync "github.com/airt/airt/sync"
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

func TestOutcomeRecordRoundTrip(t *testing.T) {
	for _, r := range []usersync.Result{
		{ID: "0123456789abcdef0123456789abcdef", Seq: 9, Outcome: usersync.Applied, Version: 12},
		{ID: "x", Seq: 1, Outcome: usersync.Rejected, Reason: "no"},
		{ID: "y", Seq: 2, Outcome: usersync.Conflict, Fields: []string{"email"}, Server: map[string]string{"email": "a"}, Local: map[string]string{"email": "b"}},
	} {
		p, err := encodeOutcome(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeOutcome(p)
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %+v: %+v, %v", r, got, err)
		}
	}
}
