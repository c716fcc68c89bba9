-- An incident's reports were indexed twice by incident, and both entries were written with
-- every report filed: all of them (`reports_incident`), and the filed ones by precision
-- (`reports_incident_precise`). One index over all of an incident's reports serves both:
-- the most precise filed report is still read first (a withdrawn one is stepped over), and
-- the rare readers of all of an incident's reports in arrival order (its page, its first
-- alert, a withdrawal's recount) sort them.
DROP INDEX reports_incident;
DROP INDEX reports_incident_precise;
CREATE INDEX reports_incident_precise ON reports (incident_id, precision DESC, id)
    WHERE incident_id IS NOT NULL;
