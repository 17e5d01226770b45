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

// Print writes v as JSON with -o json, and otherwise the table that
// toTable builds from it.
func (f *Factory) Print(v any, toTable func() *Table) error {
	if f.Output == "json" {
		return printJSON(f.IO.Out, v)
	}
	return toTable().render(f.IO.Out, f.IO.IsTerminal)
}

// PrintSummary writes v as JSON with -o json, and otherwise "key: value"
// lines, for commands that show one object or act on one.
func (f *Factory) PrintSummary(v any, lines [][2]string) error {
	if f.Output == "json" {
		return printJSON(f.IO.Out, v)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 1, ' ', 0)
	for _, l := range lines {
		fmt.Fprintf(tw, "%s:\t%s\n", l[0], strings.ReplaceAll(l[1], "\n", " "))
	}
	return tw.Flush()
}
