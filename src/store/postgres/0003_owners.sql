-- Each channel is sent by one node at a time, so its send rate holds across nodes: the
-- owner renews its lease; when a node dies, another takes the channel once the lease is
-- over.
CREATE TABLE channel_owners (
    channel     TEXT   PRIMARY KEY,
    node        TEXT   NOT NULL,
    lease_until BIGINT NOT NULL
);
