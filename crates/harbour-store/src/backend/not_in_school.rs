//! SQL for the children not in school register (see `not_in_school.rs` one level up). Its
//! entries and facts are the registers' own (`registers.rs` beside this file); what is here is
//! what only this register asks: roll deletions to an unknown destination, and the events of a
//! child's timeline that decide whether home education needs the authority's consent.
//! Compiled once per backend like `queries.rs`.

use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::not_in_school::MarkRow;
use harbour_domain::{AgencyId, EventKind, TenantCode};
use uuid::Uuid;

pub(crate) async fn set_special_school(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: AgencyId,
    special: bool,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE agencies SET special_school = $1 WHERE tenant_code = $2 AND id = $3 AND kind = 'school'",
    )
    .bind(special)
    .bind(tenant.as_str())
    .bind(agency.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The events bearing on s.434A consent of one child: joining and leaving a special school's
/// roll (at the school the event describes, for a transfer file's report), and child
/// protection plans starting and ending; the latest version of each. (For every child at once,
/// the register step reads them in its one scan: `register_feed.rs`.)
pub(crate) async fn marks_of_person(
    conn: &mut Conn,
    tenant: &TenantCode,
    person: Uuid,
) -> Result<Vec<MarkRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT sr.person_id, e.kind, e.occurred_on, COALESCE(ab.id, e.agency_id) AS school_id \
         FROM events e JOIN source_records sr \
           ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         JOIN agencies ag ON ag.id = e.agency_id \
         LEFT JOIN agencies ab ON ab.tenant_code = e.tenant_code AND ab.school_number = e.about_school \
         WHERE e.tenant_code = $1 AND sr.person_id = $6 AND e.kind IN ($2, $3, $4, $5) \
           AND (e.kind IN ($2, $3) OR COALESCE(ab.special_school, ag.special_school)) \
           AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.tenant_code = e.tenant_code \
                            AND v.agency_id = e.agency_id AND v.record_key = e.record_key) \
         ORDER BY e.occurred_on",
    )
    .bind(tenant.as_str())
    .bind(EventKind::ChildProtectionPlanStart.as_str())
    .bind(EventKind::ChildProtectionPlanEnd.as_str())
    .bind(EventKind::SchoolEnrolment.as_str())
    .bind(EventKind::SchoolLeaving.as_str())
    .bind(person)
    .fetch_all(&mut *conn)
    .await?)
}
