-- Special schools (PostgreSQL). Kept in step with ../sqlite/0016_special_schools.sql.

-- Whether a school is a special school (or a specially organised independent special school):
-- a registered pupil of one may be withdrawn to home education only with the local
-- authority's consent (Education Act 1996 s.434A, Condition A, inserted by the Children's
-- Wellbeing and Schools Act 2026 s.37). The children not in school register reads it, with the
-- child's roll events, to know when a home-education registration needs that decision. FALSE
-- for every other agency, and for a school until an administrator says otherwise.
ALTER TABLE agencies ADD COLUMN special_school BOOLEAN NOT NULL DEFAULT FALSE;
