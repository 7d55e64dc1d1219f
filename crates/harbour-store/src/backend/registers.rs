//! SQL for the council's registers (`register_entries`, `register_facts`; see `registers.rs`
//! one level up). Compiled once per backend like `queries.rs`.

use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::registers::{Candidate, EntryRow, FactRow, FeedEventRow, NameRow};
use harbour_domain::{EventKind, TenantCode};
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The child of an entry: the person of its source event's record when it has one (so a
/// merge or split carries the entry with the record), else the person it was opened for.
const ENTRY_COLUMNS: &str = "r.id, r.agency_id, a.name AS agency_name, r.first_day, r.source_key, r.opened_at, \
     COALESCE((SELECT sr.person_id FROM events e JOIN source_records sr \
                 ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
               WHERE e.tenant_code = r.tenant_code AND e.agency_id = r.agency_id \
                 AND e.record_key = r.source_key ORDER BY e.version DESC LIMIT 1), r.person_id) AS person_id";

pub(crate) async fn unregistered_events(
    tx: &mut Tx,
    tenant: &TenantCode,
    register: &str,
    kind: &str,
) -> Result<Vec<Candidate>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT e.agency_id, e.record_key, sr.person_id, e.occurred_on \
         FROM events e JOIN source_records sr \
           ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         WHERE e.tenant_code = $1 AND e.kind = $2 \
           AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.tenant_code = e.tenant_code \
                            AND v.agency_id = e.agency_id AND v.record_key = e.record_key) \
           AND NOT EXISTS (SELECT 1 FROM register_entries r WHERE r.tenant_code = e.tenant_code \
                           AND r.register = $3 AND r.agency_id = e.agency_id AND r.source_key = e.record_key) \
         ORDER BY e.occurred_on, e.record_key",
    )
    .bind(tenant.as_str())
    .bind(kind)
    .bind(register)
    .fetch_all(&mut **tx)
    .await?)
}

/// A new entry.
#[derive(Debug)]
pub(crate) struct NewEntry<'a> {
    pub id: Uuid,
    pub register: &'a str,
    pub person: Uuid,
    pub agency: Option<Uuid>,
    pub first_day: Date,
    pub source_key: Option<&'a str>,
    pub opened_by: Option<Uuid>,
}

pub(crate) async fn insert_entry(
    tx: &mut Tx,
    tenant: &TenantCode,
    entry: &NewEntry<'_>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO register_entries (tenant_code, id, register, person_id, agency_id, first_day, \
         source_key, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant.as_str())
    .bind(entry.id)
    .bind(entry.register)
    .bind(entry.person)
    .bind(entry.agency)
    .bind(entry.first_day)
    .bind(entry.source_key)
    .bind(now)
    .bind(entry.opened_by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every entry of `register`, or only those naming `agency`.
pub(crate) async fn entries(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
    agency: Option<Uuid>,
) -> Result<Vec<EntryRow>, StoreError> {
    let query = match agency {
        None => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM register_entries r LEFT JOIN agencies a ON a.id = r.agency_id \
             WHERE r.tenant_code = $1 AND r.register = $2 ORDER BY r.first_day, r.id"
        ))),
        Some(_) => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM register_entries r LEFT JOIN agencies a ON a.id = r.agency_id \
             WHERE r.tenant_code = $1 AND r.register = $2 AND r.agency_id = $3 ORDER BY r.first_day, r.id"
        ))),
    };
    let query = query.bind(tenant.as_str()).bind(register);
    let query = match agency {
        Some(agency) => query.bind(agency),
        None => query,
    };
    Ok(query.fetch_all(&mut *conn).await?)
}

pub(crate) async fn entry(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
    id: Uuid,
) -> Result<Option<EntryRow>, StoreError> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM register_entries r LEFT JOIN agencies a ON a.id = r.agency_id \
         WHERE r.tenant_code = $1 AND r.register = $2 AND r.id = $3"
    )))
    .bind(tenant.as_str())
    .bind(register)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The facts of every entry of `register`, or of those naming `agency` (oldest first within
/// each entry).
pub(crate) async fn facts(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
    agency: Option<Uuid>,
) -> Result<Vec<FactRow>, StoreError> {
    let query = match agency {
        None => sqlx::query_as(
            "SELECT f.entry_id, f.fact, f.recorded_at, u.display_name AS recorded_by_name \
             FROM register_facts f JOIN register_entries r ON r.tenant_code = f.tenant_code AND r.id = f.entry_id \
             LEFT JOIN users u ON u.id = f.recorded_by \
             WHERE f.tenant_code = $1 AND r.register = $2 ORDER BY f.entry_id, f.recorded_at, f.id",
        ),
        Some(_) => sqlx::query_as(
            "SELECT f.entry_id, f.fact, f.recorded_at, u.display_name AS recorded_by_name \
             FROM register_facts f JOIN register_entries r ON r.tenant_code = f.tenant_code AND r.id = f.entry_id \
             LEFT JOIN users u ON u.id = f.recorded_by \
             WHERE f.tenant_code = $1 AND r.register = $2 AND r.agency_id = $3 \
             ORDER BY f.entry_id, f.recorded_at, f.id",
        ),
    };
    let query = query.bind(tenant.as_str()).bind(register);
    let query = match agency {
        Some(agency) => query.bind(agency),
        None => query,
    };
    Ok(query.fetch_all(&mut *conn).await?)
}

pub(crate) async fn facts_of(
    conn: &mut Conn,
    tenant: &TenantCode,
    entry: Uuid,
) -> Result<Vec<FactRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT f.entry_id, f.fact, f.recorded_at, u.display_name AS recorded_by_name \
         FROM register_facts f LEFT JOIN users u ON u.id = f.recorded_by \
         WHERE f.tenant_code = $1 AND f.entry_id = $2 ORDER BY f.recorded_at, f.id",
    )
    .bind(tenant.as_str())
    .bind(entry)
    .fetch_all(&mut *conn)
    .await?)
}

