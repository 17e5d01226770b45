package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// EventService implements relaybook.EventService: the outbox as operators
// read it, each event with its delivery state per webhook.
type EventService struct{ db *DB }

// NewEventService returns an EventService on db.
func NewEventService(db *DB) *EventService { return &EventService{db: db} }

var _ relaybook.EventService = (*EventService)(nil)

type eventRow struct {
	ID        string         `db:"id"`
	Type      string         `db:"type"`
	TeamID    string         `db:"team_id"`
	BookID    sql.NullString `db:"book_id"`
	CreatedAt relaybook.Time `db:"created_at"`
	Payload   []byte         `db:"payload"`
	pagePosition
}

func (r *eventRow) view() *relaybook.EventView {
	v := &relaybook.EventView{ID: r.ID, Type: r.Type, TeamID: r.TeamID, CreatedAt: r.CreatedAt, Deliveries: []*relaybook.EventDelivery{}}
	if r.BookID.Valid {
		v.BookID = &r.BookID.String
	}
	return v
}

// ListEvents returns a page of a team's events, newest first. Test events
// are left out: they are samples, not changes.
func (s *EventService) ListEvents(ctx context.Context, f relaybook.EventFilter) (*relaybook.EventPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	team, ok := relaybook.CanonicalID(f.TeamID)
	if !ok {
		return nil, relaybook.NotFound("team", f.TeamID)
	}
	after, _ := relaybook.ParseCursor(f.Cursor) // checked by Validate
	var rows []*eventRow
	err := s.db.db.SelectContext(ctx, &rows, `
		SELECT id, type, team_id, book_id, created_at, `+cursorMicros("events")+` FROM events
		WHERE team_id = $1 AND NOT test AND ($2 = '' OR type = $2)
			AND ($3::timestamptz IS NULL OR created_at >= $3)
			AND ($4::timestamptz IS NULL OR created_at <= $4)
			AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $7`,
		team, f.Type, nullTime(f.Since), nullTime(f.Until), nullTime(after.At), nullID(after.ID), f.Limit+1)
	if err != nil {
		return nil, mapError(err)
	}
	page := &relaybook.EventPage{Events: make([]*relaybook.EventView, 0, min(len(rows), f.Limit))}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.NextCursor = rows[len(rows)-1].cursor()
	}
	for _, r := range rows {
		page.Events = append(page.Events, r.view())
	}
	return page, s.attachDeliveries(ctx, page.Events)
}

// FindEvent returns one event with its payload.
func (s *EventService) FindEvent(ctx context.Context, teamID, id string) (*relaybook.EventView, error) {
	canonicalTeam, ok := relaybook.CanonicalID(teamID)
	if !validID(id) || (teamID != relaybook.AnyTeam && !ok) {
		return nil, relaybook.NotFound("event", id)
	}
	var r eventRow
	err := s.db.db.GetContext(ctx, &r, `
		SELECT id, type, team_id, book_id, created_at, payload FROM events
		WHERE id = $1 AND ($2 = '' OR team_id = $2::uuid)`, id, canonicalTeam)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("event", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	v := r.view()
	v.Payload = r.Payload
	return v, s.attachDeliveries(ctx, []*relaybook.EventView{v})
}

type eventDeliveryRow struct {
	EventID string `db:"event_id"`
	relaybook.EventDelivery
}

// attachDeliveries reads the deliveries of events in one query: per
// webhook the newest delivery (a redelivery stands for the event once it
// exists), with the status of its last attempt.
func (s *EventService) attachDeliveries(ctx context.Context, events []*relaybook.EventView) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]string, len(events))
	byID := make(map[string]*relaybook.EventView, len(events))
	for i, e := range events {
		ids[i], byID[e.ID] = e.ID, e
	}
	var rows []*eventDeliveryRow
	err := s.db.db.SelectContext(ctx, &rows, `
		SELECT DISTINCT ON (d.event_id, d.webhook_id) d.event_id, d.webhook_id, d.state, d.attempts,
			CASE WHEN d.state = 'pending' THEN d.next_attempt_at END AS next_attempt_at,
			(SELECT a.response_status FROM delivery_attempts a WHERE a.delivery_id = d.id
				ORDER BY a.attempt DESC, a.created_at DESC LIMIT 1) AS last_status
		FROM deliveries d
		WHERE d.event_id = ANY ($1::uuid[])
		ORDER BY d.event_id, d.webhook_id, d.created_at DESC, d.id DESC`, pq.Array(ids))
	if err != nil {
		return mapError(err)
	}
	for _, r := range rows {
		if e := byID[r.EventID]; e != nil {
			d := r.EventDelivery
			e.Deliveries = append(e.Deliveries, &d)
		}
	}
	return nil
}

// pagePosition is where a row sits in a (created_at, id) keyset, exactly.
type pagePosition struct {
	AtMicros int64  `db:"at_micros"`
	PageID   string `db:"page_id"`
}

func (p pagePosition) cursor() string {
	return relaybook.Cursor{At: time.UnixMicro(p.AtMicros), ID: p.PageID}.String()
}

// cursorMicros selects a table's pagePosition columns.
func cursorMicros(table string) string {
	return `(extract(epoch FROM ` + table + `.created_at) * 1000000)::bigint AS at_micros, ` + table + `.id AS page_id`
}

// nullTime passes an unset bound to SQL as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// nullID passes an unset id to SQL as NULL.
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}
