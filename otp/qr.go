package otp

import (
	"fmt"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// QuietZone is the light margin, in modules, drawn around the QR code. The QR standard asks
// for 4; boombuler/barcode draws none.
const QuietZone = 4

// ANSI escapes that wrap each line of the QR code when QR is asked for colour.
const (
	ansiBlackOnWhite = "\x1b[30;47m"
	ansiReset        = "\x1b[0m"
)

// QR draws uri as a QR code (error correction M) in text, for a terminal. Each character is
// two modules stacked: '▀' top dark, '▄' bottom dark, '█' both, ' ' neither, so dark modules
// are ink. A QuietZone-module margin surrounds it. Every line ends with "\n". An otpauth URI
// for a usual email gives a version 8 code: 57 columns and 29 lines.
//
// Polarity matters: scanners need dark modules on a light background. With ansi true every
// line is wrapped in ESC[30;47m … ESC[0m (black on white), which scans on dark and light
// terminals alike; use it on a terminal without NO_COLOR. With ansi false the plain text is
// returned, right on light backgrounds and paper; on a dark terminal it shows a negative that
// scanners refuse, which is why the caller also prints the URI and the secret.
//
// QR returns an error only when uri is too long for a QR code.
func QR(uri string, ansi bool) (string, error) {
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	n := code.Bounds().Dx()
	dark := func(x, y int) bool {
		x, y = x-QuietZone, y-QuietZone
		if x < 0 || y < 0 || x >= n || y >= n {
			return false
		}
		r, _, _, _ := code.At(x, y).RGBA()
		return r == 0
	}
	size := n + 2*QuietZone
	var b strings.Builder
	for y := 0; y < size; y += 2 {
		if ansi {
			b.WriteString(ansiBlackOnWhite)
		}
		for x := 0; x < size; x++ {
			// When size is odd the last line's bottom half is beyond the margin: light.
			top, bot := dark(x, y), dark(x, y+1)
			switch {
			case top && bot:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bot:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		if ansi {
			b.WriteString(ansiReset)
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
