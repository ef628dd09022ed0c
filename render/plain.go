package render

import "github.com/jedib0t/go-pretty/v6/table"

// PlainStyle returns the go-pretty style of airt's tables (the original's
// tabulate "plain": no borders, two spaces between columns, headers as
// given), for tables that are not user tables, such as the per-row result
// of `airt user import`.
func PlainStyle() table.Style { return plainStyle() }
