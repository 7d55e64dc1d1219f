-- Special schools (SQLite). Kept in step with ../postgres/0016_special_schools.sql, which says
-- what the column is for.
ALTER TABLE agencies ADD COLUMN special_school BOOLEAN NOT NULL DEFAULT FALSE;
