-- Several nodes read the stored messages: each claims a few for a while (a lease), so a
-- node that dies leaves its claims to the others once the lease is over.
ALTER TABLE inbound_messages ADD COLUMN claimed_by TEXT;
ALTER TABLE inbound_messages ADD COLUMN claimed_until BIGINT;
CREATE INDEX inbound_claims ON inbound_messages (sender, claimed_until) WHERE state = 'new';
