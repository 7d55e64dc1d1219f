-- One audit chain per local authority (PostgreSQL). Kept in step with
-- ../sqlite/0011_audit_per_tenant.sql: same tables, columns, keys and indexes.
--
-- Until now every entry joined one chain for the whole store, and every write transaction
-- took one advisory lock, so every audited action in every local authority waited for the
-- one before it. From here each tenant's entries form their own chain: numbered per tenant
-- (key (tenant_code, seq), tenant first as for all personal data), each entry's prev_hash
-- the hash of the same tenant's previous entry, and the tenant's newest entry recorded in
-- audit_heads, rewritten with every append. The store's write lock is taken per tenant.
--
-- The entries already written are kept exactly as they are and marked legacy: they still
-- verify as the one global chain they were written as (numbers 1, 2, 3, ... across every
-- tenant, checked against audit_head, which is no longer written). Each tenant's own chain
-- continues from that tenant's last legacy entry: its first entry is numbered one more and
-- carries that entry's hash as prev_hash. A tenant with no legacy entries starts at 1 after
-- the genesis hash. Within a tenant, numbers therefore still rise with time.
--
-- No row is rewritten: the new column's default marks every existing row (no UPDATE, so
-- the append-only trigger is not involved), then the default becomes FALSE for new rows.

ALTER TABLE audit ADD COLUMN legacy BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE audit ALTER COLUMN legacy SET DEFAULT FALSE;

ALTER TABLE audit_subjects DROP CONSTRAINT audit_subjects_seq_fkey;
ALTER TABLE audit DROP CONSTRAINT audit_pkey;
ALTER TABLE audit ADD PRIMARY KEY (tenant_code, seq);
ALTER TABLE audit_subjects
    ADD FOREIGN KEY (tenant_code, seq) REFERENCES audit (tenant_code, seq);

-- Replaces 0002's index on seq alone, leading with the tenant as the key now does.
DROP INDEX audit_subjects_seq;
CREATE INDEX audit_subjects_entry ON audit_subjects (tenant_code, seq);

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
