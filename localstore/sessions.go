package localstore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/airt/airt/account"
)

// SessionLifetime is how long a local session (airt token) lasts.
const SessionLifetime = 30 * 24 * time.Hour

// Session binds a token (kept only as its SHA-256) to a user's uuid.
type Session struct {
	UserUUID string    `json:"user_uuid"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
}

func tokenKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return []byte(hex.EncodeToString(h[:]))
}

// NewSession creates a session for uuid and returns its token: 256 random
// bits, URL-safe base64 with an "airt_" prefix.
func (t *Tx) NewSession(uuid string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := "airt_" + base64.RawURLEncoding.EncodeToString(b)
	now := t.Now()
	k := tokenKey(token)
	data, err := putJSONRecord(k, Session{UserUUID: uuid, Created: now, Expires: now.Add(SessionLifetime)})
	if err != nil {
		return "", err
	}
	return token, t.tx.Bucket(bucketSessions).Put(k, data)
}

// SessionUser returns the user a token belongs to. Unknown, expired and
// revoked tokens give account.ErrBadToken; a disabled user gives
// account.ErrAccountDisabled.
func (t *Tx) SessionUser(token string) (*account.User, error) {
	k := tokenKey(token)
	v := t.tx.Bucket(bucketSessions).Get(k)
	if v == nil {
		return nil, account.ErrBadToken
	}
	var s Session
	if err := getJSONRecord("sessions", k, v, &s); err != nil {
		return nil, t.withPath(err)
	}
	if !t.Now().Before(s.Expires) {
		return nil, account.ErrBadToken
	}
	u, err := t.User(s.UserUUID)
	if err != nil {
		return nil, account.ErrBadToken
	}
	if err := account.CheckActive(u); err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteSession revokes one token (logout).
func (t *Tx) DeleteSession(token string) error {
	return t.tx.Bucket(bucketSessions).Delete(tokenKey(token))
}

// DeleteSessionsOf revokes every session of a user (disable, password reset).
func (t *Tx) DeleteSessionsOf(uuid string) error {
	b := t.tx.Bucket(bucketSessions)
	c := b.Cursor()
	var dead [][]byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var s Session
		if getJSONRecord("sessions", k, v, &s) == nil && s.UserUUID == uuid {
			dead = append(dead, append([]byte(nil), k...))
		}
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// TokenHash returns the key a token's session is kept under (its SHA-256,
// hex): what a server may remember of a revoked token.
func TokenHash(token string) string { return string(tokenKey(token)) }

// SessionsOf returns the token hashes (see TokenHash) and sessions of a
// user, so a caller can remember why they are about to be revoked.
func (t *Tx) SessionsOf(uuid string) (map[string]Session, error) {
	out := map[string]Session{}
	err := t.tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		var s Session
		if getJSONRecord("sessions", k, v, &s) == nil && s.UserUUID == uuid {
			out[string(k)] = s
		}
		return nil
	})
	return out, err
}

// ForEachSession calls fn with every session and its token hash (see
// TokenHash), in no particular order; a server store's tokens move with it
// (airt server migrate).
func (t *Tx) ForEachSession(fn func(hash string, s Session) error) error {
	return t.tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		var s Session
		if err := getJSONRecord("sessions", k, v, &s); err != nil {
			return t.withPath(err)
		}
		return fn(string(k), s)
	})
}
