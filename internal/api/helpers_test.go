package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/authtoken"
	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/safehttp"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var jwtSecret = []byte("test-jwt-secret-0123456789abcdef")

const testEncryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// env is one API server on the package's test database, with the services
// behind it for creating fixtures directly.
type env struct {
	db  *postgres.DB
	svc api.Services
	url string
}

// newEnv starts an httptest server around the API. opts may set a Limiter
// or a Ping; the JWT secret and the services are filled in.
func newEnv(tb testing.TB, opts api.Options) *env {
	tb.Helper()
	db := testenv.DB(tb)
	box, err := secretbox.New(testEncryptionKey)
	if err != nil {
		tb.Fatal(err)
	}
	db.Cipher = box
	e := &env{db: db, svc: services(db)}
	e.url = startServer(tb, e.svc, opts)
	return e
}

func services(db *postgres.DB) api.Services {
	return api.Services{
		Contacts:   postgres.NewContactService(db),
		Books:      postgres.NewBookService(db),
		APIKeys:    postgres.NewAPIKeyService(db),
		Webhooks:   postgres.NewWebhookService(db),
		Deliveries: postgres.NewDeliveryService(db),
		Members:    postgres.NewMemberService(db),
		Events:     postgres.NewEventService(db),
		// Receivers in tests listen on loopback.
		Tester: &delivery.Tester{Store: db, Client: safehttp.NewClient(safehttp.Options{Timeout: 5 * time.Second, AllowPrivateNetworks: true})},
	}
}

func startServer(tb testing.TB, svc api.Services, opts api.Options) string {
	tb.Helper()
	opts.JWTSecret = jwtSecret
	srv := httptest.NewServer(api.NewServer(svc, opts).Handler())
	tb.Cleanup(srv.Close)
	return srv.URL
}

// team is a team with one book, an API key, an admin and a plain member.
type team struct {
	ID     string
	Book   *relaybook.Book
	Key    string
	KeyID  string
	Admin  string // user id
	Member string // user id
}

var seq int

func (e *env) newTeam(tb testing.TB) *team {
	tb.Helper()
	ctx := context.Background()
	seq++
	suffix := fmt.Sprintf("%d-%d", time.Now().UnixNano(), seq)
	tm, err := postgres.NewTeamService(e.db).CreateTeam(ctx, "Team "+suffix)
	must(tb, err)
	book, err := e.svc.Books.CreateBook(ctx, tm.ID, "Customers")
	must(tb, err)
	key, err := e.svc.APIKeys.CreateAPIKey(ctx, tm.ID, "CRM Sync")
	must(tb, err)
	admin, err := e.svc.Members.AddMember(ctx, relaybook.MemberInput{TeamID: tm.ID, Email: "admin-" + suffix + "@example.com", Role: relaybook.RoleAdmin})
	must(tb, err)
	member, err := e.svc.Members.AddMember(ctx, relaybook.MemberInput{TeamID: tm.ID, Email: "member-" + suffix + "@example.com", Role: relaybook.RoleMember})
	must(tb, err)
	return &team{ID: tm.ID, Book: book, Key: key.Key, KeyID: key.APIKey.ID, Admin: admin.UserID, Member: member.UserID}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func token(tb testing.TB, userID string) string {
	tb.Helper()
	tok, err := authtoken.Mint(jwtSecret, userID, time.Hour, time.Now())
	must(tb, err)
	return tok
}

// keyHeaders are the headers of an API-key request in the team's book.
func (t *team) keyHeaders() map[string]string {
	return map[string]string{"Authorization": "Bearer " + t.Key, "X-Book-ID": t.Book.ID}
}

func bearerHeader(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// response is a decoded API response.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   struct {
		Data       json.RawMessage `json:"data"`
		Pagination *struct {
			Limit      int     `json:"limit"`
			NextCursor *string `json:"next_cursor"`
		} `json:"pagination"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
}

func do(tb testing.TB, method, url string, headers map[string]string, body any) *response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		must(tb, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	must(tb, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	must(tb, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	must(tb, err)
	r := &response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			tb.Fatalf("%s %s: response is not JSON (%d): %s", method, url, res.StatusCode, raw)
		}
	} else if res.StatusCode != http.StatusNoContent {
		tb.Fatalf("%s %s: empty body with status %d", method, url, res.StatusCode)
	}
	return r
}

// expect checks the status and, for errors, the code and field.
func (r *response) expect(tb testing.TB, status int, codeAndField ...string) *response {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if status >= 400 {
		if r.Body.Error == nil || r.Body.Error.Message == "" {
			tb.Fatalf("status %d without an error envelope: %s", r.Status, r.Raw)
		}
		if len(codeAndField) > 0 && r.Body.Error.Code != codeAndField[0] {
			tb.Fatalf("error code %q, want %q: %s", r.Body.Error.Code, codeAndField[0], r.Raw)
		}
		if len(codeAndField) > 1 && r.Body.Error.Field != codeAndField[1] {
			tb.Fatalf("error field %q, want %q: %s", r.Body.Error.Field, codeAndField[1], r.Raw)
		}
	}
	return r
}

// data decodes the data member into v.
func (r *response) data(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body.Data, v); err != nil {
		tb.Fatalf("decode data: %v: %s", err, r.Raw)
	}
}

// eventRow is an events table row as the tests read it.
type eventRow struct {
	Type    string
	TeamID  string
	BookID  *string
	Payload map[string]any
}

// eventsSince returns the team's events written after the given count of
// earlier ones, oldest first.
func (e *env) events(tb testing.TB, teamID string) []eventRow {
	tb.Helper()
	rows, err := e.db.SQL().Query(`SELECT type, team_id, book_id, payload FROM events WHERE team_id = $1 ORDER BY created_at, id`, teamID)
	must(tb, err)
	defer rows.Close()
	var out []eventRow
	for rows.Next() {
		var ev eventRow
		var payload []byte
		must(tb, rows.Scan(&ev.Type, &ev.TeamID, &ev.BookID, &payload))
		must(tb, json.Unmarshal(payload, &ev.Payload))
		out = append(out, ev)
	}
	must(tb, rows.Err())
	return out
}

// contactEvents returns the team's contact.* events.
func (e *env) contactEvents(tb testing.TB, teamID string) []eventRow {
	tb.Helper()
	var out []eventRow
	for _, ev := range e.events(tb, teamID) {
		if strings.HasPrefix(ev.Type, "contact.") {
			out = append(out, ev)
		}
	}
	return out
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
