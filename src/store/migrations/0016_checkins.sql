-- `RAS` is a check-in, not an incident: when, from whom, where (if said or known), and the
-- words that came with it.
CREATE TABLE checkins (
    id          INTEGER PRIMARY KEY,
    inbound_id  INTEGER NOT NULL UNIQUE REFERENCES inbound_messages (id),
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    phone       TEXT    NOT NULL,                -- E.164; a pseudonym once purged
    at          INTEGER NOT NULL,                -- unix ms, when it was sent
    place_id    TEXT,
    place_name  TEXT,
    comment     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX checkins_contact ON checkins (contact_id, at) WHERE contact_id IS NOT NULL;
CREATE INDEX checkins_phone ON checkins (phone, at);

-- What earlier versions filed as RAS incidents become check-ins, and the incidents withdrawn.
INSERT OR IGNORE INTO checkins (inbound_id, contact_id, phone, at, place_id, place_name, comment,
                                created_at)
SELECT inbound_id, contact_id, reporter, event_time, place_id, place_name, description, created_at
FROM reports WHERE category = 'RAS' AND status IN ('filed', 'pending');
UPDATE reports SET status = 'withdrawn' WHERE category = 'RAS' AND status IN ('filed', 'pending');
UPDATE incidents SET status = 'withdrawn' WHERE category = 'RAS' AND status = 'open';
DELETE FROM incidents_where WHERE id IN (SELECT id FROM incidents WHERE category = 'RAS');
