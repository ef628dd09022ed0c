package sync

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/airt/airt/account"
)

// TestUnreachableHints: a login that cannot reach the server says to run
// the login again (there is nothing queued to lose); a sync request says
// nothing was lost and to run 'airt sync' again.
func TestUnreachableHints(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	c := &Client{URL: url, Retries: -1}
	_, err = c.Login(context.Background(), LoginRequest{Username: "a", Password: "b"})
	var ae *account.Error
	if !errors.As(err, &ae) || ae.Kind != account.KindUnreachable {
		t.Fatalf("Login: %v", err)
	}
	if want := "then run 'airt token -s " + url + "' again"; !strings.HasSuffix(ae.Hint, want) || strings.Contains(ae.Hint, "airt sync") {
		t.Errorf("Login hint %q; want it to end with %q and not mention airt sync", ae.Hint, want)
	}
	_, err = c.Pull(context.Background(), "", 0, "", 0, "")
	if !errors.As(err, &ae) || !strings.Contains(ae.Hint, "run 'airt sync' again") {
		t.Errorf("Pull: %v (hint %q)", err, ae.Hint)
	}
}
