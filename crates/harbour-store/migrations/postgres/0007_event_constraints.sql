-- Lighter event writes (PostgreSQL). Kept in step with ../sqlite/0007_event_constraints.sql.

-- events_latest repeated the index behind UNIQUE (tenant_code, agency_id, record_key, version):
-- every event paid for the same index twice.
DROP INDEX events_latest;

-- One foreign key per event instead of two. The composite key says more than the two did:
-- an event belongs to a record held by the same agency that sent the event. Each foreign key
-- is a lookup per inserted row, so this also halves that cost of an import.
ALTER TABLE source_records ADD CONSTRAINT source_records_agency UNIQUE (tenant_code, id, agency_id);
ALTER TABLE events
    DROP CONSTRAINT events_agency_id_fkey,
    DROP CONSTRAINT events_tenant_code_source_record_id_fkey,
    ADD CONSTRAINT events_record_of_agency FOREIGN KEY (tenant_code, source_record_id, agency_id)
        REFERENCES source_records (tenant_code, id, agency_id);
