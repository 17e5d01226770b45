-- The whole product schema. PostgreSQL is the system of record: Redis only
-- ever holds ids of deliveries that this schema says are due.

-- +goose Up
CREATE TABLE teams (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    id         uuid PRIMARY KEY,
    email      text NOT NULL,
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
-- Emails are matched case-insensitively: Jane@x.com and jane@x.com are one user.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE team_members (
    team_id   uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      text NOT NULL CHECK (role IN ('admin', 'member')),
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE books (
    id         uuid PRIMARY KEY,
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX books_team_id_idx ON books (team_id);

CREATE TABLE labels (
    id         uuid PRIMARY KEY,
    book_id    uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    name       text NOT NULL,
    color      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX labels_book_name_key ON labels (book_id, lower(name));

CREATE TABLE contacts (
    id         uuid PRIMARY KEY,
    book_id    uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    first_name text NOT NULL DEFAULT '',
    last_name  text NOT NULL DEFAULT '',
    company    text NOT NULL DEFAULT '',
    job_title  text NOT NULL DEFAULT '',
    emails     jsonb NOT NULL DEFAULT '[]',
    phones     jsonb NOT NULL DEFAULT '[]',
    notes      text NOT NULL DEFAULT '',
    starred    boolean NOT NULL DEFAULT false,
    birthday   date,
    website    text NOT NULL DEFAULT '',
    addresses  jsonb NOT NULL DEFAULT '[]',
    socials    jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
-- Keyset pagination walks a book in (created_at, id) order.
CREATE INDEX contacts_book_page_idx ON contacts (book_id, created_at, id);

CREATE TABLE contact_labels (
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    label_id   uuid NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (contact_id, label_id)
);
CREATE INDEX contact_labels_label_idx ON contact_labels (label_id);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    team_id      uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name         text NOT NULL,
    -- The first characters of the key, shown in lists so admins can tell keys apart.
    prefix       text NOT NULL,
    -- SHA-256 of the whole key: a database leak does not leak usable keys.
    key_hash     bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_team_idx ON api_keys (team_id);

CREATE TABLE webhooks (
    id         uuid PRIMARY KEY,
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    url        text NOT NULL,
    events     text[] NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    -- AES-256-GCM under security.encryption_key; never stored in plaintext.
    secret_ciphertext bytea NOT NULL,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX webhooks_team_idx ON webhooks (team_id) WHERE active;

-- The outbox: every change writes its event here in the same transaction.
-- No foreign keys to books or teams: a book.deleted event outlives its book.
CREATE TABLE events (
    id         uuid PRIMARY KEY,
    type       text NOT NULL,
    team_id    uuid NOT NULL,
    book_id    uuid,
    -- The exact bytes every receiver gets, on every attempt.
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX events_team_created_idx ON events (team_id, created_at);

-- One event going to one webhook. Created in the transaction that created the
-- event, so nothing can commit a change without its deliveries.
CREATE TABLE deliveries (
    id              uuid PRIMARY KEY,
    event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
    -- Attempts made so far; the next one is attempts + 1, due at next_attempt_at.
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- A manual redelivery is a new delivery of the same event.
    redelivery_of   uuid REFERENCES deliveries (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX deliveries_event_webhook_key ON deliveries (event_id, webhook_id) WHERE redelivery_of IS NULL;
-- The sweeper's scan: pending deliveries by due time.
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state = 'pending';

-- The delivery log: one row per attempt.
CREATE TABLE delivery_attempts (
    id              uuid PRIMARY KEY,
    delivery_id     uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    webhook_id      uuid NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    attempt         integer NOT NULL,
    response_status integer,
    response_body   text NOT NULL DEFAULT '',
    duration_ms     bigint NOT NULL,
    success         boolean NOT NULL,
    error           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);
CREATE INDEX delivery_attempts_webhook_idx ON delivery_attempts (webhook_id, created_at DESC);
CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id);

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE webhooks;
DROP TABLE api_keys;
DROP TABLE contact_labels;
DROP TABLE contacts;
DROP TABLE labels;
DROP TABLE books;
DROP TABLE team_members;
DROP TABLE users;
DROP TABLE teams;
