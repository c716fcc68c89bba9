-- A message the intake could not carry out is set aside (`state = 'error'`) with why, so an
-- operator can see it and a bug it trips never replays at every start.
ALTER TABLE inbound_messages ADD COLUMN error TEXT;
