-- Incidents: the events reports are about, each with the reports that tell of it.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    status      TEXT    NOT NULL DEFAULT 'open',  -- open | withdrawn
    category    TEXT    NOT NULL,
    first_time  INTEGER NOT NULL,                 -- unix ms, earliest event time reported
    last_time   INTEGER NOT NULL,
    lat         REAL    NOT NULL,                 -- the most precise place reported
    lon         REAL    NOT NULL,
    commune     TEXT    NOT NULL DEFAULT '',      -- admin1/admin2/admin3
    precision   INTEGER NOT NULL,                 -- 3 point, 2 commune, 1 cercle, 0 region
    place_name  TEXT    NOT NULL DEFAULT '',
    sources     INTEGER NOT NULL DEFAULT 1,       -- distinct reporters
    severity    INTEGER,
    counts      TEXT    NOT NULL DEFAULT '{}',    -- highest of each count, JSON
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Fusion candidates: open incidents in a box of time and space. Minutes since the epoch and
-- 1e-5 degrees (about a metre) as integers: an R*Tree finds the box among millions at once.
CREATE VIRTUAL TABLE incidents_where USING rtree_i32 (
    id, min_minute, max_minute, min_lat, max_lat, min_lon, max_lon
);

ALTER TABLE reports ADD COLUMN incident_id INTEGER REFERENCES incidents (id);
ALTER TABLE reports ADD COLUMN precision INTEGER NOT NULL DEFAULT 3;
CREATE INDEX reports_incident ON reports (incident_id) WHERE incident_id IS NOT NULL;
