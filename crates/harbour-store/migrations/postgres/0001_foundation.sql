-- Harbour foundation schema (PostgreSQL). Kept in step with ../sqlite/0001_foundation.sql:
-- same tables, same columns, same version number, native types.
--
-- Personal data carries the tenant (local-authority code) first in every key and index, so a
-- region can later partition or distribute by local authority (e.g. with Citus) without
-- re-keying. No global sequences on personal data: ids are UUIDv7 made by the application.

CREATE TABLE tenants (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL
);

CREATE TABLE roles (
    code        TEXT PRIMARY KEY,
    label       TEXT NOT NULL
);

INSERT INTO roles (code, label) VALUES
    ('school_dsl', 'School designated safeguarding lead'),
    ('la_inclusion_officer', 'LA inclusion officer'),
    ('la_cme_ehe_officer', 'LA children missing education and EHE officer'),
    ('social_worker', 'Social worker'),
    ('police_mace_coordinator', 'Police MACE coordinator'),
    ('police_intelligence_officer', 'Police intelligence officer'),
    ('youth_justice_worker', 'Youth justice worker'),
    ('health_safeguarding_nurse', 'Health safeguarding nurse'),
    ('mace_chair', 'MACE chair'),
    ('partnership_analyst', 'Partnership analyst'),
    ('data_protection_officer', 'Data-protection officer'),
    ('system_administrator', 'System administrator');

CREATE TABLE agencies (
    id          UUID PRIMARY KEY,
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    UNIQUE (tenant_code, code)
);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    tenant_code   TEXT NOT NULL REFERENCES tenants (code),
    agency_id     UUID NOT NULL REFERENCES agencies (id),
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    is_demo       BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_roles (
    user_id     UUID NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL REFERENCES roles (code),
    PRIMARY KEY (user_id, role)
);

-- Only a hash of the session token is kept, so a copy of the database signs nobody in.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE persons (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          UUID NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_code, id)
);

-- One agency's own record of a person, with the identity that agency holds.
CREATE TABLE source_records (
    tenant_code   TEXT NOT NULL,
    id            UUID NOT NULL,
    agency_id     UUID NOT NULL REFERENCES agencies (id),
    record_key    TEXT NOT NULL,
    person_id     UUID NOT NULL,
    given_name    TEXT NOT NULL,
    family_name   TEXT NOT NULL,
    date_of_birth DATE,
    sex           TEXT,
    upn           TEXT,
    nhs_number    TEXT,
    postcode      TEXT,
    recorded_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_code, id),
    UNIQUE (tenant_code, agency_id, record_key),
    FOREIGN KEY (tenant_code, person_id) REFERENCES persons (tenant_code, id)
);
CREATE INDEX source_records_person ON source_records (tenant_code, person_id);
CREATE INDEX source_records_upn ON source_records (tenant_code, upn);
CREATE INDEX source_records_nhs ON source_records (tenant_code, nhs_number);

-- Events are append-only: a correction is a new version, never an edit.
CREATE TABLE events (
    tenant_code       TEXT NOT NULL,
    id                UUID NOT NULL,
    source_record_id  UUID NOT NULL,
    agency_id         UUID NOT NULL REFERENCES agencies (id),
    record_key        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    kind              TEXT NOT NULL,
    occurred_on       DATE NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL,
    handling          TEXT NOT NULL,
    summary           TEXT NOT NULL,
    details           TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_code, id),
    UNIQUE (tenant_code, agency_id, record_key, version),
    FOREIGN KEY (tenant_code, source_record_id) REFERENCES source_records (tenant_code, id)
);
CREATE INDEX events_source_record ON events (tenant_code, source_record_id, occurred_on);

-- The audit: who did what to which record, why, and whether it was allowed. Each entry
-- carries the hash of the one before, so an edit, deletion or insertion breaks the chain.
-- No personal details are written here: ids, actions and reasons only.
CREATE TABLE audit (
    seq           BIGINT PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    tenant_code   TEXT NOT NULL,
    user_id       UUID,
    agency_id     UUID,
    action        TEXT NOT NULL,
    person_id     UUID,
    purpose       TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_person ON audit (tenant_code, person_id, seq);

CREATE FUNCTION harbour_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_append_only();
