-- Who owns each case record (PostgreSQL). Kept in step with ../sqlite/0017_task_owners.sql.

-- A case record (an alert, a register entry; later a transfer or a MACE referral) has an
-- owner: the colleague responsible for its tasks in the work queue. Each assignment is a row,
-- never changed: the latest for a record is its owner, the earlier ones its history.
-- `workflow` is the case_events workflow code ('alert', 'exclusions_register') and
-- `record_id` that workflow's record. `note` is the assigner's optional words (kept here,
-- never in case_events or the audit).
CREATE TABLE task_assignments (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          UUID NOT NULL,
    workflow    TEXT NOT NULL,
    record_id   UUID NOT NULL,
    assignee    UUID NOT NULL REFERENCES users (id),
    assigned_by UUID NOT NULL REFERENCES users (id),
    assigned_at TIMESTAMPTZ NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_code, id)
);
CREATE INDEX task_assignments_record
    ON task_assignments (tenant_code, workflow, record_id, assigned_at);

CREATE TRIGGER task_assignments_append_only BEFORE UPDATE OR DELETE ON task_assignments
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER task_assignments_no_truncate BEFORE TRUNCATE ON task_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_append_only();
