-- The ingest queue (PostgreSQL). Kept in step with ../sqlite/0010_ingest_jobs.sql.

-- One job per stored feed file or API submission: once its rows are stored, the linking,
-- workflow reactions and rules still to run over them. A worker claims queued jobs, runs them
-- and records the outcome; a job found `running` when a worker starts (its process stopped
-- part-way) is queued again. Ids and counts only: no names, no row content.
CREATE TABLE ingest_jobs (
    tenant_code  TEXT NOT NULL REFERENCES tenants (code),
    id           UUID NOT NULL,
    agency_id    UUID NOT NULL REFERENCES agencies (id),
    feed         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    -- What storing the rows did (harbour-import's ImportCounts).
    rows_read    BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    superseded   BIGINT NOT NULL,
    duplicate    BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued',
    -- Why the job failed (an operator's message, no personal details); '' otherwise.
    message      TEXT NOT NULL DEFAULT '',
    attempts     BIGINT NOT NULL DEFAULT 0,
    queued_at    TIMESTAMPTZ NOT NULL,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    PRIMARY KEY (tenant_code, id),
    CHECK (status IN ('queued', 'running', 'done', 'failed'))
);
CREATE INDEX ingest_jobs_waiting ON ingest_jobs (tenant_code, status, queued_at);
