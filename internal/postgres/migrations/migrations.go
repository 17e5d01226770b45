// Package migrations holds the schema's migrations, numbered in the order
// they apply: SQL files, and Go files where SQL cannot do the work.
package migrations

import "embed"

// SQL holds the SQL migrations.
//
//go:embed *.sql
var SQL embed.FS
