-- API tokens: a role, optionally zones; only a hash of the token is kept.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    role        TEXT    NOT NULL,                 -- admin | coordinator | viewer
    zones       TEXT    NOT NULL DEFAULT '',      -- ';'-separated, folded; empty: everywhere
    digest      TEXT    NOT NULL UNIQUE,          -- SHA-256 of the token, hex
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
