package localstore

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/otp"
	bolt "go.etcd.io/bbolt"
)

func TestSMSChallengeStore(t *testing.T) {
	key, err := otp.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "airt.db")
	s, err := Open(path, Options{Now: func() time.Time { return now },
		Key: func(string, bool) ([]byte, error) { return key, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, ch, err := otp.NewSMSChallenge("+447911123456", otp.PurposeResetPassword, now)
	if err != nil {
		t.Fatal(err)
	}
	const uuid = "0c7ffa7d-dd29-4fd1-84ff-f2128932f8b0"
	if err := s.Update(func(tx *Tx) error { return tx.PutSMSChallenge(uuid, otp.PurposeResetPassword, ch) }); err != nil {
		t.Fatal(err)
	}
	// Sealed at rest: neither the code nor the number shows in the bucket.
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSMS).Get(smsKey(uuid, otp.PurposeResetPassword))
		if v == nil {
			t.Fatal("challenge not stored")
		}
		for _, clear := range []string{code, "447911123456", otp.PurposeResetPassword} {
			if bytes.Contains(v, []byte(clear)) {
				t.Errorf("stored challenge contains %q in clear", clear)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(func(tx *Tx) error {
		got, ok, err := tx.SMSChallenge(uuid, otp.PurposeResetPassword)
		if err != nil || !ok {
			t.Fatalf("SMSChallenge = %v, %v", ok, err)
		}
		if err := got.Check(code, now); err != nil {
			t.Errorf("stored challenge refuses its code: %v", err)
		}
		if _, ok, _ := tx.SMSChallenge(uuid, otp.PurposeDisableMFA); ok {
			t.Error("a challenge for another purpose was found")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx *Tx) error { return tx.DeleteSMSChallenge(uuid, otp.PurposeResetPassword) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if _, ok, _ := tx.SMSChallenge(uuid, otp.PurposeResetPassword); ok {
			t.Error("challenge still there after delete")
		}
		return nil
	})
	// Another store key cannot open it.
	if err := s.Update(func(tx *Tx) error { return tx.PutSMSChallenge(uuid, otp.PurposeResetPassword, ch) }); err != nil {
		t.Fatal(err)
	}
	s.cachedKey, _ = otp.NewKey()
	if err := s.View(func(tx *Tx) error {
		_, _, err := tx.SMSChallenge(uuid, otp.PurposeResetPassword)
		return err
	}); err == nil {
		t.Error("challenge opened with another store key")
	}
}

func TestPutOTPAttempts(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	s, err := Open(filepath.Join(t.TempDir(), "airt.db"), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := &account.User{UUID: "0c7ffa7d-dd29-4fd1-84ff-f2128932f8b0", Username: "ada", Email: "ada@example.com",
		MFA: &account.MFA{Active: true, LastStep: 7}}
	plain := &account.User{UUID: "1c7ffa7d-dd29-4fd1-84ff-f2128932f8b0", Username: "bob", Email: "bob@example.com"}
	until := now.Add(otp.LockDuration)
	err = s.Update(func(tx *Tx) error {
		if err := tx.PutUser(nil, u); err != nil {
			return err
		}
		if err := tx.PutUser(nil, plain); err != nil {
			return err
		}
		if err := tx.PutOTPAttempts(u.UUID, otp.Attempts{Failures: 2, LockedUntil: until}); err != nil {
			return err
		}
		return tx.PutOTPAttempts(plain.UUID, otp.Attempts{Failures: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		got, _ := tx.User(u.UUID)
		if a := OTPAttempts(got); a.Failures != 2 || !a.LockedUntil.Equal(until) || got.MFA.LastStep != 7 || !got.MFA.Active {
			t.Errorf("after PutOTPAttempts: %+v", got.MFA)
		}
		if got, _ := tx.User(plain.UUID); got.MFA != nil {
			t.Errorf("PutOTPAttempts gave a user without MFA an MFA state: %+v", got.MFA)
		}
		return nil
	})
}
