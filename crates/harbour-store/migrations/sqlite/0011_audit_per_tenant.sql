-- One audit chain per local authority (SQLite). Kept in step with
-- ../postgres/0011_audit_per_tenant.sql: same tables, columns, keys and indexes.
--
-- Until now every entry joined one chain for the whole store, so every audited action in
-- every local authority waited for the one before it. From here each tenant's entries form
-- their own chain: numbered per tenant (key (tenant_code, seq), tenant first as for all
-- personal data), each entry's prev_hash the hash of the same tenant's previous entry, and
-- the tenant's newest entry recorded in audit_heads, rewritten with every append.
--
-- The entries already written are kept exactly as they are and marked legacy: they still
-- verify as the one global chain they were written as (numbers 1, 2, 3, ... across every
-- tenant, checked against audit_head, which is no longer written). Each tenant's own chain
-- continues from that tenant's last legacy entry: its first entry is numbered one more and
-- carries that entry's hash as prev_hash. A tenant with no legacy entries starts at 1 after
-- the genesis hash. Within a tenant, numbers therefore still rise with time.
--
-- SQLite cannot change a primary key or a foreign key in place, so audit and audit_subjects
-- are rebuilt (new table, rows copied, old dropped, new renamed) and their indexes and
-- append-only triggers made again exactly as 0001 and 0002 made them. Dropping a table does
-- not fire its delete triggers. Renaming audit_new rewrites audit_subjects_new's foreign key
-- to name audit.

CREATE TABLE audit_new (
    seq           INTEGER NOT NULL,
    at            TEXT NOT NULL,
    tenant_code   TEXT NOT NULL,
    user_id       BLOB,
    agency_id     BLOB,
    action        TEXT NOT NULL,
    person_id     BLOB,
    purpose       TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    -- Written before this migration, into the one global chain.
    legacy        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant_code, seq)
);

INSERT INTO audit_new (seq, at, tenant_code, user_id, agency_id, action, person_id, purpose,
                       outcome, detail, prev_hash, hash, legacy)
SELECT seq, at, tenant_code, user_id, agency_id, action, person_id, purpose,
       outcome, detail, prev_hash, hash, TRUE
FROM audit;

CREATE TABLE audit_subjects_new (
    tenant_code  TEXT NOT NULL,
    person_id    BLOB NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (tenant_code, person_id, seq),
    FOREIGN KEY (tenant_code, seq) REFERENCES audit_new (tenant_code, seq)
);

INSERT INTO audit_subjects_new (tenant_code, person_id, seq)
SELECT tenant_code, person_id, seq FROM audit_subjects;

DROP TABLE audit_subjects;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
ALTER TABLE audit_subjects_new RENAME TO audit_subjects;

-- As 0001 made them.
CREATE INDEX audit_person ON audit (tenant_code, person_id, seq);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;

-- As 0002 made them, but for the index, which now leads with the tenant as the key does.
CREATE INDEX audit_subjects_entry ON audit_subjects (tenant_code, seq);

CREATE TRIGGER audit_subjects_no_update BEFORE UPDATE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
CREATE TRIGGER audit_subjects_no_delete BEFORE DELETE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;

-- The legacy chain's order, and a guard that no later entry is ever counted in it.
CREATE UNIQUE INDEX audit_legacy_seq ON audit (seq) WHERE legacy;

-- Each tenant's newest entry, rewritten with every append in the same transaction, so
-- entries deleted from the end of a tenant's chain are caught (as audit_head did for the
-- global chain). Starts at each tenant's last legacy entry.
CREATE TABLE audit_heads (
    tenant_code  TEXT NOT NULL PRIMARY KEY,
    seq          BIGINT NOT NULL,
    hash         TEXT NOT NULL
);

INSERT INTO audit_heads (tenant_code, seq, hash)
SELECT a.tenant_code, a.seq, a.hash FROM audit a
WHERE a.seq = (SELECT MAX(b.seq) FROM audit b WHERE b.tenant_code = a.tenant_code);
