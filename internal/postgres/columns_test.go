package postgres_test

import (
	"slices"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/testenv"
)

// TestColumnListsMatchTheSchema: the column lists that the delivery log and
// contact writes are built from name every column of their table, so a
// migration that adds a column fails here until the list has it.
func TestColumnListsMatchTheSchema(t *testing.T) {
	db := testenv.DB(t)
	for table, names := range postgres.ColumnNames() {
		var schema []string
		if err := db.SQL().Select(&schema, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table); err != nil {
			t.Fatal(err)
		}
		if len(schema) == 0 {
			t.Fatalf("table %s has no columns", table)
		}
		got := slices.Sorted(slices.Values(names))
		slices.Sort(schema)
		if !slices.Equal(got, schema) {
			t.Errorf("%s: column list %v, table has %v", table, got, schema)
		}
	}
}
