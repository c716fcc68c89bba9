-- Inbound messages: every SMS a provider delivered to us, stored before we answer it.
CREATE TABLE inbound_messages (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT    NOT NULL,
    provider_message_id TEXT,
    sender              TEXT    NOT NULL,
    recipient           TEXT,
    text                TEXT    NOT NULL,
    truncated           INTEGER NOT NULL DEFAULT 0,
    throttled           INTEGER NOT NULL DEFAULT 0,   -- set once the message is known to be new
    is_loop             INTEGER NOT NULL DEFAULT 0,
    parts               INTEGER NOT NULL DEFAULT 1,
    incomplete          INTEGER NOT NULL DEFAULT 0,
    provider_ts         INTEGER,                 -- unix ms, as the provider stated it
    received_at         INTEGER NOT NULL,        -- unix ms, when we stored it
    content_hash        INTEGER NOT NULL,        -- sender, recipient and text, for id-less dedupe
    raw                 TEXT    NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'new'
);
-- A provider's retry of the same message id on the same channel is one message.
CREATE UNIQUE INDEX inbound_provider_id ON inbound_messages (channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
-- Only id-less messages are deduplicated by content; hashes are random, so indexing every
-- message would dirty a random index page per insert.
CREATE INDEX inbound_content ON inbound_messages (channel, content_hash)
    WHERE provider_message_id IS NULL;
CREATE INDEX inbound_state ON inbound_messages (state) WHERE state = 'new';

-- Parts of concatenated SMS that providers deliver one by one (Vonage), kept until complete.
CREATE TABLE inbound_parts (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    sender              TEXT    NOT NULL,
    recipient           TEXT,
    concat_ref          TEXT    NOT NULL,
    part                INTEGER NOT NULL,
    total               INTEGER NOT NULL,
    text                TEXT    NOT NULL,
    provider_ts         INTEGER,
    received_at         INTEGER NOT NULL,
    raw                 TEXT    NOT NULL,
    is_loop             INTEGER NOT NULL DEFAULT 0,
    message_id          INTEGER REFERENCES inbound_messages (id)  -- set once stored as a message
);
CREATE UNIQUE INDEX parts_provider_id ON inbound_parts (channel, provider_message_id);
CREATE INDEX parts_group ON inbound_parts (channel, sender, concat_ref, total) WHERE message_id IS NULL;
CREATE INDEX parts_pending_age ON inbound_parts (received_at) WHERE message_id IS NULL;

-- Delivery reports, kept as received; the outbound queue applies them to its messages.
CREATE TABLE delivery_reports (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT    NOT NULL,
    provider_message_id TEXT,
    reference           TEXT,                    -- our own id, echoed back by the provider
    status              TEXT,                    -- queued|sent|delivered|failed|expired, NULL if unknown
    provider_status     TEXT    NOT NULL,
    error_code          TEXT,
    raw                 TEXT    NOT NULL,
    received_at         INTEGER NOT NULL,
    applied             INTEGER NOT NULL DEFAULT 0
);
-- The same report delivered twice is one report.
CREATE UNIQUE INDEX delivery_reports_once ON delivery_reports (
    channel, coalesce(provider_message_id, ''), coalesce(reference, ''),
    provider_status, coalesce(error_code, '')
);
CREATE INDEX delivery_reports_message ON delivery_reports (channel, provider_message_id);

-- Outbound messages (filled by the outbound queue); the sim outbox reads it.
CREATE TABLE outbound_messages (
    id          INTEGER PRIMARY KEY,
    channel     TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'queued',
    created_at  INTEGER NOT NULL
);
CREATE INDEX outbound_channel ON outbound_messages (channel, id);

-- One row that readiness checks rewrite, proving the database takes writes.
CREATE TABLE heartbeat (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
);
INSERT INTO heartbeat (id, checked_at) VALUES (1, 0);
