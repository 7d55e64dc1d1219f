-- Lighter event writes (SQLite). Kept in step with ../postgres/0007_event_constraints.sql.

-- events_latest repeated the index behind UNIQUE (tenant_code, agency_id, record_key, version):
-- every event paid for the same index twice. (PostgreSQL also merges the events' two foreign
-- keys into one; SQLite cannot alter a table's constraints without rebuilding it, and its
-- foreign-key checks are cheap, so it keeps both.)
DROP INDEX events_latest;
