package postgres

import (
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// column is one stored column of a T: its name, its SQL type, whether an
// update writes it, and how its value comes from a T.
type column[T any] struct {
	name, typ string
	updated   bool
	value     func(*T) any
}

// columns is a table's columns, named once: statements and their
// arguments are built from the list, so a new column is one line in it.
type columns[T any] []column[T]

// names lists the column names, each prefixed with prefix ("i.").
func (cs columns[T]) names(prefix string) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = prefix + c.name
	}
	return strings.Join(names, ", ")
}

// unnest returns the arguments of an unnest of arrays (parameters $1..$n
// for the n columns, then one per extra {name, type}) and the names of the
// columns it yields. Many rows then go in one statement, one array per
// column: see arrays.
func (cs columns[T]) unnest(extra ...[2]string) (args, names string) {
	var a, n []string
	for i, c := range cs {
		a = append(a, fmt.Sprintf("$%d::%s[]", i+1, c.typ))
		n = append(n, c.name)
	}
	for i, x := range extra {
		a = append(a, fmt.Sprintf("$%d::%s[]", len(cs)+i+1, x[1]))
		n = append(n, x[0])
	}
	return strings.Join(a, ", "), strings.Join(n, ", ")
}

// arrays returns the rows' values, one array argument per column, for
// unnest.
func (cs columns[T]) arrays(rows []*T) []any {
	arrays := make([]any, len(cs))
	for i, c := range cs {
		values := make([]any, len(rows))
		for j, r := range rows {
			values[j] = c.value(r)
		}
		arrays[i] = pq.GenericArray{A: values}
	}
	return arrays
}

// updateSQL is an UPDATE of table writing every updated column of the row
// whose id is $1; updateArgs are its arguments.
func (cs columns[T]) updateSQL(table string) string {
	var set []string
	for _, c := range cs {
		if c.updated {
			set = append(set, fmt.Sprintf("%s = $%d", c.name, len(set)+2))
		}
	}
	return `UPDATE ` + table + ` SET ` + strings.Join(set, ", ") + ` WHERE id = $1`
}

func (cs columns[T]) updateArgs(id string, row *T) []any {
	args := []any{id}
	for _, c := range cs {
		if c.updated {
			args = append(args, c.value(row))
		}
	}
	return args
}
