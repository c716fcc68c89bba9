-- Broadcasts from a phone: `DIFF <PIN> <ZONE> <TEXT>` waits for `OUI <code>`; three
-- wrong PINs in a row lock the coordinator out until an admin sets a new PIN.
ALTER TABLE contacts ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE broadcasts ADD COLUMN status TEXT NOT NULL DEFAULT 'sent';  -- pending | sent | dropped | expired
ALTER TABLE broadcasts ADD COLUMN code INTEGER;                         -- to confirm a pending one
ALTER TABLE broadcasts ADD COLUMN contact_id INTEGER REFERENCES contacts (id);
CREATE INDEX broadcasts_pending ON broadcasts (contact_id) WHERE status = 'pending';
