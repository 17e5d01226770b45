package scaleout

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/testenv"
)

// TestPgBouncer: serve and worker through PgBouncer in transaction pooling
// mode with database.pgbouncer, events created through the API all
// arrive; without the setting serve stops at once on the startup
// parameter, and migrate refuses the setting.
func TestPgBouncer(t *testing.T) {
	bouncer := startService(t, "pgbouncer.sh", "PGBOUNCER_PORT="+port("TEST_PGBOUNCER_PORT", "6441"))
	rcv := newReceiver(t, 0)
	dbURL := newDatabase(t)
	f := newFixture(t, dbURL, rcv.url)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = bouncer
	env := append(baseEnv(u.String()), "RELAYBOOK_REDIS_URL="+testenv.RedisURL(t))

	plain := startProc(t, "serve-without-pgbouncer", append(env, "RELAYBOOK_SERVER_ADDR="+freeAddr(t)), "serve")
	if err, out := plain.exited(30 * time.Second); err == nil || !strings.Contains(out, "jit") || !strings.Contains(out, "set database.pgbouncer: true") {
		t.Errorf("serve through PgBouncer without database.pgbouncer: exit %v, want the jit startup parameter refused, with the fix:\n%s", err, out)
	}

	env = append(env, "RELAYBOOK_DATABASE_PGBOUNCER=true")
	migrate := startProc(t, "migrate", env, "migrate")
	if err, out := migrate.exited(30 * time.Second); err == nil || !strings.Contains(out, "database.pgbouncer") {
		t.Errorf("migrate with database.pgbouncer: exit %v, want a refusal naming the key:\n%s", err, out)
	}

	_, api := startServe(t, "serve", env)
	startWorker(t, "worker", env)
	const n = 50
	for i := range n {
		if code := f.createContact(t, api, f.key, i); code != http.StatusCreated {
			t.Fatalf("contact %d: status %d", i, code)
		}
	}
	req, err := http.NewRequest(http.MethodGet, api+"/api/v1/contacts?limit=200", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.key)
	req.Header.Set("X-Book-ID", f.book.ID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("list contacts through PgBouncer: status %d", resp.StatusCode)
	}
	checkDelivered(t, f, rcv, n)
}
