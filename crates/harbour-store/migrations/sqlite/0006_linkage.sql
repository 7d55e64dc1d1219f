-- Linking source records into persons (SQLite). Kept in step with ../postgres/0006_linkage.sql.

-- When identity resolution last placed the record; NULL means it still waits to be linked.
ALTER TABLE source_records ADD COLUMN linked_at TEXT;
CREATE INDEX source_records_unlinked ON source_records (tenant_code) WHERE linked_at IS NULL;

-- Each record's blocking keys (see harbour_link::blocking), so a new record finds the
-- records worth comparing with it without reading everyone.
CREATE TABLE link_keys (
    tenant_code      TEXT NOT NULL,
    rule             INTEGER NOT NULL,
    key              INTEGER NOT NULL,
    source_record_id BLOB NOT NULL,
    PRIMARY KEY (tenant_code, rule, key, source_record_id)
);

-- The model the last full linking run learnt (JSON), used to score records that arrive later.
CREATE TABLE link_models (
    tenant_code TEXT PRIMARY KEY REFERENCES tenants (code),
    model       TEXT NOT NULL,
    records     INTEGER NOT NULL,
    trained_at  TEXT NOT NULL
);

-- Pairs of records a person must decide about, and the decisions, which every later linking
-- run obeys (same: always together; different: never together).
CREATE TABLE link_reviews (
    tenant_code TEXT NOT NULL,
    id          BLOB NOT NULL,
    record_a    BLOB NOT NULL,
    record_b    BLOB NOT NULL,
    weight      REAL NOT NULL,
    probability REAL NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'same', 'different')),
    raised_at   TEXT NOT NULL,
    decided_by  BLOB REFERENCES users (id),
    decided_at  TEXT,
    note        TEXT,
    -- The person change a decision made (a merge), so undoing that change reopens the pair.
    change_id   BLOB,
    PRIMARY KEY (tenant_code, id),
    UNIQUE (tenant_code, record_a, record_b)
);
CREATE INDEX link_reviews_status ON link_reviews (tenant_code, status, probability);

-- Every change to which person a record belongs, with each move, so any change can be
-- explained and undone. A record's events stay with the record, so a move never loses or
-- misattributes history.
CREATE TABLE person_changes (
    tenant_code TEXT NOT NULL,
    id          BLOB NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('link', 'relink', 'merge', 'split', 'undo')),
    made_by     BLOB REFERENCES users (id),
    made_at     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    undoes      BLOB,
    undone_by   BLOB,
    PRIMARY KEY (tenant_code, id)
);
CREATE TABLE person_change_moves (
    tenant_code      TEXT NOT NULL,
    change_id        BLOB NOT NULL,
    source_record_id BLOB NOT NULL,
    from_person      BLOB NOT NULL,
    to_person        BLOB NOT NULL,
    PRIMARY KEY (tenant_code, change_id, source_record_id)
);
