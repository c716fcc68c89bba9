-- Alerts first under a flood. Each inbound message gets, as it is stored, the order the
-- intake reads it in: 0, a known contact's message that may alert (a report's category
-- word, a responder's OK or INFO); 1, the same from a number not in the contacts; 2,
-- anything else (check-ins, digits, floods, loops). Messages stored before keep 2 and are
-- read in arrival order, as they were.
ALTER TABLE inbound_messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 2;
-- A concatenated SMS's parts: whether the first looks urgent, for the whole message.
ALTER TABLE inbound_parts ADD COLUMN may_alert INTEGER NOT NULL DEFAULT 0;

-- The unread, most urgent first (the arrival order within each priority, and the oldest
-- unread, come from it too); and each sender's unread in order, so that a sender's oldest
-- unread message is always read before their next one.
DROP INDEX inbound_state;
CREATE INDEX inbound_unread ON inbound_messages (priority, id) WHERE state = 'new';
CREATE INDEX inbound_unread_sender ON inbound_messages (sender, id) WHERE state = 'new';

-- An incident's first alerts: when the SMS that raised it reached the webhook, so that the
-- time to the provider accepting each is measured from there.
ALTER TABLE outbound_messages ADD COLUMN arrived_at INTEGER;
