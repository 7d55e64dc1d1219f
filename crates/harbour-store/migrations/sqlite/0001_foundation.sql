-- Harbour foundation schema (SQLite). Kept in step with ../postgres/0001_foundation.sql:
-- same tables, same columns, same version number.
--
-- Personal data carries the tenant (local-authority code) first in every key and index, so a
-- region can later partition or distribute by local authority without re-keying.

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
    id          BLOB PRIMARY KEY,
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    UNIQUE (tenant_code, code)
);

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    tenant_code   TEXT NOT NULL REFERENCES tenants (code),
    agency_id     BLOB NOT NULL REFERENCES agencies (id),
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    is_demo       BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at   TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id     BLOB NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL REFERENCES roles (code),
    PRIMARY KEY (user_id, role)
);

-- Only a hash of the session token is kept, so a copy of the database signs nobody in.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE persons (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_code, id)
);

-- One agency's own record of a person, with the identity that agency holds.
CREATE TABLE source_records (
    tenant_code   TEXT NOT NULL,
    id            BLOB NOT NULL,
    agency_id     BLOB NOT NULL REFERENCES agencies (id),
    record_key    TEXT NOT NULL,
    person_id     BLOB NOT NULL,
    given_name    TEXT NOT NULL,
    family_name   TEXT NOT NULL,
    date_of_birth TEXT,
    sex           TEXT,
    upn           TEXT,
    nhs_number    TEXT,
    postcode      TEXT,
    recorded_at   TEXT NOT NULL,
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
    id                BLOB NOT NULL,
    source_record_id  BLOB NOT NULL,
    agency_id         BLOB NOT NULL REFERENCES agencies (id),
    record_key        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    kind              TEXT NOT NULL,
    occurred_on       TEXT NOT NULL,
    recorded_at       TEXT NOT NULL,
    handling          TEXT NOT NULL,
    summary           TEXT NOT NULL,
    details           TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_code, id),
    UNIQUE (tenant_code, agency_id, record_key, version),
    FOREIGN KEY (tenant_code, source_record_id) REFERENCES source_records (tenant_code, id)
);
CREATE INDEX events_source_record ON events (tenant_code, source_record_id, occurred_on);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- The audit: who did what to which record, why, and whether it was allowed. Each entry
-- carries the hash of the one before, so an edit, deletion or insertion breaks the chain.
-- No personal details are written here: ids, actions and reasons only.
CREATE TABLE audit (
    seq           INTEGER PRIMARY KEY,
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
    hash          TEXT NOT NULL
);
CREATE INDEX audit_person ON audit (tenant_code, person_id, seq);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
