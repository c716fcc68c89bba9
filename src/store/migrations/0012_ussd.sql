-- USSD sessions: the menu's state per provider session, and every screen answered, so a
-- replayed step gets the same screen and changes nothing. A session left before its
-- report was sent is a draft its caller may take up again.
CREATE TABLE ussd_sessions (
    id          INTEGER PRIMARY KEY,
    channel     TEXT    NOT NULL,
    session_id  TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    state       TEXT    NOT NULL,                 -- JSON: language, step, draft
    last_text   TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'open',  -- open | done | taken_up | dropped
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (channel, session_id)
);
CREATE INDEX ussd_sessions_open ON ussd_sessions (phone, updated_at) WHERE status = 'open';
CREATE TABLE ussd_steps (
    session     INTEGER NOT NULL REFERENCES ussd_sessions (id),
    text        TEXT    NOT NULL,
    screen      TEXT    NOT NULL,                 -- the answer: `CON ...` or `END ...`
    PRIMARY KEY (session, text)
) WITHOUT ROWID;
-- The language a caller chose in a USSD menu, for a report they made there.
ALTER TABLE inbound_messages ADD COLUMN language TEXT;
-- "My last reports" in the menu.
CREATE INDEX reports_reporter ON reports (reporter, id);
