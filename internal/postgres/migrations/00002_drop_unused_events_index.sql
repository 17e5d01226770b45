-- Nothing reads events by team: deliveries reach their event by id. The
-- index only cost a btree insert on every change (the API's hottest write).

-- +goose Up
DROP INDEX IF EXISTS events_team_created_idx;

-- +goose Down
CREATE INDEX events_team_created_idx ON events (team_id, created_at);
