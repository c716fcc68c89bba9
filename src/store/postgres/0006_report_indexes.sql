-- One index over all of an incident's reports instead of two written with every report
-- filed (as SQLite's migration 0023 explains).
DROP INDEX IF EXISTS reports_incident;
DROP INDEX IF EXISTS reports_incident_precise;
CREATE INDEX reports_incident_precise ON reports (incident_id, precision DESC, id)
    WHERE incident_id IS NOT NULL;
