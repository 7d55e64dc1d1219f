-- History one school reports about another (PostgreSQL). Kept in step with
-- ../sqlite/0013_reported_history.sql.

-- A school's DfE number (LA/ESTAB, as "999/4125"): how a Common Transfer File's school
-- history names it. NULL for agencies that are not schools, or whose number is not known;
-- one school a number within a local authority.
ALTER TABLE agencies ADD COLUMN school_number TEXT;
CREATE UNIQUE INDEX agencies_school_number ON agencies (tenant_code, school_number);

-- For an event a transfer file reports about another school (a stint at an earlier school in
-- its SchoolHistory, that school's attendance), the DfE number of the school it describes: the
-- event is the sender's evidence about that school, not the sender's own record. NULL for an
-- agency's own record. Timelines attribute such an event to the school it describes, and leave
-- it out when that school's own record (or an earlier report) already says the same.
ALTER TABLE events ADD COLUMN about_school TEXT;
