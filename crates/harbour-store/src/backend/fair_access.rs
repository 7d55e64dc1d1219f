//! SQL for the fair-access view (see `fair_access.rs` one level up): the authority's schools
//! with their current rolls. The decisions themselves are the education feed's events, read
//! with the registers' `events_of_kind`. Compiled once per backend like `queries.rs`.

use super::queries::Tx;
use crate::StoreError;
use crate::fair_access::SchoolRow;
use harbour_domain::{EventKind, TenantCode};

/// Every school of the authority with its pupils on roll now: the pupils whose latest join at
/// the school (its own record, not another school's report) has no leaving on or after it.
pub(crate) async fn schools(
    tx: &mut Tx,
    tenant: &TenantCode,
) -> Result<Vec<SchoolRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.code, a.name, a.school_number, a.area, \
           (SELECT COUNT(*) FROM source_records sr \
            WHERE sr.tenant_code = a.tenant_code AND sr.agency_id = a.id \
              AND EXISTS (SELECT 1 FROM events j WHERE j.tenant_code = sr.tenant_code \
                          AND j.source_record_id = sr.id AND j.kind = $2 AND j.about_school IS NULL) \
              AND NOT EXISTS (SELECT 1 FROM events l WHERE l.tenant_code = sr.tenant_code \
                          AND l.source_record_id = sr.id AND l.kind = $3 AND l.about_school IS NULL \
                          AND l.occurred_on >= (SELECT MAX(j2.occurred_on) FROM events j2 \
                              WHERE j2.tenant_code = sr.tenant_code AND j2.source_record_id = sr.id \
                                AND j2.kind = $2 AND j2.about_school IS NULL))) AS pupils_on_roll \
         FROM agencies a WHERE a.tenant_code = $1 AND a.kind = 'school' ORDER BY a.name, a.code",
    )
    .bind(tenant.as_str())
    .bind(EventKind::SchoolEnrolment.as_str())
    .bind(EventKind::SchoolLeaving.as_str())
    .fetch_all(&mut **tx)
    .await?)
}

/// Sets (or clears) the area a school is counted in.
pub(crate) async fn set_area(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: harbour_domain::AgencyId,
    area: Option<&str>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE agencies SET area = $1 WHERE tenant_code = $2 AND id = $3 AND kind = 'school'",
    )
    .bind(area)
    .bind(tenant.as_str())
    .bind(agency.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
