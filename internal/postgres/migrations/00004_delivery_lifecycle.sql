-- The delivery lifecycle: pausing holds deliveries instead of dropping
-- them, failing webhooks are disabled automatically, and a failed delivery
-- can be re-opened (recover, redeliver) as a fresh attempt sequence of the
-- same row.

-- +goose Up
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('pending', 'succeeded', 'failed', 'held'));
-- Attempts made before the current attempt sequence: the retry schedule
-- counts attempts from here, while attempt numbers keep counting.
ALTER TABLE deliveries ADD COLUMN sequence_start integer NOT NULL DEFAULT 0;
-- Resuming finds a webhook's held deliveries, oldest event first
-- (a delivery's created_at is its event's).
CREATE INDEX deliveries_held_idx ON deliveries (webhook_id, created_at, id) WHERE state = 'held';
-- Recover walks a webhook's failed deliveries in a window of event times.
CREATE INDEX deliveries_failed_idx ON deliveries (webhook_id, created_at, id) WHERE state = 'failed';

ALTER TABLE webhooks
    ADD COLUMN disabled_reason text CHECK (disabled_reason IN ('paused', 'failing')),
    ADD COLUMN disabled_at timestamptz,
    -- Deliveries that ended failed since the last one that succeeded, and
    -- when the first of them ended: automatic disabling reads these rather
    -- than counting deliveries.
    ADD COLUMN failure_streak integer NOT NULL DEFAULT 0,
    ADD COLUMN failing_since timestamptz;
UPDATE webhooks SET disabled_reason = 'paused', disabled_at = updated_at WHERE NOT active;
-- Events fan out to inactive webhooks too now (as held deliveries).
CREATE INDEX webhooks_team_all_idx ON webhooks (team_id);
DROP INDEX webhooks_team_idx;

-- +goose Down
CREATE INDEX webhooks_team_idx ON webhooks (team_id) WHERE active;
DROP INDEX webhooks_team_all_idx;
ALTER TABLE webhooks DROP COLUMN failing_since, DROP COLUMN failure_streak,
    DROP COLUMN disabled_at, DROP COLUMN disabled_reason;
DROP INDEX deliveries_failed_idx;
DROP INDEX deliveries_held_idx;
ALTER TABLE deliveries DROP COLUMN sequence_start;
UPDATE deliveries SET state = 'failed' WHERE state = 'held';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('pending', 'succeeded', 'failed'));
