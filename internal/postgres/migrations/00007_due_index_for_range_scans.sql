-- The due index only serves scans that bound next_attempt_at.
--
-- deliveries_due_idx was partial on state = 'pending' alone. The worker's
-- attempt statement updates deliveries by id WHERE state = 'pending', and
-- that clause alone matches such a predicate: whenever the statistics say
-- few deliveries are pending (always, on a healthy system), the planner
-- reads every pending delivery through the index into a hash and joins the
-- batch against it, and the prepared statement keeps that plan. During a
-- backlog (an outage recovered, a burst) every attempt batch then scans the
-- whole backlog: draining it costs time quadratic in its size
-- (BENCHMARKS.md, "Plans that stay fast").
--
-- The predicate now also says next_attempt_at IS NOT NULL (true of every
-- row: the column is NOT NULL). A query proves it only by bounding
-- next_attempt_at, as the sweeper's due scan and the backlog gauge do, so
-- the index serves them and no longer tempts a lookup by id. With id it
-- also serves the sweeper's (next_attempt_at, id) order without a sort.

-- +goose Up
DROP INDEX deliveries_due_idx;
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at, id)
    WHERE state = 'pending' AND next_attempt_at IS NOT NULL;

-- +goose Down
DROP INDEX deliveries_due_idx;
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state = 'pending';
