-- An incident's tally (the lowest and highest of each count its reports give) kept on the
-- incident, so that filing a report never re-reads the others; `counts` stays what is shown
-- (corrected, else the highest). Existing incidents are tallied from their filed reports:
-- "several" ranks as one, and on a tie the earliest report's value stands.
ALTER TABLE incidents ADD COLUMN counts_low  TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN counts_high TEXT NOT NULL DEFAULT '{}';

CREATE TEMP VIEW tally_values AS
    SELECT r.incident_id, r.id, f.field, json_extract(r.counts, '$.' || f.field) AS value
    FROM reports r
    JOIN (SELECT 'killed' AS field UNION ALL SELECT 'injured' UNION ALL SELECT 'abducted'
          UNION ALL SELECT 'displaced' UNION ALL SELECT 'households'
          UNION ALL SELECT 'livestock') f
    WHERE r.status = 'filed' AND r.incident_id IS NOT NULL
      AND json_extract(r.counts, '$.' || f.field) IS NOT NULL;

CREATE TEMP VIEW tally_ranked AS
    SELECT incident_id, id, field, value,
           CASE WHEN value = 'several' THEN 1 ELSE value END AS rank
    FROM tally_values;

UPDATE incidents SET
    counts_low = coalesce((
        SELECT json_group_object(field, value)
        FROM (SELECT field, value, row_number() OVER (PARTITION BY field ORDER BY rank, id) AS n
              FROM tally_ranked WHERE incident_id = incidents.id)
        WHERE n = 1), '{}'),
    counts_high = coalesce((
        SELECT json_group_object(field, value)
        FROM (SELECT field, value, row_number() OVER (PARTITION BY field ORDER BY rank DESC, id) AS n
              FROM tally_ranked WHERE incident_id = incidents.id)
        WHERE n = 1), '{}');

DROP VIEW tally_ranked;
DROP VIEW tally_values;

-- What is asked of a growing incident's filed reports per new report, found without
-- reading them all: whether a sender already reported it, and its most precise report.
CREATE INDEX reports_incident_reporter ON reports (incident_id, reporter) WHERE status = 'filed';
CREATE INDEX reports_incident_precise ON reports (incident_id, precision DESC, id)
    WHERE status = 'filed';
