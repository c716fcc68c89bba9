-- Coordinators' review of an incident: new until verified, dismissed or closed.
ALTER TABLE incidents ADD COLUMN review TEXT NOT NULL DEFAULT 'new';
ALTER TABLE incidents ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN reviewed_at INTEGER;
