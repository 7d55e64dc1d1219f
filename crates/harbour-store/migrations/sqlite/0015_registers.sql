-- The council's registers (SQLite). Kept in step with ../postgres/0015_registers.sql, which
-- says what these tables are for.
CREATE TABLE register_entries (
    tenant_code     TEXT NOT NULL REFERENCES tenants (code),
    id              BLOB NOT NULL,
    register        TEXT NOT NULL,
    person_id       BLOB NOT NULL,
    agency_id       BLOB REFERENCES agencies (id),
    first_day       TEXT NOT NULL,
    source_key      TEXT,
    opened_at       TEXT NOT NULL,
    opened_by       BLOB REFERENCES users (id),
    PRIMARY KEY (tenant_code, id)
);
CREATE UNIQUE INDEX register_entries_source
    ON register_entries (tenant_code, register, agency_id, source_key);
CREATE INDEX register_entries_list ON register_entries (tenant_code, register, agency_id);

CREATE TABLE register_facts (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          BLOB NOT NULL,
    entry_id    BLOB NOT NULL,
    fact        TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by BLOB REFERENCES users (id),
    PRIMARY KEY (tenant_code, id),
    FOREIGN KEY (tenant_code, entry_id) REFERENCES register_entries (tenant_code, id)
);
CREATE INDEX register_facts_entry ON register_facts (tenant_code, entry_id, recorded_at);

CREATE TRIGGER register_facts_no_update BEFORE UPDATE ON register_facts
BEGIN SELECT RAISE(ABORT, 'register facts are append-only'); END;
CREATE TRIGGER register_facts_no_delete BEFORE DELETE ON register_facts
BEGIN SELECT RAISE(ABORT, 'register facts are append-only'); END;
CREATE TRIGGER register_entries_no_update BEFORE UPDATE ON register_entries
BEGIN SELECT RAISE(ABORT, 'register entries are append-only'); END;
CREATE TRIGGER register_entries_no_delete BEFORE DELETE ON register_entries
BEGIN SELECT RAISE(ABORT, 'register entries are append-only'); END;
