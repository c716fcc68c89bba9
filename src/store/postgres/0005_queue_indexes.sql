-- `outbound_channel` (channel, id) was written with every message queued, and only the
-- queue-depth gauge read it; the depth is now counted from the queue's partial indexes.
DROP INDEX IF EXISTS outbound_channel;
