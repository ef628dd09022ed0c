package localstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/otp"
)

// Pending SMS codes (bucketSMS) and the TOTP failure counter. Both are local
// security state of this store, not changes to a user's record: they are not
// mutations and never enter the outbox.

// smsKey is the key of a user's pending challenge for purpose.
func smsKey(uuid, purpose string) []byte { return []byte(uuid + "/" + purpose) }

// PutSMSChallenge stores ch as the pending SMS code of user uuid for purpose,
// replacing any previous one (only the latest code counts). The record is
// sealed with the store key (additional data: the key), so the store file
// shows neither the code's hash nor the phone number.
func (t *Tx) PutSMSChallenge(uuid, purpose string, ch otp.SMSChallenge) error {
	clear, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	key, err := t.Key()
	if err != nil {
		return err
	}
	k := smsKey(uuid, purpose)
	sealed, err := otp.Seal(key, clear, k)
	if err != nil {
		return fmt.Errorf("seal sms code: %w", err)
	}
	return t.tx.Bucket(bucketSMS).Put(k, sealed)
}

// SMSChallenge returns the pending SMS code of user uuid for purpose; ok is
// false when none is pending.
func (t *Tx) SMSChallenge(uuid, purpose string) (ch otp.SMSChallenge, ok bool, err error) {
	k := smsKey(uuid, purpose)
	v := t.tx.Bucket(bucketSMS).Get(k)
	if v == nil {
		return ch, false, nil
	}
	key, err := t.Key()
	if err != nil {
		return ch, false, err
	}
	clear, err := otp.Open(key, v, k)
	if err != nil {
		return ch, false, fmt.Errorf("pending sms code: %w", err)
	}
	if err := json.Unmarshal(clear, &ch); err != nil {
		return ch, false, fmt.Errorf("decode pending sms code: %w", err)
	}
	return ch, true, nil
}

// DeleteSMSChallenge removes the pending SMS code of user uuid for purpose
// (used up, or the flow starts over).
func (t *Tx) DeleteSMSChallenge(uuid, purpose string) error {
	return t.tx.Bucket(bucketSMS).Delete(smsKey(uuid, purpose))
}

// PutOTPAttempts stores the TOTP failure counter and lock-out of user uuid
// (account.MFA.Failures / LockedUntil). It is written directly, not as a
// mutation: the counter is this replica's defence against guessing and is
// committed even when the command that checked the code fails. It does nothing
// for a user without MFA.
func (t *Tx) PutOTPAttempts(uuid string, a otp.Attempts) error {
	u, err := t.User(uuid)
	if err != nil {
		return err
	}
	updated, ok := WithOTPAttempts(u, a)
	if !ok {
		return nil
	}
	return t.PutUser(u, updated)
}

// WithOTPAttempts returns a copy of u holding the TOTP failure state a, and
// false for a user without MFA (nothing to keep). Every store keeps the
// state this way, in the user's record, so the CLI and the server count
// wrong codes by one rule.
func WithOTPAttempts(u *account.User, a otp.Attempts) (*account.User, bool) {
	if u.MFA == nil {
		return nil, false
	}
	updated := *u
	m := *u.MFA
	m.Failures, m.LockedUntil = a.Failures, a.LockedUntil
	updated.MFA = &m
	return &updated, true
}

// OTPAttempts returns the TOTP failure state of u.
func OTPAttempts(u *account.User) otp.Attempts {
	if u.MFA == nil {
		return otp.Attempts{}
	}
	return otp.Attempts{Failures: u.MFA.Failures, LockedUntil: u.MFA.LockedUntil}
}

// smsSendsKey keeps when SMS codes were last sent for user uuid (any
// purpose), for the send limit (otp.SendAllowed).
func smsSendsKey(uuid string) []byte { return []byte(uuid + "/sends") }

// SMSSends returns the times SMS codes were sent for user uuid.
func (t *Tx) SMSSends(uuid string) ([]time.Time, error) {
	var sent []time.Time
	k := smsSendsKey(uuid)
	if v := t.tx.Bucket(bucketSMS).Get(k); v != nil {
		if err := getJSONRecord("sms", k, v, &sent); err != nil {
			return nil, t.withPath(err)
		}
	}
	return sent, nil
}

// PutSMSSends stores the times SMS codes were sent for user uuid.
func (t *Tx) PutSMSSends(uuid string, sent []time.Time) error {
	k := smsSendsKey(uuid)
	data, err := putJSONRecord(k, sent)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bucketSMS).Put(k, data)
}

// ForEachSMS calls code for every pending SMS code and sends for every
// user's send times (a server store moving to another kind of store keeps
// them), each decoded as SMSChallenge and SMSSends decode it.
func (t *Tx) ForEachSMS(code func(uuid, purpose string, ch otp.SMSChallenge) error, sends func(uuid string, sent []time.Time) error) error {
	var keys [][]byte
	if err := t.tx.Bucket(bucketSMS).ForEach(func(k, _ []byte) error {
		keys = append(keys, clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		i := bytes.LastIndexByte(k, '/')
		if i < 0 {
			return fmt.Errorf("sms record %q: no user", k)
		}
		uuid, what := string(k[:i]), string(k[i+1:])
		if what == "sends" {
			sent, err := t.SMSSends(uuid)
			if err != nil {
				return err
			}
			if err := sends(uuid, sent); err != nil {
				return err
			}
			continue
		}
		ch, ok, err := t.SMSChallenge(uuid, what)
		if err != nil {
			return err
		}
		if ok {
			if err := code(uuid, what, ch); err != nil {
				return err
			}
		}
	}
	return nil
}
