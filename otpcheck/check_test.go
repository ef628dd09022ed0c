package otpcheck

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is the store's clock in these tests: set to the instant each check
// runs at, as a real store's clock would read.
var clock = t0

const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// fixture is a store with one user with MFA active (secret testSecret) and
// a verified phone.
func fixture(t *testing.T) (*localstore.Store, *account.User) {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := localstore.Open(filepath.Join(t.TempDir(), "airt.db"), localstore.Options{
		LockTimeout: time.Second,
		Now:         func() time.Time { return clock },
		Key:         func(string, bool) ([]byte, error) { return key, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var u *account.User
	err = s.Update(func(tx *localstore.Tx) error {
		m := &localstore.Mutation{Op: localstore.OpCreate, Target: localstore.NewUUID(), Args: localstore.Args{
			Username: localstore.Str("ann"), Email: localstore.Str("ann@example.com"), FirstName: localstore.Str("A"),
			LastName: localstore.Str("N"), SubscriptionType: localstore.Str("small"), SuperUser: localstore.Bool(true),
			Secrets: localstore.Secrets{PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"}}}
		var err error
		if u, err = tx.Apply(nil, m); err != nil {
			return err
		}
		if u, err = tx.Apply(u, &localstore.Mutation{Op: localstore.OpMFAActivate, Target: u.UUID,
			Args: localstore.Args{Secrets: localstore.Secrets{MFASecret: testSecret}}}); err != nil {
			return err
		}
		phone := "+447911123456"
		u, err = tx.Apply(u, &localstore.Mutation{Op: localstore.OpPhoneVerified, Target: u.UUID, Args: localstore.Args{Phone: &phone}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, u
}

func code(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := otp.Code(testSecret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// check runs one TOTP check at now the way both the command line and the
// server do: in a transaction, the failure recorded after it.
func check(s *localstore.Store, uuid, c string, now time.Time) error {
	clock = now
	return Update(s, func(tx *localstore.Tx) error {
		u, err := tx.User(uuid)
		if err != nil {
			return err
		}
		chk := Checker{Now: now, UseStep: func(r Records, u *account.User, step uint64) error {
			_, err := r.(*localstore.Tx).Apply(u, &localstore.Mutation{Op: localstore.OpMFAStep, Target: u.UUID, Args: localstore.Args{Step: step}})
			return err
		}}
		return chk.Proof(tx, u, Proof{Code: c, TOTP: true})
	})
}

func TestTOTPWindowAndReplay(t *testing.T) {
	clock = t0
	s, u := fixture(t)
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"two steps back", now.Add(-60 * time.Second), false},
		{"one step back", now.Add(-30 * time.Second), true},
		{"replay of that step", now.Add(-30 * time.Second), false},
		{"current step", now, true},
		{"replay of the current step", now, false},
		{"one step ahead", now.Add(30 * time.Second), true},
		{"two steps ahead", now.Add(60 * time.Second), false},
	} {
		err := check(s, u.UUID, code(t, tc.at), now)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestLockOutIsPersisted(t *testing.T) {
	clock = t0
	s, u := fixture(t)
	now := t0.Add(time.Hour)
	wrong := "000000"
	if wrong == code(t, now) {
		wrong = "000001"
	}
	var err error
	for i := 1; i <= otp.MaxFailures; i++ {
		err = check(s, u.UUID, wrong, now)
		var f *Failure
		if !errors.As(err, &f) {
			t.Fatalf("wrong code %d: %v, want a Failure", i, err)
		}
		if f.Final != (i == otp.MaxFailures) {
			t.Errorf("wrong code %d: final = %v", i, f.Final)
		}
	}
	if !strings.Contains(err.Error(), "Invalid OTP") {
		t.Errorf("5th wrong code: %v", err)
	}
	// Locked: even the right code is refused, without a check, and the
	// lock is in the stored record (another process sees it).
	if err := check(s, u.UUID, code(t, now), now.Add(time.Minute)); err == nil || !strings.Contains(err.Error(), "locked until") {
		t.Fatalf("right code while locked: %v", err)
	}
	if err := s.View(func(tx *localstore.Tx) error {
		fresh, err := tx.User(u.UUID)
		if err != nil {
			return err
		}
		if !fresh.MFA.LockedUntil.Equal(now.Add(otp.LockDuration)) {
			t.Errorf("stored lock until %v, want %v", fresh.MFA.LockedUntil, now.Add(otp.LockDuration))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The lock ends after LockDuration; a right code clears the count.
	later := now.Add(otp.LockDuration)
	if err := check(s, u.UUID, code(t, later), later); err != nil {
		t.Fatalf("right code after the lock: %v", err)
	}
	if err := s.View(func(tx *localstore.Tx) error {
		fresh, _ := tx.User(u.UUID)
		if a := localstore.OTPAttempts(fresh); a != (otp.Attempts{}) {
			t.Errorf("attempts after a success: %+v", a)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestSMSCodes(t *testing.T) {
	clock = t0
	s, u := fixture(t)
	var out *Outgoing
	if err := s.View(func(tx *localstore.Tx) error {
		var err error
		out, err = Prepare(tx, u.UUID, u.Phone, otp.PurposeDisableMFA, t0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx *localstore.Tx) error { return out.Commit(tx) }); err != nil {
		t.Fatal(err)
	}
	sent := out.Message[strings.Index(out.Message, " is ")+4:][:6]
	checkSMS := func(c string, at time.Time) error {
		return Update(s, func(tx *localstore.Tx) error {
			u, _ := tx.User(u.UUID)
			return Checker{Now: at}.Proof(tx, u, Proof{Code: c, SMS: otp.PurposeDisableMFA})
		})
	}
	wrong := "123456"
	if wrong == sent {
		wrong = "654321"
	}
	if err := checkSMS(wrong, t0); !Retryable(err) {
		t.Fatalf("wrong SMS code: %v", err)
	}
	if err := checkSMS(sent, t0.Add(otp.SMSValidity)); err == nil {
		t.Fatal("SMS code accepted after it expired")
	}
	if err := checkSMS(sent, t0.Add(time.Minute)); err != nil {
		t.Fatalf("right SMS code: %v", err)
	}
	if err := checkSMS(sent, t0.Add(time.Minute)); err == nil {
		t.Fatal("SMS code accepted twice")
	}
}

func TestSendLimitAndNoSender(t *testing.T) {
	clock = t0
	s, u := fixture(t)
	if err := (&Outgoing{Phone: u.Phone}).Send(" "); !errors.Is(err, ErrNoSMSSender) {
		t.Errorf("no sender: %v", err)
	}
	for i := 0; i <= otp.SMSMaxSends; i++ {
		var out *Outgoing
		err := s.View(func(tx *localstore.Tx) error {
			var err error
			out, err = Prepare(tx, u.UUID, u.Phone, otp.PurposeGetToken, t0.Add(time.Duration(i)*time.Second))
			return err
		})
		if i == otp.SMSMaxSends {
			if err == nil {
				t.Error("a send over the limit was allowed")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Update(func(tx *localstore.Tx) error { return out.Commit(tx) }); err != nil {
			t.Fatal(err)
		}
	}
}
