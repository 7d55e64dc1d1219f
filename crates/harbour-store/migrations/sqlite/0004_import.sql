-- Feed import (SQLite). Kept in step with ../postgres/0004_import.sql.

-- A hash of what the agency said about an event, so re-sending the same row changes nothing
-- and a corrected row becomes a new version (the old one is kept, never edited).
ALTER TABLE events ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX events_latest ON events (tenant_code, agency_id, record_key, version);

-- Rows an agency sent that could not be accepted, with the reason, for that agency to
-- correct and resend. Nothing is silently dropped.
CREATE TABLE quarantine (
    tenant_code   TEXT NOT NULL,
    id            BLOB NOT NULL,
    agency_id     BLOB NOT NULL REFERENCES agencies (id),
    feed          TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    line          INTEGER NOT NULL,
    record_key    TEXT NOT NULL,
    field         TEXT NOT NULL,
    value         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    raw           TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    resolved_at   TEXT,
    PRIMARY KEY (tenant_code, id)
);
CREATE INDEX quarantine_open ON quarantine (tenant_code, agency_id, resolved_at);
