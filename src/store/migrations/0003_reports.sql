-- People: monitors who report, responders who get alerts, coordinators who steer.
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    phone       TEXT    NOT NULL UNIQUE,         -- E.164
    name        TEXT    NOT NULL DEFAULT '',
    roles       TEXT    NOT NULL DEFAULT '',     -- ';'-separated: monitor, responder, coordinator
    language    TEXT,                            -- NULL: detected from what they write
    home        TEXT,                            -- gazetteer id of their home place
    zones       TEXT    NOT NULL DEFAULT '',     -- ';'-separated zone codes
    discreet    INTEGER NOT NULL DEFAULT 0,      -- receipts carry the reference only
    active      INTEGER NOT NULL DEFAULT 1,
    opted_out   INTEGER NOT NULL DEFAULT 0,      -- STOP: no alerts, no broadcasts
    pin_hash    TEXT,                            -- argon2, coordinators
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Reports: one per inbound message at most, filed or waiting for a place choice.
CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    inbound_id  INTEGER NOT NULL UNIQUE REFERENCES inbound_messages (id),
    contact_id  INTEGER REFERENCES contacts (id),
    reporter    TEXT    NOT NULL,                -- E.164; shown to admins only
    unverified  INTEGER NOT NULL DEFAULT 0,      -- from a number not registered
    status      TEXT    NOT NULL,                -- filed | pending | expired | withdrawn
    category    TEXT    NOT NULL,
    place_id    TEXT,
    place_name  TEXT,
    admin1      TEXT,
    admin2      TEXT,
    admin3      TEXT,
    country     TEXT,
    lat         REAL,
    lon         REAL,
    found_by    TEXT,                            -- text | coordinates | reporter_home
    choices     TEXT,                            -- pending: gazetteer ids, '|'-separated
    counts      TEXT    NOT NULL DEFAULT '{}',   -- JSON: killed, injured, ... (number or "several")
    event_time  INTEGER NOT NULL,
    severity    INTEGER,
    description TEXT    NOT NULL DEFAULT '',
    language    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX reports_pending ON reports (reporter, created_at) WHERE status = 'pending';
