package cli_test

import (
	"testing"
)

func TestTeams(t *testing.T) {
	e := newEnv(t)
	// teams list shows every team of the database: start from none.
	if _, err := db(t).SQL().Exec(`TRUNCATE teams CASCADE`); err != nil {
		t.Fatal(err)
	}

	team := e.object("teams", "create", "--name", "Acme")
	if team["name"] != "Acme" || len(team) != 3 {
		t.Errorf("teams create -o json = %v, want {id, name, created_at}", team)
	}
	e.ok("teams", "create", "--name", "  Beta Corp  ")
	list := e.array("teams", "list")
	if len(list) != 2 || list[0]["id"] != team["id"] || list[1]["name"] != "Beta Corp" {
		t.Errorf("teams list -o json = %v", list)
	}
	e.ok("teams", "list")
	e.note("on a terminal: aligned columns with a header")
	e.tty = true
	e.ok("teams", "list")
	e.tty = false

	e.note("usage errors exit 2, failed operations 1")
	e.fails(2, []string{"teams", "create"}, "--name is required")
	e.fails(1, []string{"teams", "create", "--name", "   "}, "name: is required")
	e.fails(2, []string{"teams", "create", "--name", "X", "-o", "yaml"}, "-o must be table or json")
	e.fails(2, []string{"teams", "crate"}, `unknown command "crate"`)
	e.fails(2, []string{"teams", "list", "extra"}, "takes no arguments")
	e.golden("teams")
}
