-- What the operator's tools read and prune by.
--
-- Test events ("webhooks test") and their deliveries are marked: they go to
-- one webhook only, are stored already finished (never retried or swept),
-- and must not count toward auto-disabling a webhook.
--
-- The events view lists a team's events newest first (the index that
-- 00002 dropped comes back, now that something reads events by team, and
-- leaves test events out). Retention finds old rows through BRIN indexes:
-- both tables are appended in time order, so a BRIN index costs next to
-- nothing on insert, unlike a btree on the hot write path. The deliveries
-- of an event are found by event_id for the events view and when an event
-- is pruned (the partial unique index covers only first deliveries).

-- +goose Up
ALTER TABLE events ADD COLUMN test boolean NOT NULL DEFAULT false;
ALTER TABLE deliveries ADD COLUMN test boolean NOT NULL DEFAULT false;
CREATE INDEX events_team_page_idx ON events (team_id, created_at, id) WHERE NOT test;
CREATE INDEX events_created_brin ON events USING brin (created_at);
CREATE INDEX delivery_attempts_created_brin ON delivery_attempts USING brin (created_at);
CREATE INDEX deliveries_event_idx ON deliveries (event_id);

-- +goose Down
DROP INDEX deliveries_event_idx;
DROP INDEX delivery_attempts_created_brin;
DROP INDEX events_created_brin;
DROP INDEX events_team_page_idx;
ALTER TABLE deliveries DROP COLUMN test;
ALTER TABLE events DROP COLUMN test;
