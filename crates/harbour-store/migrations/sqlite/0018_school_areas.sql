-- The area a school is counted in (SQLite). Kept in step with ../postgres/0018_school_areas.sql,
-- which says what the column is for.
ALTER TABLE agencies ADD COLUMN area TEXT;
