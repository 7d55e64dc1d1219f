-- Whether each register entry is open (SQLite). Kept in step with
-- ../postgres/0019_open_entries.sql, which says what the column is for.
ALTER TABLE register_entries ADD COLUMN is_open BOOLEAN NOT NULL DEFAULT TRUE;

DROP TRIGGER register_entries_no_update;
UPDATE register_entries SET is_open = FALSE
WHERE (SELECT f.fact FROM register_facts f
       WHERE f.tenant_code = register_entries.tenant_code AND f.entry_id = register_entries.id
         AND (f.fact LIKE '{"fact":"closed"%' OR f.fact LIKE '{"fact":"ended"%'
              OR f.fact LIKE '{"fact":"reopened"%')
       ORDER BY f.recorded_at DESC, f.id DESC LIMIT 1) NOT LIKE '{"fact":"reopened"%';
CREATE TRIGGER register_entries_no_update
    BEFORE UPDATE OF tenant_code, id, register, person_id, agency_id, first_day, source_key,
                     opened_at, opened_by ON register_entries
BEGIN SELECT RAISE(ABORT, 'register entries are append-only'); END;
