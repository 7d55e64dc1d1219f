-- Whether each register entry is open (PostgreSQL). Kept in step with
-- ../sqlite/0019_open_entries.sql.

-- An entry's facts are its record and decide its state (harbour-casework); `is_open` is kept
-- beside them so that the work queue reads only the open entries, not every entry a register
-- has ever held. It is set as each closing or reopening fact is written, in the same
-- transaction (harbour_casework::Lifecycle, backend/registers.rs), and is the only column of
-- an entry that may change: the rest stay append-only.
ALTER TABLE register_entries ADD COLUMN is_open BOOLEAN NOT NULL DEFAULT TRUE;

-- The entries already held, from the same facts: the latest closing or reopening fact decides.
-- Facts are stored as JSON objects whose first member is their kind (`{"fact":"closed",…`).
DROP TRIGGER register_entries_append_only ON register_entries;
UPDATE register_entries r SET is_open = FALSE
WHERE (SELECT f.fact FROM register_facts f
       WHERE f.tenant_code = r.tenant_code AND f.entry_id = r.id
         AND (f.fact LIKE '{"fact":"closed"%' OR f.fact LIKE '{"fact":"ended"%'
              OR f.fact LIKE '{"fact":"reopened"%')
       ORDER BY f.recorded_at DESC, f.id DESC LIMIT 1) NOT LIKE '{"fact":"reopened"%';
CREATE TRIGGER register_entries_append_only
    BEFORE UPDATE OF tenant_code, id, register, person_id, agency_id, first_day, source_key,
                     opened_at, opened_by
        OR DELETE ON register_entries
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
