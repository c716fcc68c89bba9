-- What the hourly purge and the contacts list look up, without scanning whole tables in
-- the one writer's time.
CREATE INDEX incidents_updated ON incidents (updated_at);
CREATE INDEX delivery_reports_received ON delivery_reports (received_at) WHERE raw != '';
CREATE INDEX reports_contact ON reports (contact_id, created_at) WHERE contact_id IS NOT NULL;
CREATE INDEX checkins_at ON checkins (at);
