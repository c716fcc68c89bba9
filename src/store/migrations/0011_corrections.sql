-- A coordinator's corrections of an incident (JSON: category, place with its admin chain,
-- counts): they stand over what the reports say; the reports stay as they were sent.
ALTER TABLE incidents ADD COLUMN corrected TEXT;
