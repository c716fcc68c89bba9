-- Console sessions: a cookie's SHA-256 (never the cookie), the digest of the token it was
-- opened with (revoking the token ends it), its CSRF token and its times.
CREATE TABLE console_sessions (
    id           INTEGER PRIMARY KEY,
    digest       TEXT    NOT NULL UNIQUE,
    token_digest TEXT    NOT NULL,
    csrf         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    seen_at      INTEGER NOT NULL,
    ended_at     INTEGER
);

-- What changed, in commit order, for live consoles: ids only, never a text or a number.
-- Filled by triggers, so every write path is covered; a console that lost its stream asks
-- for what came after the last id it saw (`Last-Event-ID`).
CREATE TABLE changes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT    NOT NULL,                   -- incident | broadcast
    subject  INTEGER NOT NULL,
    -- Unix ms by the database's clock (julianday: every SQLite version has it).
    at       INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX changes_at ON changes (at);

CREATE TRIGGER incident_added AFTER INSERT ON incidents BEGIN
    INSERT INTO changes (kind, subject) VALUES ('incident', NEW.id);
END;
-- Only what a console shows: not the bookkeeping columns fan-out updates on its own.
CREATE TRIGGER incident_changed
AFTER UPDATE OF status, category, sources, severity, counts, review, place_name, lat, lon,
    last_time, first_alert_at, acked_at, escalation ON incidents BEGIN
    INSERT INTO changes (kind, subject) VALUES ('incident', NEW.id);
END;
CREATE TRIGGER alert_added AFTER INSERT ON alerts BEGIN
    INSERT INTO changes (kind, subject) VALUES ('incident', NEW.incident_id);
END;
CREATE TRIGGER acknowledgement_added AFTER INSERT ON acknowledgements BEGIN
    INSERT INTO changes (kind, subject) VALUES ('incident', NEW.incident_id);
END;
CREATE INDEX alerts_outbound ON alerts (outbound_id) WHERE outbound_id IS NOT NULL;
-- A message's delivery: the incident an alert is about, the broadcast a message is part of.
CREATE TRIGGER message_delivery AFTER UPDATE OF status ON outbound_messages
WHEN NEW.purpose IN ('alert', 'broadcast') AND OLD.status IS NOT NEW.status BEGIN
    INSERT INTO changes (kind, subject)
        SELECT 'incident', incident_id FROM alerts WHERE outbound_id = NEW.id;
    INSERT INTO changes (kind, subject)
        SELECT 'broadcast', NEW.broadcast_id WHERE NEW.broadcast_id IS NOT NULL;
END;
CREATE TRIGGER broadcast_added AFTER INSERT ON broadcasts BEGIN
    INSERT INTO changes (kind, subject) VALUES ('broadcast', NEW.id);
END;
