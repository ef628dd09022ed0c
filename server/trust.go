package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/otpcheck"
	usersync "github.com/airt/airt/sync"
)

// A client store is under its user's control: the server believes nothing
// it did not check itself. Every pushed mutation goes through localstore.ApplyTo, the
// same function (and so the same validation) as the local command; before
// that, authorise decides whether the pusher may make such a change to that
// target at all, so a refused mutation's answer says nothing about its
// target (not whether it exists, not its fields, not a conflict).

// authorise applies the permission rules to m as actor before the target is
// read: a non-super user may change only their own account, only a super
// user creates, disables or enables users. The target is named by uuid
// only, so the answer is the same whether it exists or not.
func authorise(actor *account.User, m *localstore.Mutation) error {
	return localstore.Authorize(actor, &account.User{UUID: m.Target}, m.Op)
}

// onlineCommands names, for each security change of a user's own account,
// the command that makes it as an online operation: the server checks the
// proof (current password, a TOTP code, an SMS code it sent) itself, so
// such a change made offline by a non-super user cannot be pushed.
var onlineCommands = map[localstore.Op]string{
	localstore.OpPasswordReset: "airt user reset-password",
	localstore.OpMFAActivate:   "airt user mfa enable",
	localstore.OpMFADisable:    "airt user mfa disable",
	localstore.OpPhoneVerified: "airt user register-phone-number",
	localstore.OpSSOEnable:     "airt user sso enable",
	localstore.OpSSODisable:    "airt user sso disable",
}

// checkOnline rejects a non-super user's own security change arriving by
// push, with a reason that says how to make it.
func checkOnline(actor *account.User, m *localstore.Mutation) error {
	cmd, ok := onlineCommands[m.Op]
	if !ok || actor.SuperUser {
		return nil
	}
	return reject("%s of your own account is an online operation: the server checks its proof (password, TOTP or SMS code) itself. Discard this change ('airt sync discard %d') and run '%s' again while the server can be reached", m.Op, m.Seq, cmd)
}

// checker checks one-time codes at now with the rule the command line uses
// (package otpcheck): an accepted TOTP step is recorded as a change of the
// user, so no other login or operation can use that code again.
func (s *Server) checker(now time.Time) otpcheck.Checker {
	return otpcheck.Checker{Now: now, UseStep: func(r otpcheck.Records, u *account.User, step uint64) error {
		tx := r.(Tx)
		m := &localstore.Mutation{Op: localstore.OpMFAStep, Target: u.UUID, Actor: u.UUID, Args: localstore.Args{Step: step}}
		nu, err := localstore.ApplyTo(tx, u, m)
		if err != nil {
			return err
		}
		if _, err := record(tx, nu, m, "", usersync.Fields(m)); err != nil {
			return fmt.Errorf("record the TOTP step: %w", err)
		}
		*u = *nu
		return nil
	}}
}

// writeCounting runs fn in one write transaction of the store; when fn fails
// with a wrong one-time code, the failed attempt (the TOTP failure count and
// lock-out, or the SMS code's wrong-attempt count) is committed afterwards
// in a transaction of its own, as otpcheck.Update does for the command line.
func (s *Server) writeCounting(ctx context.Context, fn func(Tx) error) error {
	err := s.store.Write(ctx, fn)
	var f *otpcheck.Failure
	if errors.As(err, &f) && f.Record != nil {
		if rerr := s.store.Write(ctx, func(tx Tx) error { return f.Record(tx) }); rerr != nil {
			return fmt.Errorf("%w (recording the failed attempt failed too: %v)", err, rerr)
		}
	}
	return err
}
