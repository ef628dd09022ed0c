package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"time"
	"unicode/utf8"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/otpcheck"
	"github.com/airt/airt/server/guard"
	"github.com/airt/airt/server/obs"
	usersync "github.com/airt/airt/sync"
)

// A login's username is refused before any work past these bounds (no
// username airt stores comes near them): a huge name must cost neither
// memory in the limiter nor log volume.
const (
	maxLoginUsernameRunes = 256
	maxLoginUsernameBytes = 1024
)

// handleLogin: bound the request, count the attempt (guard.Limiter) before
// anything is checked, check the password under the hashing gate, then the
// TOTP code under otp's lock-out rule, the one the CLI applies.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req usersync.LoginRequest
	if err := decode(r, &req); err != nil {
		s.metrics.LoginFailure("invalid")
		s.fail(w, err)
		return
	}
	if len(req.Username) > maxLoginUsernameBytes || utf8.RuneCountInString(req.Username) > maxLoginUsernameRunes {
		s.metrics.LoginFailure("invalid")
		s.fail(w, &httpError{status: http.StatusBadRequest, code: usersync.CodeInvalid,
			text: fmt.Sprintf("username: too long (at most %d characters)", maxLoginUsernameRunes)})
		return
	}
	annotate(w, "user", req.Username)
	name := account.NormalizeKey(req.Username)
	ticket, err := s.limiter.Reserve(name, obs.Addr(r.Context()))
	var lim *guard.Limited
	if errors.As(err, &lim) {
		secs := int((lim.Retry + time.Second - 1) / time.Second)
		s.metrics.LoginFailure("rate_limited")
		annotate(w, "limit", lim.Rule)
		s.fail(w, &httpError{status: http.StatusTooManyRequests, code: usersync.CodeRateLimited, retryAfter: secs,
			text: fmt.Sprintf("too many failed logins for %s: try again in %d seconds", req.Username, secs)})
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	failed := func(reason string, err error) {
		s.metrics.LoginFailure(reason)
		for _, rule := range ticket.Filled {
			s.metrics.Lockout(rule)
		}
		s.fail(w, err)
	}
	u, ok, err := s.checkPassword(r, req)
	if errors.Is(err, guard.ErrBusy) {
		ticket.Abandon()
		s.metrics.Busy()
		s.metrics.LoginFailure("busy")
		s.fail(w, &httpError{status: http.StatusServiceUnavailable, code: usersync.CodeBusy, retryAfter: 1,
			text: "the server is busy checking other logins: try again in a moment"})
		return
	}
	if err != nil {
		ticket.Abandon()
		s.fail(w, err)
		return
	}
	if !ok {
		failed("credentials", account.ErrBadCredentials)
		return
	}
	now := s.now()
	var resp usersync.LoginResponse
	var codeErr error // a refused code: committed (the failure counts), then answered
	err = s.store.Write(r.Context(), func(tx Tx) error {
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
			step, err := s.verifyTOTP(tx, u, req.OTP, now)
			if err != nil {
				codeErr = err
				return nil
			}
			m := &localstore.Mutation{Op: localstore.OpMFAStep, Target: u.UUID, Actor: u.UUID, Args: localstore.Args{Step: step}}
			if u, err = localstore.ApplyTo(tx, u, m); err != nil {
				return err
			}
			if _, err := record(tx, u, m, "", usersync.Fields(m)); err != nil {
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
	switch {
	case codeErr != nil:
		// The password was right; the attempt stays counted as a guess.
		var he *httpError
		if errors.As(codeErr, &he) && he.status == http.StatusTooManyRequests {
			failed("otp_locked", codeErr)
		} else {
			failed("otp", codeErr)
		}
		return
	case errors.Is(err, account.ErrOTPRequired):
		// The right password, the code still to come: not a guess.
		ticket.Success()
		s.fail(w, err)
		return
	case err != nil:
		failed("credentials", err)
		return
	}
	ticket.Success()
	writeJSON(w, http.StatusOK, resp)
}

// checkPassword looks req.Username up and checks the password under the
// hashing gate. An unknown user costs the same hash (a dummy one), so the
// answer's timing does not tell whether the account exists.
func (s *Server) checkPassword(r *http.Request, req usersync.LoginRequest) (*account.User, bool, error) {
	release, err := s.gate.Acquire(r.Context())
	if err != nil {
		if errors.Is(err, guard.ErrBusy) {
			return nil, false, err
		}
		return nil, false, guard.ErrBusy // the client went away while waiting
	}
	defer release()
	// The password is checked outside any write transaction: hashing must
	// not hold the write lock.
	var u *account.User
	if err := s.store.Read(r.Context(), func(tx Tx) error {
		var err error
		if u, err = tx.UserByUsername(req.Username); account.KindOf(err) == account.KindNotFound {
			u, err = nil, nil
		}
		return err
	}); err != nil {
		return nil, false, err
	}
	if u == nil {
		account.CheckPassword(dummyHash(), req.Password)
		return nil, false, nil
	}
	if !account.CheckPassword(u.PasswordHash, req.Password) || (!u.MFAActive() && req.OTP != "") {
		return nil, false, nil
	}
	return u, true, nil
}

// verifyTOTP checks code for u at now under otp's lock-out rule (the same
// the CLI applies: otp.MaxFailures wrong codes in a row lock codes for
// otp.LockDuration), persisted in the user's record in tx. A refusal is
// returned as an answer; the failure count is written in tx, which the
// caller commits.
func (s *Server) verifyTOTP(tx Tx, u *account.User, code string, now time.Time) (uint64, error) {
	if locked, until := localstore.OTPAttempts(u).Locked(now); locked {
		secs := int((until.Sub(now) + time.Second - 1) / time.Second)
		return 0, &httpError{status: http.StatusTooManyRequests, code: usersync.CodeRateLimited, retryAfter: secs,
			text: fmt.Sprintf("Too many invalid OTPs: one-time codes for %s are locked until %s.", u.Username, until.Format(time.RFC3339))}
	}
	// The check itself is otpcheck's, the command line's rule.
	step, err := s.checker(now).TOTP(tx, u, code)
	var f *otpcheck.Failure
	if !errors.As(err, &f) {
		return step, err
	}
	// The login's transaction commits a refused code (the caller returns
	// nil), so the failed attempt is written here, in it.
	if f.Record != nil {
		if err := f.Record(tx); err != nil {
			return 0, err
		}
	}
	if f.Final {
		s.metrics.Lockout("otp")
	}
	return 0, account.ErrInvalidOTP
}

func (s *Server) mfaSecret(tx Tx, u *account.User) (string, error) {
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
	if err := s.store.Write(r.Context(), func(tx Tx) error { return tx.DeleteSession(tok) }); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

var dummyHash = gosync.OnceValue(func() string {
	h, _ := account.HashPassword(randomID(16))
	return h
})
