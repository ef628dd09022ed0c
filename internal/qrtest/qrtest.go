// Package qrtest decodes the half-block QR codes that otp.QR draws, for
// tests: each character is two modules stacked (▀ top dark, ▄ bottom dark,
// █ both, space neither). It is imported only by _test files, so the QR
// decoder never reaches the airt binary.
package qrtest

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Decode paints lines as a bitmap (px pixels per module, on a white border
// of 4 modules) and returns the text the QR code holds.
func Decode(lines []string, px int) (string, error) {
	if len(lines) == 0 {
		return "", fmt.Errorf("no QR lines")
	}
	border := 4 * px
	w := utf8.RuneCountInString(lines[0])
	img := image.NewGray(image.Rect(0, 0, w*px+2*border, 2*len(lines)*px+2*border))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	paint := func(mx, my int) {
		for dy := 0; dy < px; dy++ {
			for dx := 0; dx < px; dx++ {
				img.SetGray(border+mx*px+dx, border+my*px+dy, color.Gray{})
			}
		}
	}
	for y, line := range lines {
		if n := utf8.RuneCountInString(line); n != w {
			return "", fmt.Errorf("QR line %d is %d wide, want %d", y, n, w)
		}
		x := 0
		for _, r := range line {
			switch r {
			case '█':
				paint(x, 2*y)
				paint(x, 2*y+1)
			case '▀':
				paint(x, 2*y)
			case '▄':
				paint(x, 2*y+1)
			case ' ':
			default:
				return "", fmt.Errorf("unexpected rune %q in QR line %d", r, y)
			}
			x++
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", fmt.Errorf("decode QR: %w\n%s", err, strings.Join(lines, "\n"))
	}
	return res.GetText(), nil
}
