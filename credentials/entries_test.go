package credentials

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

func TestStoreKey(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	for _, tc := range []struct {
		name     string
		stored   string // "" means no entry
		create   bool
		wantMade bool
		wantKey  bool
		wantErr  string // "" means no error; "not found" means ErrNotFound
	}{
		{"none, create", "", true, true, true, ""},
		{"none, no create", "", false, false, false, "not found"},
		{"kept key", good, false, false, true, ""},
		{"kept key, create", good, true, false, true, ""},
		{"not base64", "%%%", true, false, false, "store key in the keyring is damaged"},
		{"short key", base64.StdEncoding.EncodeToString([]byte("short")), true, false, false, "store key in the keyring is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t, Config{StoreID: "s1", StorePath: storePath(t), Mode: ModeFile})
			if tc.stored != "" {
				if err := s.Set(EntryStoreKey, tc.stored); err != nil {
					t.Fatal(err)
				}
			}
			k, made, err := StoreKey(s, tc.create)
			switch {
			case tc.wantErr == "not found":
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
			case tc.wantErr != "":
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			}
			if made != tc.wantMade || (len(k) == 32) != tc.wantKey {
				t.Fatalf("made = %v, key %d bytes; want made %v, key %v", made, len(k), tc.wantMade, tc.wantKey)
			}
			if tc.stored != "" && tc.wantErr != "" {
				if v, _ := s.Get(EntryStoreKey); v != tc.stored {
					t.Errorf("a damaged key was replaced by %q", v)
				}
			}
			if tc.wantKey {
				again, made, err := StoreKey(s, tc.create)
				if err != nil || made || !bytes.Equal(again, k) {
					t.Errorf("second StoreKey = %x, %v, %v; want the same key, not made", again, made, err)
				}
			}
		})
	}
}
