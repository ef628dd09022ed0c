package server

import (
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	usersync "github.com/airt/airt/sync"
)

// Login rate limiting: LoginFailures failed logins per username and client
// address within LoginWindow answer 429 until the oldest failure leaves the
// window.
const (
	LoginFailures = 5
	LoginWindow   = 5 * time.Minute
)

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req usersync.LoginRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	annotate(w, "user=%s", req.Username)
	key := account.NormalizeKey(req.Username) + "|" + clientIP(r)
	now := s.now()
	if wait := s.limiter.wait(key, now); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		s.fail(w, &httpError{status: http.StatusTooManyRequests, code: usersync.CodeRateLimited, retryAfter: secs,
			text: fmt.Sprintf("too many failed logins for %s: try again in %d seconds", req.Username, secs)})
		return
	}
	// The password is checked in a read transaction: hashing must not hold
	// the write lock.
	var u *account.User
	_ = s.store.View(func(tx *localstore.Tx) error {
		u, _ = tx.UserByUsername(req.Username)
		return nil
	})
	if u == nil {
		// Spend the time a wrong password costs, so the answer's timing does
		// not tell whether the account exists.
		account.CheckPassword(dummyHash(), req.Password)
	}
	if u == nil || !account.CheckPassword(u.PasswordHash, req.Password) || (!u.MFAActive() && req.OTP != "") {
		s.limiter.fail(key, now)
		s.fail(w, account.ErrBadCredentials)
		return
	}
	var resp usersync.LoginResponse
	err := s.store.Update(func(tx *localstore.Tx) error {
		u, err := tx.User(u.UUID)
		if err != nil {
			return account.ErrBadCredentials
		}
		if err := account.CheckActive(u); err != nil {
			return err
		}
		if u.MFAActive() {
			if req.OTP == "" {
				return account.ErrOTPRequired
			}
			secret, err := s.mfaSecret(tx, u)
			if err != nil {
				return err
			}
			step, err := otp.Verify(secret, req.OTP, now, u.MFA.LastStep)
			if err != nil {
				s.limiter.fail(key, now)
				return account.ErrInvalidOTP
			}
			m := &localstore.Mutation{Op: localstore.OpMFAStep, Target: u.UUID, Actor: u.UUID, Args: localstore.Args{Step: step}}
			if u, err = tx.Apply(u, m); err != nil {
				return err
			}
			if _, err := s.record(tx, u, m, "", usersync.Fields(m)); err != nil {
				return err
			}
		}
		tok, err := tx.NewSession(u.UUID)
		if err != nil {
			return err
		}
		wu, err := s.wire(tx, u, true)
		if err != nil {
			return err
		}
		resp = usersync.LoginResponse{Token: tok, Expires: tx.Now().Add(localstore.SessionLifetime), User: wu, Epoch: s.epoch}
		return nil
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	s.limiter.reset(key)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) mfaSecret(tx *localstore.Tx, u *account.User) (string, error) {
	key, err := tx.Key()
	if err != nil {
		return "", err
	}
	b, err := otp.Open(key, u.MFA.SealedSecret, []byte(u.UUID))
	return string(b), err
}

// handleLogout revokes the request's token.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authenticate(w, r); err != nil {
		s.fail(w, err)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.store.Update(func(tx *localstore.Tx) error { return tx.DeleteSession(tok) }); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

var dummyHash = gosync.OnceValue(func() string {
	h, _ := account.HashPassword(randomID(16))
	return h
})
