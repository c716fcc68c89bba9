-- Which transaction noted each change. Change ids are taken in one order and committed in
-- another, so a console page notes what its read could see (`pg_current_snapshot()`),
-- and its live stream catches up with every change that read could not see, whatever its
-- id. (SQLite commits one writer's changes in id order: it needs no such column.)
ALTER TABLE changes ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
