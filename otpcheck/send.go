package otpcheck

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/otp"
)

// SMSTimeout bounds a run of AIRT_SMS_COMMAND.
const SMSTimeout = time.Minute

// ErrNoSMSSender: AIRT_SMS_COMMAND is not set.
var ErrNoSMSSender = &account.Error{Kind: account.KindFailed,
	Text: "no SMS sender configured: set AIRT_SMS_COMMAND to a shell command that sends the text on its standard input to the number in $AIRT_SMS_TO",
	Hint: `for example: export AIRT_SMS_COMMAND='my-sms-gateway --to "$AIRT_SMS_TO"'`}

// Outgoing is an SMS code made but not yet sent nor stored. Sending may be
// slow, so it happens outside any store transaction: Prepare (read), Send,
// then Commit (write). Nothing is stored when sending fails.
type Outgoing struct {
	UUID, Phone, Purpose string
	// Message is the text to send, code included.
	Message   string
	challenge otp.SMSChallenge
	sent      []time.Time
	at        time.Time
}

// Prepare makes a new SMS code for user uuid, phone and purpose at now,
// after checking the send limit (otp.SendAllowed) against the send times
// kept in tx.
func Prepare(tx Records, uuid, phone, purpose string, now time.Time) (*Outgoing, error) {
	sent, err := tx.SMSSends(uuid)
	if err != nil {
		return nil, err
	}
	sent, next, err := otp.SendAllowed(sent, now)
	if err != nil {
		return nil, account.Errorf(account.KindFailed, "%s: at most %d in %d minutes", err, otp.SMSMaxSends, int(otp.SMSSendWindow.Minutes())).
			WithHint("use the last code you received, or try again after " + next.UTC().Format("15:04:05 UTC"))
	}
	code, ch, err := otp.NewSMSChallenge(phone, purpose, now)
	if err != nil {
		return nil, err
	}
	return &Outgoing{UUID: uuid, Phone: phone, Purpose: purpose, Message: otp.SMSMessage(code, purpose),
		challenge: ch, sent: sent, at: now}, nil
}

// Send runs cmdline (AIRT_SMS_COMMAND) to send the code.
func (o *Outgoing) Send(cmdline string) error {
	if strings.TrimSpace(cmdline) == "" {
		return ErrNoSMSSender
	}
	return RunSMSCommand(cmdline, o.Phone, o.Message)
}

// Commit stores the sent code (replacing any older one for that purpose)
// and its send time, in tx.
func (o *Outgoing) Commit(tx Records) error {
	if err := tx.PutSMSSends(o.UUID, append(o.sent, o.at)); err != nil {
		return err
	}
	return tx.PutSMSChallenge(o.UUID, o.Purpose, o.challenge)
}

// Reserve counts the send in tx before the code goes out: called in the
// transaction that ran Prepare, it makes the send limit exact when several
// requests (or server processes) send at once, since the next Prepare sees
// this send. After Send, CommitCode stores the code; if Send fails, Release
// takes the send back.
func (o *Outgoing) Reserve(tx Records) error {
	return tx.PutSMSSends(o.UUID, append(o.sent, o.at))
}

// CommitCode stores the sent code (replacing any older one for that
// purpose) after Reserve.
func (o *Outgoing) CommitCode(tx Records) error {
	return tx.PutSMSChallenge(o.UUID, o.Purpose, o.challenge)
}

// Release takes back the send Reserve counted, when sending failed.
func (o *Outgoing) Release(tx Records) error {
	sent, err := tx.SMSSends(o.UUID)
	if err != nil {
		return err
	}
	for i, t := range sent {
		if t.Equal(o.at) {
			return tx.PutSMSSends(o.UUID, append(sent[:i:i], sent[i+1:]...))
		}
	}
	return nil
}

// RunSMSCommand runs cmdline with `sh -c`, the number in AIRT_SMS_TO and
// msg on stdin. A failure names the exit status and the end of stderr.
func RunSMSCommand(cmdline, to, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), SMSTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", cmdline)
	cmd.Env = append(os.Environ(), "AIRT_SMS_TO="+to)
	cmd.Stdin = strings.NewReader(msg + "\n")
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	what := err.Error()
	if ctx.Err() != nil {
		what = fmt.Sprintf("no answer after %s", SMSTimeout)
	}
	tail := strings.TrimSpace(stderr.String())
	if len(tail) > 300 {
		tail = "…" + tail[len(tail)-300:]
	}
	if tail != "" {
		what += ": " + strings.ReplaceAll(tail, "\n", " | ")
	}
	return account.Errorf(account.KindFailed, "sending the SMS failed (AIRT_SMS_COMMAND %s)", what).
		WithHint("check the command in AIRT_SMS_COMMAND; no OTP was sent")
}
