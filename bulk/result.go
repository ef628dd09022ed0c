package bulk

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/airt/airt/render"
)

// Result is one line of the per-row result of an import. Its JSON and CSV
// field names are a stable interface for scripts.
type Result struct {
	Line     int    `json:"line"`
	Username string `json:"username"`
	// Result is created, updated, skipped or failed; a dry run says
	// "would create", "would update", "would skip".
	Result string `json:"result"`
	// UUID is the user's uuid ("" when a dry run would create a user
	// without a uuid column, or the row failed before naming one).
	UUID string `json:"uuid"`
	// Detail: what an update changes, why a row is skipped (exists,
	// unchanged) or fails.
	Detail string `json:"detail"`
}

// ResultOf turns a decision into its result line.
func ResultOf(d *Decision, dryRun bool) Result {
	r := Result{Line: d.Row.Line, Username: d.Row.Username, Result: d.Action.String(), UUID: d.Row.UUID, Detail: d.Detail}
	if d.Target != nil {
		r.UUID = d.Target.UUID
		if r.Username == "" {
			r.Username = d.Target.Username
		}
	}
	if dryRun && d.Action != ActFail {
		r.Result = "would " + map[Action]string{ActCreate: "create", ActUpdate: "update", ActSkip: "skip"}[d.Action]
	}
	if d.Action == ActFail && len(d.Problems) > 0 {
		r.Detail = d.Problems[0]
		if len(d.Problems) > 1 {
			r.Detail += fmt.Sprintf(" (and %d more)", len(d.Problems)-1)
		}
	}
	return r
}

var resultColumns = []string{"line", "username", "result", "uuid", "detail"}

// ResultWriter writes results as a plain table (default), JSON (an array)
// or CSV, streaming: the table is drawn in chunks with column widths
// measured beforehand (Measure, during pass 1), so it never holds more
// than a chunk.
type ResultWriter struct {
	w       io.Writer
	output  string
	widths  [5]int
	pending []Result
	cw      *csv.Writer
	started bool
}

// NewResultWriter returns a writer of results in output ("", "table",
// "json" or "csv").
func NewResultWriter(w io.Writer, output string) *ResultWriter {
	rw := &ResultWriter{w: w, output: output}
	for i, c := range resultColumns {
		rw.widths[i] = len(c)
	}
	if output == "csv" {
		rw.cw = csv.NewWriter(w)
	}
	return rw
}

func (r Result) cells() [5]string {
	uuid := r.UUID
	if uuid == "" {
		uuid = "<none>"
	}
	return [5]string{strconv.Itoa(r.Line), r.Username, r.Result, uuid, r.Detail}
}

// Measure records the widths of a result that Write will get later.
// created results of rows without a uuid get a 36-character one.
func (rw *ResultWriter) Measure(r Result) {
	if r.UUID == "" {
		r.UUID = "00000000-0000-0000-0000-000000000000"
	}
	for i, c := range r.cells() {
		rw.widths[i] = max(rw.widths[i], text.StringWidthWithoutEscSequences(c))
	}
}

// Write adds one result.
func (rw *ResultWriter) Write(r Result) error {
	switch rw.output {
	case "json":
		sep := ",\n  "
		if !rw.started {
			sep = "[\n  "
			rw.started = true
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(rw.w, "%s%s", sep, b)
		return err
	case "csv":
		if !rw.started {
			rw.started = true
			if err := rw.cw.Write(resultColumns); err != nil {
				return err
			}
		}
		c := r.cells()
		if r.UUID == "" {
			c[3] = ""
		}
		for i := range c {
			c[i] = render.NeutraliseCell(c[i])
		}
		return rw.cw.Write(c[:])
	}
	rw.pending = append(rw.pending, r)
	if len(rw.pending) >= 1000 {
		return rw.Flush()
	}
	return nil
}

// Flush writes what is pending (a table chunk).
func (rw *ResultWriter) Flush() error {
	if rw.cw != nil {
		rw.cw.Flush()
		return rw.cw.Error()
	}
	if rw.output == "json" || len(rw.pending) == 0 {
		return nil
	}
	t := table.NewWriter()
	t.SetStyle(render.PlainStyle())
	t.SuppressTrailingSpaces()
	if !rw.started {
		t.AppendHeader(table.Row{"line", "username", "result", "uuid", "detail"})
		rw.started = true
	}
	cfg := make([]table.ColumnConfig, 5)
	for i := range cfg {
		cfg[i] = table.ColumnConfig{Number: i + 1, WidthMin: rw.widths[i]}
	}
	cfg[0].Align, cfg[0].AlignHeader = text.AlignRight, text.AlignRight
	t.SetColumnConfigs(cfg)
	for _, r := range rw.pending {
		c := r.cells()
		t.AppendRow(table.Row{c[0], c[1], c[2], c[3], c[4]})
	}
	rw.pending = rw.pending[:0]
	_, err := io.WriteString(rw.w, t.Render()+"\n")
	return err
}

// Close ends the output (the JSON array's bracket).
func (rw *ResultWriter) Close() error {
	if err := rw.Flush(); err != nil {
		return err
	}
	if rw.output == "json" {
		if !rw.started {
			_, err := io.WriteString(rw.w, "[]\n")
			return err
		}
		_, err := io.WriteString(rw.w, "\n]\n")
		return err
	}
	return nil
}
