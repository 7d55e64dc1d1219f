-- Another name the person uses, as the police feed's `alias` column gives it (SQLite). Kept in
-- step with ../postgres/0014_record_alias.sql. Linking compares it as one of the person's names.
ALTER TABLE source_records ADD COLUMN alias TEXT;
