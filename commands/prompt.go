package commands

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/airt/airt/account"
)

// Prompts read answers from stdin one line at a time, on a terminal and from
// a script alike (`printf '1\n123456\n' | airt user mfa disable`). Prompt
// texts are the original's, word for word; they go to stdout without a
// newline, as click (the original's CLI library) printed them.

// errNoAnswer is returned when stdin ends before a prompt got its answer.
var errNoAnswer = &account.Error{Kind: account.KindFailed, Text: "Aborted: no answer on standard input",
	Hint: "answer the prompt on standard input (a script can pipe the answers in), or pass the value with its flag where the command has one"}

// readLine reads one line from stdin (without its line ending). The reader
// is shared by every prompt of the invocation, so answers piped in together
// are consumed in order.
func (c *cli) readLine() (string, error) {
	if c.stdin == nil {
		c.stdin = bufio.NewReader(c.env.Stdin)
	}
	line, err := c.stdin.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			return "", errNoAnswer
		}
		return "", fmt.Errorf("read standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// prompt prints text and returns the answer, trimmed. Like click, an empty
// answer asks again silently.
func (c *cli) prompt(text string) (string, error) { return c.promptTo(c.env.Stdout, text) }

// promptTo is prompt with the prompt written to out.
func (c *cli) promptTo(out io.Writer, text string) (string, error) {
	c.close() // never hold the store's lock while waiting for a person
	for {
		fmt.Fprint(out, text)
		a, err := c.readLine()
		if err != nil {
			fmt.Fprintln(out)
			return "", err
		}
		if a = strings.TrimSpace(a); a != "" {
			return a, nil
		}
	}
}

// menu is one of the original's option menus (a code from the authenticator
// app or by SMS).
type menu struct {
	header, option1, option2, footer, invalid, prompt string
}

// The menus, with the original's texts.
var (
	// otpMenu is the menu of `mfa disable` and `token`.
	otpMenu = menu{
		header:  "\nPlease choose an option\n\n",
		option1: "Use the dynamically generated six-digit verification code from the authenticator application",
		option2: "Request the OTP via SMS to the registered phone number",
		footer:  "If you cannot access the authenticator application and your registered phone number, please contact your administrator.",
		invalid: "Please enter a valid option",
		prompt:  "Enter your option: ",
	}
	// resetMenu is the menu of `reset-password`.
	resetMenu = menu{
		header:  "\nPlease choose an option to reset your password\n\n",
		option1: "Reset password using the dynamically generated six-digit verification code from the authenticator application",
		option2: "Reset password by requesting the OTP via SMS to the registered phone number",
		footer:  "If you cannot access the authenticator application or your registered phone number, please contact your administrator.",
		invalid: "Please enter a valid password reset option",
		prompt:  "Password reset option: ",
	}
)

// choose shows m and returns 1 or 2. Other answers print m.invalid and the
// options again, without limit, until stdin ends.
func (c *cli) choose(m menu) (int, error) {
	fmt.Fprint(c.env.Stdout, m.header)
	for {
		fmt.Fprintf(c.env.Stdout, "\n[1] %s\n\n[2] %s\n\n%s\n\n", m.option1, m.option2, m.footer)
		a, err := c.prompt(m.prompt)
		if err != nil {
			return 0, err
		}
		switch a {
		case "1":
			return 1, nil
		case "2":
			return 2, nil
		}
		fmt.Fprintln(c.env.Stdout, m.invalid)
	}
}

// Prompt texts of the one-time codes.
const (
	totpPrompt      = "Please enter the OTP displayed in the authenticator app: "
	totpResetPrompt = "Please enter the OTP displayed in the authenticator application: "
	smsPrompt       = "Please enter the One-Time Password (OTP) you received on your registered phone number: "
	// smsSentText is what the original's server answered to an SMS request.
	smsSentText = "If you have already registered and verified your phone number, you will receive the OTP by SMS. If you did not receive the OTP, please contact your administrator."
)
