-- The outcomes index, its condition spelled as equalities. SQLite checks a partial index's
-- condition on every insert and update of the table, and an `IN` list of three or more
-- builds a temporary table each time: a sixth of the cost of queueing and sending a reply.
-- Queries that use the index must spell the condition the same way.
DROP INDEX outbound_outcomes;
CREATE INDEX outbound_outcomes ON outbound_messages (updated_at)
    WHERE status = 'delivered' OR status = 'failed' OR status = 'expired';
