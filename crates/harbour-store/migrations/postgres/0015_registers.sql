-- The council's registers (PostgreSQL). Kept in step with ../sqlite/0015_registers.sql.

-- One entry per case on a register (today: one permanent exclusion of one child). An entry
-- opened from a feed names the agency and the agency's own key of the event it came from
-- (`source_key`: a corrected event is a new version under the same key, not a new entry),
-- once per register; one added by hand names the officer and has no key. The child is the
-- person of that event's record when there is one (so a later merge or split carries the
-- entry with the record), else `person_id`.
CREATE TABLE register_entries (
    tenant_code     TEXT NOT NULL REFERENCES tenants (code),
    id              UUID NOT NULL,
    register        TEXT NOT NULL,
    person_id       UUID NOT NULL,
    agency_id       UUID REFERENCES agencies (id),
    first_day       DATE NOT NULL,
    source_key      TEXT,
    opened_at       TIMESTAMPTZ NOT NULL,
    opened_by       UUID REFERENCES users (id),
    PRIMARY KEY (tenant_code, id)
);
CREATE UNIQUE INDEX register_entries_source
    ON register_entries (tenant_code, register, agency_id, source_key);
CREATE INDEX register_entries_list ON register_entries (tenant_code, register, agency_id);

-- What was recorded on an entry, in order: offers, reviews, meetings, closures. Append-only:
-- a correction is a later fact, and the register works out what the facts mean
-- (harbour-casework). `fact` is the fact as JSON, free text included (notes stay here, never
-- in case_events or the audit).
CREATE TABLE register_facts (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          UUID NOT NULL,
    entry_id    UUID NOT NULL,
    fact        TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by UUID REFERENCES users (id),
    PRIMARY KEY (tenant_code, id),
    FOREIGN KEY (tenant_code, entry_id) REFERENCES register_entries (tenant_code, id)
);
CREATE INDEX register_facts_entry ON register_facts (tenant_code, entry_id, recorded_at);

CREATE TRIGGER register_facts_append_only BEFORE UPDATE OR DELETE ON register_facts
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER register_facts_no_truncate BEFORE TRUNCATE ON register_facts
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER register_entries_append_only BEFORE UPDATE OR DELETE ON register_entries
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
