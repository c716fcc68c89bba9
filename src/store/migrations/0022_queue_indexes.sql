-- `outbound_channel` (channel, id) was written with every message queued, and only the
-- queue-depth gauge read it, whole, at each upkeep; the depth is now counted from the
-- queue's partial indexes, which hold only messages waiting or being sent.
DROP INDEX outbound_channel;