pub(crate) async fn insert_fact(
    tx: &mut Tx,
    tenant: &TenantCode,
    entry: Uuid,
    fact: &str,
    by: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO register_facts (tenant_code, id, entry_id, fact, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.as_str())
    .bind(Uuid::now_v7())
    .bind(entry)
    .bind(fact)
    .bind(now)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The names of the children of every entry of `register` (or of those naming `agency`),
/// each child's most recent record first.
pub(crate) async fn names(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
    agency: Option<Uuid>,
) -> Result<Vec<NameRow>, StoreError> {
    let query = match agency {
        None => sqlx::query_as(
            "SELECT sr.person_id, sr.given_name, sr.family_name, sr.date_of_birth FROM source_records sr \
             WHERE sr.tenant_code = $1 AND sr.person_id IN ( \
               SELECT COALESCE((SELECT s2.person_id FROM events e JOIN source_records s2 \
                                  ON s2.tenant_code = e.tenant_code AND s2.id = e.source_record_id \
                                WHERE e.tenant_code = r.tenant_code AND e.agency_id = r.agency_id \
                                  AND e.record_key = r.source_key ORDER BY e.version DESC LIMIT 1), r.person_id) \
               FROM register_entries r WHERE r.tenant_code = $1 AND r.register = $2) \
             ORDER BY sr.person_id, sr.recorded_at DESC",
        ),
        Some(_) => sqlx::query_as(
            "SELECT sr.person_id, sr.given_name, sr.family_name, sr.date_of_birth FROM source_records sr \
             WHERE sr.tenant_code = $1 AND sr.person_id IN ( \
               SELECT COALESCE((SELECT s2.person_id FROM events e JOIN source_records s2 \
                                  ON s2.tenant_code = e.tenant_code AND s2.id = e.source_record_id \
                                WHERE e.tenant_code = r.tenant_code AND e.agency_id = r.agency_id \
                                  AND e.record_key = r.source_key ORDER BY e.version DESC LIMIT 1), r.person_id) \
               FROM register_entries r WHERE r.tenant_code = $1 AND r.register = $2 AND r.agency_id = $3) \
             ORDER BY sr.person_id, sr.recorded_at DESC",
        ),
    };
    let query = query.bind(tenant.as_str()).bind(register);
    let query = match agency {
        Some(agency) => query.bind(agency),
        None => query,
    };
    Ok(query.fetch_all(&mut *conn).await?)
}

/// One child's name, from their most recent record.
pub(crate) async fn name_of(
    conn: &mut Conn,
    tenant: &TenantCode,
    person: Uuid,
) -> Result<Option<NameRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT sr.person_id, sr.given_name, sr.family_name, sr.date_of_birth FROM source_records sr \
         WHERE sr.tenant_code = $1 AND sr.person_id = $2 ORDER BY sr.recorded_at DESC LIMIT 1",
    )
    .bind(tenant.as_str())
    .bind(person)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Every event of `kind` (the latest version of each), with the child it is now linked to and
/// its details: the reports the registers act on (an authority's `ap_placement`, `ehe_end`,
/// `cme_end`).
pub(crate) async fn events_of_kind(
    tx: &mut Tx,
    tenant: &TenantCode,
    kind: EventKind,
) -> Result<Vec<FeedEventRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT sr.person_id, e.agency_id, e.record_key, e.occurred_on, e.details, e.summary \
         FROM events e JOIN source_records sr \
           ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         WHERE e.tenant_code = $1 AND e.kind = $2 \
           AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.tenant_code = e.tenant_code \
                            AND v.agency_id = e.agency_id AND v.record_key = e.record_key) \
         ORDER BY sr.person_id, e.occurred_on, e.record_key",
    )
    .bind(tenant.as_str())
    .bind(kind.as_str())
    .fetch_all(&mut **tx)
    .await?)
}
