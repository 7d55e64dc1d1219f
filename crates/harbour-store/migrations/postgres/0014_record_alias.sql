-- Another name the person uses, as the police feed's `alias` column gives it (PostgreSQL).
-- Kept in step with ../sqlite/0014_record_alias.sql. Linking compares it as one of the
-- person's names (harbour_link::Record::aliases); it is identity, read only through the gate.
ALTER TABLE source_records ADD COLUMN alias TEXT;
