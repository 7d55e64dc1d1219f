-- The newest audit entry's number and hash, rewritten with every append in the same
-- transaction. Deleting entries from the end of the chain leaves what remains consistent;
-- comparing with this row catches it.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash)
SELECT 1, seq, hash FROM audit ORDER BY seq DESC LIMIT 1;
