-- Who changed what: each entry carries the hash of the one before it, so an entry edited or
-- removed afterwards breaks the chain (`vigie audit verify`). Append-only.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,                 -- `admin token`, `token 3`, `cli`
    action      TEXT    NOT NULL,                 -- contact.create, zone.delete, token.revoke...
    subject     TEXT    NOT NULL,                 -- what it acted on: `contact 12`, `zone koro`
    detail      TEXT    NOT NULL DEFAULT '{}',    -- JSON; never a phone number
    prev        TEXT    NOT NULL,                 -- the hash of the entry before ('' first)
    hash        TEXT    NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
