-- The area a school is counted in (PostgreSQL). Kept in step with ../sqlite/0018_school_areas.sql.

-- The part of the county a school is in (a district, or the council's own planning area), as
-- an administrator names it: the fair-access figures give each area's placements per 1,000
-- pupils beside each school's and the county's (recommendation 5 of the Child AA review asks
-- for consistency across the county). NULL until set; such a school is counted in an area of
-- its own ("Area not recorded").
ALTER TABLE agencies ADD COLUMN area TEXT;
