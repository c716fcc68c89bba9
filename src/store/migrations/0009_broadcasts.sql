-- Coordinators' broadcasts: one message per matching contact, with broadcast priority.
CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    zone        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    roles       TEXT    NOT NULL DEFAULT '',      -- ';'-separated; empty: every role
    languages   TEXT    NOT NULL DEFAULT '',      -- ';'-separated; empty: every language
    created_by  TEXT    NOT NULL,
    recipients  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX outbound_broadcast ON outbound_messages (broadcast_id) WHERE broadcast_id IS NOT NULL;
