package sync

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Backup streams a consistent copy of the server's store to w (GET
// /v1/backup, super users only). The answer's length is checked, so a copy
// cut short by the network is an error, never a silently short file. It
// returns the server's epoch and the bytes written.
func (c *Client) Backup(ctx context.Context, w io.Writer) (epoch string, n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.URL, "/")+"/v1/backup", nil)
	if err != nil {
		return "", 0, fmt.Errorf("server URL %q: %w", c.URL, err)
	}
	req.Header.Set(HeaderProtocol, ProtocolVersion)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	// The copy may take long: no overall client timeout, the context bounds it.
	hc := *c.httpClient()
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("backup from %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return "", 0, c.answerError("/v1/backup", resp, data)
	}
	n, err = io.Copy(w, resp.Body)
	if err != nil {
		return "", n, fmt.Errorf("backup from %s: %w", c.URL, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", n, fmt.Errorf("backup from %s: cut short (%d of %d bytes)", c.URL, n, resp.ContentLength)
	}
	return resp.Header.Get("Airt-Epoch"), n, nil
}
