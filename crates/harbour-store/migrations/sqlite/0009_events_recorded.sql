-- Finding what changed since the last rules run (SQLite). Kept in step with
-- ../postgres/0009_events_recorded.sql.

-- An incremental rules run looks for events recorded since the last run began; without this
-- index that is a scan of every event (3.5 s at county scale for 500 changed children).
-- Events arrive in recorded order, so the index grows at its right edge.
CREATE INDEX events_recorded ON events (tenant_code, recorded_at);
