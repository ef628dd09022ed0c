package commands

import (
	"fmt"
	"strconv"
)

// countValue is a non-negative integer flag (--offset, --limit). kingpin's
// own Int parses through ParseFloat, so it takes "1.5" as 1, and it lets
// negative numbers through; this one refuses both as usage errors (exit 2).
type countValue struct {
	n    *int
	flag string
}

func (v countValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("--%s: %q is not a valid count: use a whole number, 0 or more", v.flag, s)
	}
	*v.n = n
	return nil
}

func (v countValue) String() string { return strconv.Itoa(*v.n) }
