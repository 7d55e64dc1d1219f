-- Workflow history (SQLite). Kept in step with ../postgres/0012_case_events.sql, which says
-- what this table is for.
CREATE TABLE case_events (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          BLOB NOT NULL,
    person_id   BLOB NOT NULL,
    workflow    TEXT NOT NULL,
    record_id   BLOB NOT NULL,
    action      TEXT NOT NULL,
    at          TEXT NOT NULL,
    by_user     BLOB REFERENCES users (id),
    detail      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_code, id)
);
CREATE INDEX case_events_record ON case_events (tenant_code, workflow, record_id, at);
CREATE INDEX case_events_person ON case_events (tenant_code, person_id, at);

CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;

INSERT INTO case_events (tenant_code, id, person_id, workflow, record_id, action, at, by_user, detail)
SELECT tenant_code, randomblob(16), person_id, 'alert', id, 'raised', raised_at, NULL,
       '{"to":"' || recipient_role || '"}'
FROM alerts;
INSERT INTO case_events (tenant_code, id, person_id, workflow, record_id, action, at, by_user, detail)
SELECT tenant_code, randomblob(16), person_id, 'alert', id, 'escalated', escalated_at, NULL,
       '{"to":"' || escalated_to || '"}'
FROM alerts WHERE escalated_at IS NOT NULL;
INSERT INTO case_events (tenant_code, id, person_id, workflow, record_id, action, at, by_user, detail)
SELECT tenant_code, randomblob(16), person_id, 'alert', id, status, updated_at, updated_by, '{}'
FROM alerts WHERE updated_at IS NOT NULL;
