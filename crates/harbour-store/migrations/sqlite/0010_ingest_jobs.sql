-- The ingest queue (SQLite). Kept in step with ../postgres/0010_ingest_jobs.sql.

-- One job per stored feed file or API submission: once its rows are stored, the linking,
-- workflow reactions and rules still to run over them. A worker claims queued jobs, runs them
-- and records the outcome; a job found `running` when a worker starts (its process stopped
-- part-way) is queued again. Ids and counts only: no names, no row content.
CREATE TABLE ingest_jobs (
    tenant_code  TEXT NOT NULL REFERENCES tenants (code),
    id           BLOB NOT NULL,
    agency_id    BLOB NOT NULL REFERENCES agencies (id),
    feed         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    -- What storing the rows did (harbour-import's ImportCounts).
    rows_read    INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    superseded   INTEGER NOT NULL,
    duplicate    INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued',
    -- Why the job failed (an operator's message, no personal details); '' otherwise.
    message      TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    queued_at    TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    PRIMARY KEY (tenant_code, id),
    CHECK (status IN ('queued', 'running', 'done', 'failed'))
);
CREATE INDEX ingest_jobs_waiting ON ingest_jobs (tenant_code, status, queued_at);
