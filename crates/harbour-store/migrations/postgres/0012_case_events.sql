-- Workflow history (PostgreSQL). Kept in step with ../sqlite/0012_case_events.sql.

-- Every change of state in a workflow (an alert raised, acknowledged, escalated, actioned,
-- dismissed; the registers, transfers and panels that follow add their own actions) is one
-- fact here: which child, which workflow and record, what happened, when and by whom.
-- Append-only, like the events: a workflow's current state is kept on its own table for
-- queues and lists, and this is its history, for the record's page, the replay of what was
-- done, and the chronology a practice review asks for. No free text: notes stay on the
-- workflow's own table; `detail` holds codes and ids.
CREATE TABLE case_events (
    tenant_code TEXT NOT NULL REFERENCES tenants (code),
    id          UUID NOT NULL,
    person_id   UUID NOT NULL,
    workflow    TEXT NOT NULL,
    record_id   UUID NOT NULL,
    action      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    by_user     UUID REFERENCES users (id),
    detail      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_code, id)
);
CREATE INDEX case_events_record ON case_events (tenant_code, workflow, record_id, at);
CREATE INDEX case_events_person ON case_events (tenant_code, person_id, at);

CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_append_only();

-- Alerts raised before this history was kept: what their rows still say (when raised, when
-- escalated, and the last change of status), so no alert's page starts from nothing.
INSERT INTO case_events (tenant_code, id, person_id, workflow, record_id, action, at, by_user, detail)
SELECT tenant_code, gen_random_uuid(), person_id, 'alert', id, 'raised', raised_at, NULL,
       '{"to":"' || recipient_role || '"}'
FROM alerts;
INSERT INTO case_events (tenant_code, id, person_id, workflow, record_id, action, at, by_user, detail)
SELECT tenant_code, gen_random_uuid(), person_id, 'alert', id, 'escalated', escalated_at, NULL,
       '{"to":"' || escalated_to || '"}'
FROM alerts WHERE escalated_at IS NOT NULL;
INSERT INTO case_events (tenant_code, id, person_id, workflow, record_id, action, at, by_user, detail)
SELECT tenant_code, gen_random_uuid(), person_id, 'alert', id, status, updated_at, updated_by, '{}'
FROM alerts WHERE updated_at IS NOT NULL;
