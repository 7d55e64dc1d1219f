-- Critical-moment alerts (SQLite). Kept in step with ../postgres/0008_alerts.sql.

-- One alert per rule firing per recipient queue. `evidence_key` identifies the firing (the
-- rule and its evidence events), so running the rules again never raises it twice.
CREATE TABLE alerts (
    tenant_code      TEXT NOT NULL REFERENCES tenants (code),
    id               BLOB NOT NULL,
    person_id        BLOB NOT NULL,
    rule_id          TEXT NOT NULL,
    rule_version     INTEGER NOT NULL,
    fired_on         TEXT NOT NULL,
    due_on           TEXT NOT NULL,
    severity         TEXT NOT NULL,
    recipient_role   TEXT NOT NULL,
    -- For a school's designated safeguarding lead, which school; otherwise NULL (every
    -- holder of the role in the area).
    recipient_agency BLOB REFERENCES agencies (id),
    recipient_key    TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    evidence_key     TEXT NOT NULL,
    because          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open',
    note             TEXT NOT NULL DEFAULT '',
    updated_by       BLOB REFERENCES users (id),
    updated_at       TEXT,
    escalated_to     TEXT,
    escalated_at     TEXT,
    raised_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_code, id),
    UNIQUE (tenant_code, evidence_key, recipient_key),
    CHECK (status IN ('open', 'acknowledged', 'actioned', 'dismissed'))
);
CREATE INDEX alerts_queue ON alerts (tenant_code, recipient_role, status);
CREATE INDEX alerts_person ON alerts (tenant_code, person_id);

-- Each run of the rules: when, over how many timelines, with which rule versions. The last
-- run's start is where the next incremental run picks up.
CREATE TABLE rule_runs (
    tenant_code       TEXT NOT NULL REFERENCES tenants (code),
    id                BLOB NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL,
    scope             TEXT NOT NULL,
    rule_versions     TEXT NOT NULL,
    persons_evaluated INTEGER NOT NULL,
    alerts_raised     INTEGER NOT NULL,
    PRIMARY KEY (tenant_code, id)
);
