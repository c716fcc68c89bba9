-- The outbound queue: every SMS Vigie writes is a row here before any provider sees it.
-- Lifecycle: queued -> sending -> sent -> delivered, or failed / expired.
ALTER TABLE outbound_messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 1; -- 0 alert, 1 reply/system, 2 broadcast
ALTER TABLE outbound_messages ADD COLUMN inbound_id INTEGER;        -- the message this answers
ALTER TABLE outbound_messages ADD COLUMN incident_id INTEGER;       -- the incident this alerts about
ALTER TABLE outbound_messages ADD COLUMN broadcast_id INTEGER;      -- the broadcast this belongs to
ALTER TABLE outbound_messages ADD COLUMN fallbacks TEXT NOT NULL DEFAULT ''; -- channels left to try, comma-separated
ALTER TABLE outbound_messages ADD COLUMN tried TEXT NOT NULL DEFAULT '';     -- channels left behind, comma-separated
ALTER TABLE outbound_messages ADD COLUMN segments INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbound_messages ADD COLUMN encoding TEXT NOT NULL DEFAULT 'gsm7'; -- gsm7|ucs2
ALTER TABLE outbound_messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbound_messages ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0; -- unix ms
ALTER TABLE outbound_messages ADD COLUMN provider_message_id TEXT;
ALTER TABLE outbound_messages ADD COLUMN provider_status TEXT;
ALTER TABLE outbound_messages ADD COLUMN error_code TEXT;
ALTER TABLE outbound_messages ADD COLUMN last_error TEXT;
ALTER TABLE outbound_messages ADD COLUMN claimed_at INTEGER;        -- unix ms, while `sending`
ALTER TABLE outbound_messages ADD COLUMN sent_at INTEGER;
ALTER TABLE outbound_messages ADD COLUMN delivered_at INTEGER;
ALTER TABLE outbound_messages ADD COLUMN finished_at INTEGER;       -- failed or expired
ALTER TABLE outbound_messages ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

-- What each channel's sender claims next: due messages, most urgent first.
CREATE INDEX outbound_due ON outbound_messages (channel, priority, next_attempt_at, id)
    WHERE status = 'queued';
-- Whether anything is due at all, without stepping over a backlog of later retries.
CREATE INDEX outbound_next ON outbound_messages (channel, next_attempt_at)
    WHERE status = 'queued';
-- Claims to release at start-up or after the claim timeout.
CREATE INDEX outbound_sending ON outbound_messages (claimed_at) WHERE status = 'sending';
-- Delivery reports find their message by the provider's id.
CREATE INDEX outbound_provider_id ON outbound_messages (channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- Reports not yet matched to a message (the send call had not returned), by either key.
-- `applied`: 0 waiting, 1 applied, 2 never matched (given up on after a week).
CREATE INDEX delivery_reports_pending_id ON delivery_reports (channel, provider_message_id)
    WHERE applied = 0;
CREATE INDEX delivery_reports_pending_ref ON delivery_reports (channel, reference)
    WHERE applied = 0;
