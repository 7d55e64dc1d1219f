-- Who owns each case record (SQLite). Kept in step with ../postgres/0017_task_owners.sql,
-- which says what this table is for.
CREATE TABLE task_assignments (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          BLOB NOT NULL,
    workflow    TEXT NOT NULL,
    record_id   BLOB NOT NULL,
    assignee    BLOB NOT NULL REFERENCES users (id),
    assigned_by BLOB NOT NULL REFERENCES users (id),
    assigned_at TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_code, id)
);
CREATE INDEX task_assignments_record
    ON task_assignments (tenant_code, workflow, record_id, assigned_at);

CREATE TRIGGER task_assignments_no_update BEFORE UPDATE ON task_assignments
BEGIN SELECT RAISE(ABORT, 'task assignments are append-only'); END;
CREATE TRIGGER task_assignments_no_delete BEFORE DELETE ON task_assignments
BEGIN SELECT RAISE(ABORT, 'task assignments are append-only'); END;
