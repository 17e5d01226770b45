package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Concurrent requests share key lookups; each must still get its own
// verdict: its own key, "revoked", or "invalid".
func TestConcurrentAuthenticationGetsEachKeysVerdict(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keys := postgres.NewAPIKeyService(f.db)
	other, err := postgres.NewTeamService(f.db).CreateTeam(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	var created []*relaybook.CreatedAPIKey
	for _, team := range []string{f.team.ID, other.ID, f.team.ID} {
		k, err := keys.CreateAPIKey(ctx, team, "k")
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, k)
	}
	if _, err := keys.RevokeAPIKey(ctx, created[2].APIKey.ID); err != nil {
		t.Fatal(err)
	}
	type want struct {
		key, id, team, err string
	}
	cases := []want{
		{created[0].Key, created[0].APIKey.ID, f.team.ID, ""},
		{created[1].Key, created[1].APIKey.ID, other.ID, ""},
		{created[2].Key, "", "", "API key has been revoked"},
		{created[0].Key + "x", "", "", "invalid API key"},
	}
	var wg sync.WaitGroup
	for i := range 200 {
		c := cases[i%len(cases)]
		wg.Go(func() {
			got, err := keys.Authenticate(ctx, c.key)
			var rb *relaybook.Error
			switch {
			case c.err != "":
				if !errors.As(err, &rb) || rb.Code != relaybook.EUNAUTHORIZED || rb.Message != c.err {
					t.Errorf("key %d: got %v, want %q", i%len(cases), err, c.err)
				}
			case err != nil:
				t.Errorf("key %d: %v", i%len(cases), err)
			case got.ID != c.id || got.TeamID != c.team:
				t.Errorf("key %d authenticated as %s of team %s, want %s of %s", i%len(cases), got.ID, got.TeamID, c.id, c.team)
			}
		})
	}
	wg.Wait()
}
