-- A secret rotation keeps the old secret signing beside the new one until
-- previous_secret_expires_at, so receivers can switch without a gap. The old
-- secret is sealed like the current one (AES-256-GCM, bound to the webhook
-- id) and erased once its grace is over: both columns are set, or neither.

-- +goose Up
ALTER TABLE webhooks
    ADD COLUMN previous_secret_ciphertext bytea,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD CONSTRAINT webhooks_previous_secret_check
        CHECK ((previous_secret_ciphertext IS NULL) = (previous_secret_expires_at IS NULL));
-- The cleanup's scan: only webhooks inside a rotation are in it.
CREATE INDEX webhooks_previous_secret_expiry_idx ON webhooks (previous_secret_expires_at)
    WHERE previous_secret_expires_at IS NOT NULL;

-- +goose Down
DROP INDEX IF EXISTS webhooks_previous_secret_expiry_idx;
ALTER TABLE webhooks
    DROP CONSTRAINT IF EXISTS webhooks_previous_secret_check,
    DROP COLUMN IF EXISTS previous_secret_ciphertext,
    DROP COLUMN IF EXISTS previous_secret_expires_at;
