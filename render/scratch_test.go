package render

import (
	"fmt"
	"strconv"
	"testing"
)

func TestScratch(t *testing.T) {
	for _, f := range []float64{1.5, 100000, 1e6, 0.0001, 1e-5, 123456789, 0, 1e100, 12345.678} {
		fmt.Printf("%q ", strconv.FormatFloat(f, 'g', 6, 64))
	}
	fmt.Println()
	for _, s := range []string{"04,", "05,", "06,", "0=7,", "010_b", "#010_b", "+08.2f", ",.1%", "#.0e", "#g", "^+5", "=6", "x=+6", "012,.2f"} {
		out, err := formatValue(cellValue{kind: valBool, b: true}, s)
		fmt.Printf("%s %q %v\n", s, out, err)
	}
	for _, s := range []string{"05", ".2", "x^6", "^5", ">5.1"} {
		out, err := formatValue(cellValue{kind: valStr, s: "ab"}, s)
		fmt.Printf("%s %q %v\n", s, out, err)
	}
	for _, f := range []float64{1e16, 1e15, 1.5e-5, 0.0001, 123456789.123} {
		fmt.Printf("%s ", pyFloatRepr(f))
	}
	fmt.Println(pyStrRepr("a'b", false), pyStrRepr("a'b\"", false), pyStrRepr("\x00\x7f\u00a0\u2028é", false), "b"+pyBytesRepr("\x00a\xff'"))
	for _, s := range []string{"\n1", "\n 1", "1\n", " 1", "1 # c", "(1,\n2)", "1,2", "-True", "{1:2, True:3}", "0x1f", "1_0.5e1_0", "007", "000", `"a" 'b'`, "set()", `r"\""`} {
		v, err := parsePyLiteral(s)
		fmt.Printf("%q -> %s %v\n", s, pyRepr(v), err)
	}
}
