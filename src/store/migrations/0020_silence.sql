-- Silence as a signal. Every message from a contact, and every SMS delivered to one, is a
-- sign of life: when (by the provider's clock), by which channel, on which operator. Ids
-- only grow (AUTOINCREMENT), so "signs since the last look" survives purges.
CREATE TABLE signs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,                -- unix ms, the provider's time
    channel     TEXT    NOT NULL,                -- sms | ussd | delivery
    operator    TEXT                             -- by the number's prefix; NULL: unknown
);
CREATE INDEX signs_contact ON signs (contact_id, at);
CREATE INDEX signs_at ON signs (at);

-- A contact's zones, found from the contact (the primary key finds a zone's contacts).
CREATE INDEX contact_zones_contact ON contact_zones (contact_id);

-- A contact's latest message (a delivery shows a phone on, not a monitor heard: it does
-- not end a silence, or a delivered reminder would), kept with them so a sweep reads one
-- row per monitor; their own
-- cadence (NULL: their zones', else the default; 0: none); and, for the latest sign, the
-- silence already answered: a reminder sent, their coordinators told (each holds the sign
-- it was about, so a new sign starts the count again without a reset).
ALTER TABLE contacts ADD COLUMN last_sign_at INTEGER;
ALTER TABLE contacts ADD COLUMN checkin_every_hours INTEGER;
ALTER TABLE contacts ADD COLUMN reminded_for INTEGER;
ALTER TABLE contacts ADD COLUMN told_for INTEGER;

-- A duress word, as a keyed hash; and since when the monitor's reports are marked.
ALTER TABLE contacts ADD COLUMN duress_hash TEXT;
ALTER TABLE contacts ADD COLUMN duress_since INTEGER;
ALTER TABLE reports ADD COLUMN duress INTEGER NOT NULL DEFAULT 0;

-- What was read before: each contact's latest message (a provider's clock ahead of ours
-- counts as now), and their messages of the last four weeks, so zones are judged at once.
UPDATE contacts SET last_sign_at = m.at
FROM (SELECT sender,
             min(max(coalesce(provider_ts, received_at)), received_at + 600000) AS at
      FROM inbound_messages WHERE is_loop = 0 GROUP BY sender) AS m
WHERE m.sender = contacts.phone;
INSERT INTO signs (contact_id, at, channel)
SELECT c.id, min(coalesce(i.provider_ts, i.received_at), i.received_at + 600000), 'sms'
FROM inbound_messages i JOIN contacts c ON c.phone = i.sender
WHERE i.is_loop = 0 AND i.received_at >= (SELECT coalesce(max(received_at), 0) FROM inbound_messages) - 28 * 86400000
ORDER BY i.id;

-- A zone gone quiet: open until a sign of life returns.
CREATE TABLE silences (
    id            INTEGER PRIMARY KEY,
    zone          TEXT    NOT NULL,              -- its key, folded, as contacts name it
    name          TEXT    NOT NULL,              -- as shown
    state         TEXT    NOT NULL,              -- open | closed
    since         INTEGER NOT NULL,              -- the zone's last sign of life
    monitors      INTEGER NOT NULL,
    usual_per_day REAL    NOT NULL,
    cause         TEXT,                          -- operators probably cut, ', '-separated
    opened_at     INTEGER NOT NULL,
    closed_at     INTEGER,
    back_at       INTEGER                        -- the sign of life that closed it
);
CREATE UNIQUE INDEX silences_open ON silences (zone) WHERE state = 'open';
CREATE INDEX silences_opened ON silences (opened_at);

-- What became of SMS lately, by the time it became known: the evidence for a network cut.
CREATE INDEX outbound_outcomes ON outbound_messages (updated_at)
    WHERE status IN ('delivered', 'failed', 'expired');
