package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otp"
	"github.com/airt/airt/otpcheck"
	usersync "github.com/airt/airt/sync"
)

// maxOnlineBody bounds the body of /v1/online and /v1/sms: a few short
// fields.
const maxOnlineBody = 8 << 10

// errResetFailed is the one answer to every failed online password reset,
// which needs no token: it must not tell a stranger whether an account
// exists, has MFA, a verified phone, or is locked out.
var errResetFailed = &account.Error{Kind: account.KindOTP, Text: "Password reset failed: the username or the OTP is not right."}

// handleOnline makes a user's own security change on the server, checking
// its proof here (see usersync.OnlineRequest).
func (s *Server) handleOnline(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxOnlineBody)
	var req usersync.OnlineRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	op := localstore.Op(req.Op)
	annotate(w, "op", req.Op)
	var self *account.User
	if op == localstore.OpPasswordReset && r.Header.Get("Authorization") == "" {
		// A reset needs no login: the account is named, the proof is a code.
		_ = s.store.Read(r.Context(), func(tx Tx) error {
			self, _ = tx.UserByUsername(req.Username)
			return nil
		})
		if self == nil {
			s.fail(w, errResetFailed)
			return
		}
	} else {
		var err error
		if self, err = s.authenticate(w, r); err != nil {
			s.fail(w, err)
			return
		}
	}
	now := s.now()
	var hash string
	if op == localstore.OpPasswordReset {
		if err := account.ValidatePassword(req.NewPassword); err != nil {
			s.fail(w, err)
			return
		}
		// Hashed before the write transaction (hashing must not hold the
		// store's lock) and under the hashing gate, like a login's check: a
		// reset needs no token, so a flood of them must not hash at will.
		release, err := s.gate.Acquire(r.Context())
		if err != nil {
			s.fail(w, &httpError{status: http.StatusServiceUnavailable, code: usersync.CodeBusy, retryAfter: 1,
				text: "the server is busy: try again in a moment"})
			return
		}
		hash, err = account.HashPassword(req.NewPassword)
		release()
		if err != nil {
			s.fail(w, err)
			return
		}
	}
	var resp usersync.OnlineResponse
	err := s.writeCounting(r.Context(), func(tx Tx) error {
		u, err := tx.User(self.UUID)
		if err != nil {
			return err
		}
		chk := s.checker(now)
		actor := u
		m := &localstore.Mutation{Op: op, Target: u.UUID, Actor: u.UUID, BaseVersion: u.Version}
		switch op {
		case localstore.OpMFAActivate:
			if err := chk.CallerOTP(tx, u, req.OTP); err != nil {
				return err
			}
			if err := otp.CheckSecret(req.MFASecret); err != nil {
				return account.Errorf(account.KindInvalid, "mfa.activate: the TOTP secret is not valid")
			}
			step, err := otp.Verify(req.MFASecret, req.MFACode, now, 0)
			if err != nil {
				return account.ErrInvalidOTP
			}
			m.Args = localstore.Args{Step: step, Secrets: localstore.Secrets{MFASecret: req.MFASecret}}
		case localstore.OpMFADisable:
			if !u.MFAActive() {
				return account.Errorf(account.KindConflict, "MFA is already disabled for the user")
			}
			if req.OTP == "" {
				return account.ErrOTPRequired
			}
			if err := chk.Proof(tx, u, otpcheck.Proof{Code: req.OTP, TOTP: true, SMS: otp.PurposeDisableMFA}); err != nil {
				return err
			}
		case localstore.OpPhoneVerified:
			phone, err := account.NormalizePhone(req.Phone)
			if err != nil {
				return err
			}
			if err := chk.SMS(tx, u, otp.PurposeRegisterPhone, phone, req.OTP); err != nil {
				return err
			}
			m.Args.Phone = &phone
		case localstore.OpPasswordReset:
			if err := chk.Proof(tx, u, otpcheck.Proof{Code: req.OTP, TOTP: u.MFAActive(), SMS: otp.PurposeResetPassword}); err != nil {
				return err
			}
			actor, m.Actor = nil, "" // proven by the code, as the local reset
			m.Args.Secrets.PasswordHash = hash
		case localstore.OpSSOEnable, localstore.OpSSODisable:
			if err := chk.CallerOTP(tx, u, req.OTP); err != nil {
				return err
			}
			m.Args.Provider, m.Args.SSOEmail = req.Provider, req.SSOEmail
		default:
			return account.Errorf(account.KindInvalid, "%s is not an online operation", account.Quote(req.Op))
		}
		if u, err = tx.User(u.UUID); err != nil { // the check may have used up a step
			return err
		}
		m.BaseVersion = u.Version
		nu, err := localstore.ApplyTo(tx, actor, m)
		if err != nil {
			return err
		}
		rev, err := record(tx, nu, m, "", usersync.Fields(m))
		resp.Version = rev
		return err
	})
	if err != nil {
		if op == localstore.OpPasswordReset && r.Header.Get("Authorization") == "" {
			var ae *account.Error
			if errors.As(err, &ae) {
				annotate(w, "reset_failed", ae.Text)
				err = errResetFailed
			}
		}
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleSMS sends a one-time code by the server's own AIRT_SMS_COMMAND (see
// usersync.SMSRequest).
func (s *Server) handleSMS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxOnlineBody)
	var req usersync.SMSRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	annotate(w, "purpose", req.Purpose)
	now := s.now()
	var u *account.User
	var phone string
	switch req.Purpose {
	case otp.PurposeResetPassword:
		// No token: the answer is {} whether or not a code goes out.
		_ = s.store.Read(r.Context(), func(tx Tx) error {
			u, _ = tx.UserByUsername(req.Username)
			return nil
		})
		if u == nil || !u.PhoneVerified || u.Phone == "" {
			writeJSON(w, http.StatusOK, struct{}{})
			return
		}
		phone = u.Phone
	case otp.PurposeDisableMFA, otp.PurposeRegisterPhone:
		var err error
		if u, err = s.authenticate(w, r); err != nil {
			s.fail(w, err)
			return
		}
		if req.Purpose == otp.PurposeDisableMFA {
			if !u.PhoneVerified || u.Phone == "" {
				s.fail(w, account.Errorf(account.KindFailed, "%s has no verified phone number to send the OTP to", u.Username))
				return
			}
			phone = u.Phone
			break
		}
		if phone, err = account.NormalizePhone(req.Phone); err != nil {
			s.fail(w, err)
			return
		}
		// Registering a phone is a change of the account: with MFA, the
		// caller's code first, as the local command asks.
		err = s.writeCounting(r.Context(), func(tx Tx) error {
			fresh, err := tx.User(u.UUID)
			if err != nil {
				return err
			}
			return s.checker(now).CallerOTP(tx, fresh, req.OTP)
		})
		if err != nil {
			s.fail(w, err)
			return
		}
	default:
		s.fail(w, account.Errorf(account.KindInvalid, "purpose %s: use register_phone_number, disable_mfa or reset_password", account.Quote(req.Purpose)))
		return
	}
	// The send is counted before the code goes out, in the transaction
	// that checks the limit (which holds the store's write lock, across
	// processes too): requests sending at once get exactly the limit. A
	// failed send is taken back.
	var out *otpcheck.Outgoing
	err := s.store.Write(r.Context(), func(tx Tx) error {
		var err error
		if out, err = otpcheck.Prepare(tx, u.UUID, phone, req.Purpose, now); err != nil {
			return err
		}
		return out.Reserve(tx)
	})
	if err == nil {
		if err = out.Send(s.smsCommand); err == nil {
			err = s.store.Write(r.Context(), func(tx Tx) error { return out.CommitCode(tx) })
		} else if rerr := s.store.Write(r.Context(), func(tx Tx) error { return out.Release(tx) }); rerr != nil {
			err = fmt.Errorf("%w (taking the send back failed too: %v)", err, rerr)
		}
	}
	if err != nil {
		if req.Purpose == otp.PurposeResetPassword {
			annotate(w, "sms_failed", err.Error())
			writeJSON(w, http.StatusOK, struct{}{})
			return
		}
		if strings.Contains(err.Error(), "AIRT_SMS_COMMAND") {
			// The server's configuration, not the client's: do not send the
			// client a hint about the server's environment.
			annotate(w, "sms_failed", err.Error())
			err = account.Errorf(account.KindFailed, "the server could not send the SMS")
		}
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
