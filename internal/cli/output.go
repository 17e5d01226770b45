package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Table is what a command shows by default: aligned columns with a header
// on a terminal; on a pipe, tab-separated rows without a header, so that
// `cut -f1` and `while read` work.
type Table struct {
	Header []string
	Rows   [][]string
}

// AddRow appends a row.
func (t *Table) AddRow(cells ...string) { t.Rows = append(t.Rows, cells) }

// render writes the table for a terminal or a pipe.
func (t *Table) render(w io.Writer, terminal bool) error {
	if !terminal {
		for _, r := range t.Rows {
			if _, err := fmt.Fprintln(w, strings.Join(clean(r), "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(clean(r), "\t"))
	}
	return tw.Flush()
}

// clean keeps a cell on one line and free of column separators.
func clean(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
	}
	return out
}

// printJSON writes exactly one JSON document.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printer is how a command writes its result: the streams and the -o
// format. A command's Options embed it; RunE fills it once the flags are
// parsed, a test sets it directly.
type printer struct {
	IO     *IOStreams
	Format string // "table" or "json"
}

// printer returns the printer for the parsed -o flag.
func (f *Factory) printer() printer { return printer{IO: f.IO, Format: f.Output} }

func (p printer) json() bool { return p.Format == "json" }

// printJSON writes v as the command's one JSON document.
func (p printer) printJSON(v any) error { return printJSON(p.IO.Out, v) }

// print writes v as JSON with -o json, and otherwise the table that
// toTable builds from it.
func (p printer) print(v any, toTable func() *Table) error {
	if p.json() {
		return p.printJSON(v)
	}
	return toTable().render(p.IO.Out, p.IO.IsTerminal)
}

// printSummary writes v as JSON with -o json, and otherwise "key: value"
// lines, for commands that show one object or act on one.
func (p printer) printSummary(v any, lines [][2]string) error {
	if p.json() {
		return p.printJSON(v)
	}
	tw := tabwriter.NewWriter(p.IO.Out, 0, 4, 1, ' ', 0)
	for _, l := range lines {
		fmt.Fprintf(tw, "%s:\t%s\n", l[0], strings.ReplaceAll(l[1], "\n", " "))
	}
	return tw.Flush()
}

// showOnce tells a person at the table output that a secret it just printed
// cannot be printed again. JSON output stays one document on stdout and
// quiet on stderr: scripts capture the secret themselves.
func (p printer) showOnce(what string) {
	if !p.json() {
		fmt.Fprintf(p.IO.ErrOut, "The %s is shown once, now: store it somewhere safe. RelayBook cannot show it again.\n", what)
	}
}
