package sync

import "context"

// Online operations (protocol version 1, added routes).
//
// A non-super user's own security changes on a store bound to a server are
// made on the server, which checks their proof itself, and are refused when
// they arrive by push (the pushing store is under its user's control and
// could forge the proof):
//
// POST /v1/online, body OnlineRequest → 200 OnlineResponse. Op is one of
// mfa.activate (MFASecret and MFACode, a code of the new secret; OTP, the
// current code, when MFA is already active), mfa.disable (OTP: a TOTP code or
// an SMS code the server sent for disable_mfa), phone.verified (Phone and
// OTP: the SMS code the server sent to it), password.reset (NewPassword and
// OTP: a TOTP code or an SMS code sent for reset_password; it needs no token,
// Username names the account, and any failure has the same answer so it
// does not tell whether an account exists), sso.enable (Provider, SSOEmail,
// OTP when MFA is active) and sso.disable (Provider, OTP when MFA is
// active). The change is recorded like any other, so the next pull brings it
// to every store.
//
// POST /v1/sms, body SMSRequest → 200 {}: the server sends a one-time code
// by its own AIRT_SMS_COMMAND: for register_phone_number to Phone (a token;
// OTP when MFA is active), for disable_mfa to the token user's verified
// phone, for reset_password (no token) to Username's verified phone; the
// answer to a reset request is the same whether or not a code was sent.

// OnlineRequest is the body of POST /v1/online.
type OnlineRequest struct {
	Op          string `json:"op"`
	Username    string `json:"username,omitempty"`
	Phone       string `json:"phone_number,omitempty"`
	Provider    string `json:"provider,omitempty"`
	SSOEmail    string `json:"sso_email,omitempty"`
	MFASecret   string `json:"mfa_secret,omitempty"`
	MFACode     string `json:"mfa_code,omitempty"`
	NewPassword string `json:"new_password,omitempty"`
	OTP         string `json:"otp,omitempty"`
}

// OnlineResponse answers an applied online operation: the user's new
// server version.
type OnlineResponse struct {
	Version uint64 `json:"version"`
}

// SMSRequest is the body of POST /v1/sms.
type SMSRequest struct {
	Purpose  string `json:"purpose"`
	Username string `json:"username,omitempty"`
	Phone    string `json:"phone_number,omitempty"`
	OTP      string `json:"otp,omitempty"`
}

// Online makes an online operation. It is never retried: a code it carries
// is used up by the first attempt that reached the server.
func (c *Client) Online(ctx context.Context, req OnlineRequest) (*OnlineResponse, error) {
	once := *c
	once.Retries = -1
	var resp OnlineResponse
	if err := once.do(ctx, "POST", "/v1/online", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// SendSMS asks the server to send a one-time code by SMS. It is never
// retried (each send counts against the send limit).
func (c *Client) SendSMS(ctx context.Context, req SMSRequest) error {
	once := *c
	once.Retries = -1
	var out struct{}
	return once.do(ctx, "POST", "/v1/sms", req, &out)
}
