-- Zones defined by coordinators (config or API). Gazetteer admin units are zones too,
-- without a row: their name or id is enough.
CREATE TABLE zones (
    key         TEXT    PRIMARY KEY,              -- its code folded, as contacts name it
    definition  TEXT    NOT NULL,                 -- JSON: units, circles, polygons, rules
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- What a responder wants: categories (';'-separated codes, empty: all) and the least
-- severity (NULL: the zone's rule decides).
ALTER TABLE contacts ADD COLUMN categories TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN min_severity INTEGER;

-- Contacts by zone, folded (`text::fold`), so fan-out finds a zone's subscribers by index.
-- Filled from `contacts.zones` at start-up (the folding lives in Rust) and on every save.
CREATE TABLE contact_zones (
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    zone        TEXT    NOT NULL,
    PRIMARY KEY (zone, contact_id)
) WITHOUT ROWID;

-- Alerting state of each incident.
ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 0;   -- 0: never alerted
ALTER TABLE incidents ADD COLUMN alerted TEXT;              -- JSON: what the last version said
ALTER TABLE incidents ADD COLUMN first_alert_at INTEGER;
ALTER TABLE incidents ADD COLUMN last_alert_at INTEGER;     -- the last alert or update
ALTER TABLE incidents ADD COLUMN update_due INTEGER NOT NULL DEFAULT 0; -- waiting its interval
ALTER TABLE incidents ADD COLUMN escalate_at INTEGER;       -- unacknowledged by then: escalate
ALTER TABLE incidents ADD COLUMN escalation INTEGER NOT NULL DEFAULT 0; -- levels reached
ALTER TABLE incidents ADD COLUMN acked_at INTEGER;
CREATE INDEX incidents_escalate ON incidents (escalate_at) WHERE escalate_at IS NOT NULL;
CREATE INDEX incidents_update_due ON incidents (last_alert_at) WHERE update_due = 1;
CREATE INDEX incidents_first_time ON incidents (first_time);

-- Every alert, update and escalation sent: never the same version (at one escalation
-- level) twice to one number.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    version     INTEGER NOT NULL,
    phone       TEXT    NOT NULL,
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    language    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,                 -- alert | update | escalation
    level       INTEGER NOT NULL DEFAULT 0,       -- escalation level
    outbound_id INTEGER REFERENCES outbound_messages (id),
    created_at  INTEGER NOT NULL,
    UNIQUE (incident_id, phone, version, level)
);

CREATE TABLE acknowledgements (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    phone       TEXT    NOT NULL,
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (incident_id, phone)
);

-- Secrets the gateway makes itself (the key of reporters' pseudonyms), made once.
CREATE TABLE settings (
    name        TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL
);
