//! SQL for the children not in school register (see `not_in_school.rs` one level up). Its
//! entries and facts are the registers' own (`registers.rs` beside this file); what is here is
//! what only this register asks: roll deletions to an unknown destination, and the events of a
//! child's timeline that decide whether home education needs the authority's consent.
//! Compiled once per backend like `queries.rs`.

use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::not_in_school::{LeavingCandidate, MarkRow};
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

/// Schools' own roll deletions (the latest version of each, not a transfer file's report of
/// an earlier school) whose details may name an unknown destination and that no entry of
/// `register` came from. `details_like` only narrows the scan: the caller reads the details.
pub(crate) async fn leaving_candidates(
    tx: &mut Tx,
    tenant: &TenantCode,
    register: &str,
    details_like: &str,
) -> Result<Vec<LeavingCandidate>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT e.agency_id, e.record_key, sr.person_id, e.occurred_on, e.details \
         FROM events e JOIN source_records sr \
           ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         WHERE e.tenant_code = $1 AND e.kind = $2 AND e.about_school IS NULL AND e.details LIKE $3 \
           AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.tenant_code = e.tenant_code \
                            AND v.agency_id = e.agency_id AND v.record_key = e.record_key) \
           AND NOT EXISTS (SELECT 1 FROM register_entries r WHERE r.tenant_code = e.tenant_code \
                           AND r.register = $4 AND r.agency_id = e.agency_id AND r.source_key = e.record_key) \
         ORDER BY e.occurred_on, e.record_key",
    )
    .bind(tenant.as_str())
    .bind(EventKind::SchoolLeaving.as_str())
    .bind(details_like)
    .bind(register)
    .fetch_all(&mut **tx)
    .await?)
}

/// The events bearing on s.434A consent of every child on `register`: joining and leaving a
/// special school's roll (at the school the event describes, for a transfer file's report),
/// and child protection plans starting and ending; the latest version of each.
///
/// The four kinds are named in a condition of the event alone, before the one that needs the
/// agencies: SQLite evaluates a condition as soon as the tables it names are joined, so with
/// only the combined condition it joined both agencies (scanning them for `about_school`) to
/// every event of every child on the register, attendance and all. At county scale (4,521
/// children home educated, 4.4 M events) that was 4.9 s of each read of the register and of
/// every "My work" page; 0.4 s with the kinds first (`benches/registers.rs` in harbour-web).
pub(crate) async fn marks_of_register(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
) -> Result<Vec<MarkRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT sr.person_id, e.kind, e.occurred_on, COALESCE(ab.id, e.agency_id) AS school_id \
         FROM events e JOIN source_records sr \
           ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         JOIN agencies ag ON ag.id = e.agency_id \
         LEFT JOIN agencies ab ON ab.tenant_code = e.tenant_code AND ab.school_number = e.about_school \
         WHERE e.tenant_code = $1 AND e.kind IN ($2, $3, $4, $5) \
           AND (e.kind IN ($2, $3) OR COALESCE(ab.special_school, ag.special_school)) \
           AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.tenant_code = e.tenant_code \
                            AND v.agency_id = e.agency_id AND v.record_key = e.record_key) \
           AND sr.person_id IN ( \
             SELECT COALESCE((SELECT s2.person_id FROM events x JOIN source_records s2 \
                                ON s2.tenant_code = x.tenant_code AND s2.id = x.source_record_id \
                              WHERE x.tenant_code = r.tenant_code AND x.agency_id = r.agency_id \
                                AND x.record_key = r.source_key ORDER BY x.version DESC LIMIT 1), r.person_id) \
             FROM register_entries r WHERE r.tenant_code = $1 AND r.register = $6) \
         ORDER BY sr.person_id, e.occurred_on",
    )
    .bind(tenant.as_str())
    .bind(EventKind::ChildProtectionPlanStart.as_str())
    .bind(EventKind::ChildProtectionPlanEnd.as_str())
    .bind(EventKind::SchoolEnrolment.as_str())
    .bind(EventKind::SchoolLeaving.as_str())
    .bind(register)
    .fetch_all(&mut *conn)
    .await?)
}

/// The same events for one child.
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
