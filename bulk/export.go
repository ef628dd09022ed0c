package bulk

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
	"github.com/airt/airt/render"
)

// The export formats.
const (
	ExportCSV   = "csv"
	ExportJSON  = "json"
	ExportJSONL = "jsonl"
)

// Export writes every user of the store (enabled ones, then disabled ones,
// each in `ls` order) to w, one at a time, in tx:
//
//   - csv: a header of the 12 public columns (account.Columns), then one
//     row per user; booleans true/false, created RFC 3339 UTC, a missing
//     phone number empty. Every cell goes through render.NeutraliseCell,
//     so a spreadsheet never runs a cell as a formula (an E.164 phone
//     number "+44…" is written "'+44…"); import restores it.
//   - json: a JSON array of render.JSONUser (as `ls --output json`, but
//     created to the nanosecond, as in csv).
//   - jsonl: one render.JSONUser per line (JSON Lines), which import reads.
//
// No secret is written: no password hash, no TOTP secret, no SSO link.
func Export(w io.Writer, tx *localstore.Tx, format string) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	var err error
	switch format {
	case ExportCSV, "":
		cw := csv.NewWriter(bw)
		if err := cw.Write(account.Columns); err != nil {
			return 0, err
		}
		rec := make([]string, len(account.Columns))
		err = tx.ForEachUser(func(u *account.User) error {
			n++
			pub := u.Public()
			fillRecord(rec, &pub)
			return cw.Write(rec)
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	case ExportJSON, ExportJSONL:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		array := format == ExportJSON
		if array {
			bw.WriteString("[")
		}
		err = tx.ForEachUser(func(u *account.User) error {
			if array {
				if n > 0 {
					bw.WriteString(",")
				}
				bw.WriteString("\n  ")
			}
			n++
			pub := u.Public()
			j := render.NewJSONUser(&pub)
			if !pub.Created.IsZero() {
				// Exact, so an import keeps the `ls` order of users
				// created within one second.
				c := pub.Created.UTC().Format(time.RFC3339Nano)
				j.Created = &c
			}
			if array {
				b, err := json.Marshal(j)
				if err != nil {
					return err
				}
				_, err = bw.Write(b)
				return err
			}
			return enc.Encode(j)
		})
		if array {
			if n > 0 {
				bw.WriteString("\n")
			}
			bw.WriteString("]\n")
		}
	default:
		return 0, fmt.Errorf("unknown export format %q: use csv, json or jsonl", format)
	}
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

func fillRecord(rec []string, u *account.User) {
	b := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	created := ""
	if !u.Created.IsZero() {
		created = u.Created.UTC().Format(time.RFC3339Nano)
	}
	for i, col := range account.Columns {
		var v string
		switch col {
		case "uuid":
			v = u.UUID
		case "username":
			v = u.Username
		case "email":
			v = u.Email
		case "super_user":
			v = b(u.SuperUser)
		case "is_mfa_active":
			v = b(u.MFAActive())
		case "disabled":
			v = b(u.Disabled)
		case "created":
			v = created
		case "subscription_type":
			v = u.SubscriptionType
		case "first_name":
			v = u.FirstName
		case "last_name":
			v = u.LastName
		case "phone_number":
			v = u.Phone
		case "is_phone_number_verified":
			v = b(u.PhoneVerified)
		}
		rec[i] = render.NeutraliseCell(v)
	}
}
