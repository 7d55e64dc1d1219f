-- The agency's event key of a quarantined row, so the entry closes by itself when a corrected
-- row for the same event is accepted later.
ALTER TABLE quarantine ADD COLUMN event_key TEXT NOT NULL DEFAULT '';
CREATE INDEX quarantine_event ON quarantine (tenant_code, agency_id, event_key);
