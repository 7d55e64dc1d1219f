//! SQL for the council's registers (`register_entries`, `register_facts`; see `registers.rs`
//! one level up). Compiled once per backend like `queries.rs`.

use super::Db;
use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::register_feed::RegisterFeedRow;
use crate::registers::{EntryRow, FactRow, FeedEventRow, NameRow, Which};
use harbour_casework::Lifecycle;
use harbour_domain::{EventKind, TenantCode};
use sqlx::{AssertSqlSafe, QueryBuilder};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The child of an entry: the person of its source event's record when it has one (so a
/// merge or split carries the entry with the record), else the person it was opened for.
const ENTRY_COLUMNS: &str = "r.id, r.agency_id, a.name AS agency_name, r.first_day, r.source_key, r.opened_at, \
     COALESCE((SELECT sr.person_id FROM events e JOIN source_records sr \
                 ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
               WHERE e.tenant_code = r.tenant_code AND e.agency_id = r.agency_id \
                 AND e.record_key = r.source_key ORDER BY e.version DESC LIMIT 1), r.person_id) AS person_id";

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

/// New entries, many to a statement (the register step opens thousands at county scale).
pub(crate) async fn insert_entries(
    tx: &mut Tx,
    tenant: &TenantCode,
    entries: &[NewEntry<'_>],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO register_entries (tenant_code, id, register, person_id, agency_id, first_day, \
             source_key, opened_at, opened_by) ",
        );
        qb.push_values(chunk, |mut row, entry| {
            row.push_bind(tenant.as_str().to_owned())
                .push_bind(entry.id)
                .push_bind(entry.register.to_owned())
                .push_bind(entry.person)
                .push_bind(entry.agency)
                .push_bind(entry.first_day)
                .push_bind(entry.source_key.map(str::to_owned))
                .push_bind(now)
                .push_bind(entry.opened_by);
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// A fact to record on an entry: its JSON, what it does to whether the entry is open, and
/// who recorded it (`None`: Harbour).
#[derive(Debug)]
pub(crate) struct NewFact {
    pub entry: Uuid,
    pub fact: String,
    pub lifecycle: Lifecycle,
    pub by: Option<Uuid>,
}

/// New facts, many to a statement, in the order given (each gets a time-ordered id, and
/// facts recorded at the same moment read back in id order).
pub(crate) async fn insert_facts(
    tx: &mut Tx,
    tenant: &TenantCode,
    facts: &[NewFact],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for chunk in facts.chunks(ROWS_PER_INSERT) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO register_facts (tenant_code, id, entry_id, fact, recorded_at, recorded_by) ",
        );
        qb.push_values(chunk, |mut row, fact| {
            row.push_bind(tenant.as_str().to_owned())
                .push_bind(Uuid::now_v7())
                .push_bind(fact.entry)
                .push_bind(fact.fact.clone())
                .push_bind(now)
                .push_bind(fact.by);
        });
        qb.build().execute(&mut **tx).await?;
    }
    apply_lifecycles(tx, tenant, facts.iter().map(|f| (f.entry, f.lifecycle))).await
}

/// Rows in one multi-row INSERT (at most nine bound values each), or ids in one `IN`
/// list: well under both backends' limits on bound values.
const ROWS_PER_INSERT: usize = 500;

/// The entries of `register` that `which` picks.
pub(crate) async fn entries(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
    which: Which,
) -> Result<Vec<EntryRow>, StoreError> {
    let query = match which {
        Which::All(None) => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM register_entries r LEFT JOIN agencies a ON a.id = r.agency_id \
             WHERE r.tenant_code = $1 AND r.register = $2 ORDER BY r.first_day, r.id"
        ))),
        Which::All(Some(_)) => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM register_entries r LEFT JOIN agencies a ON a.id = r.agency_id \
             WHERE r.tenant_code = $1 AND r.register = $2 AND r.agency_id = $3 ORDER BY r.first_day, r.id"
        ))),
        Which::Open => sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM register_entries r LEFT JOIN agencies a ON a.id = r.agency_id \
             WHERE r.tenant_code = $1 AND r.register = $2 AND r.is_open ORDER BY r.first_day, r.id"
        ))),
    };
    let query = query.bind(tenant.as_str()).bind(register);
    let query = match which {
        Which::All(Some(agency)) => query.bind(agency),
        _ => query,
    };
    Ok(query.fetch_all(&mut *conn).await?)
}

/// The ids of every entry of `register`, or of those naming `agency`: which register an
/// alert's evidence names, without reading the entries.
pub(crate) async fn entry_ids(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
    agency: Option<Uuid>,
) -> Result<Vec<Uuid>, StoreError> {
    let query = match agency {
        None => sqlx::query_scalar(
            "SELECT id FROM register_entries WHERE tenant_code = $1 AND register = $2",
        ),
        Some(_) => sqlx::query_scalar(
            "SELECT id FROM register_entries WHERE tenant_code = $1 AND register = $2 AND agency_id = $3",
        ),
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

/// The facts of the entries of `register` that `which` picks (oldest first within each
/// entry). The entries are named in a subquery so that SQLite finds them first and each
/// one's facts by the index: as a join, with no statistics on these tables, it walked every
/// fact of the tenant (10 ms against 2 ms for the open exclusions at county scale).
pub(crate) async fn facts(
    conn: &mut Conn,
    tenant: &TenantCode,
    register: &str,
    which: Which,
) -> Result<Vec<FactRow>, StoreError> {
    let query = match which {
        Which::All(None) => sqlx::query_as(
            "SELECT f.entry_id, f.fact, f.recorded_at, u.display_name AS recorded_by_name \
             FROM register_facts f LEFT JOIN users u ON u.id = f.recorded_by \
             WHERE f.tenant_code = $1 AND f.entry_id IN ( \
               SELECT r.id FROM register_entries r WHERE r.tenant_code = $1 AND r.register = $2) \
             ORDER BY f.entry_id, f.recorded_at, f.id",
        ),
        Which::All(Some(_)) => sqlx::query_as(
            "SELECT f.entry_id, f.fact, f.recorded_at, u.display_name AS recorded_by_name \
             FROM register_facts f LEFT JOIN users u ON u.id = f.recorded_by \
             WHERE f.tenant_code = $1 AND f.entry_id IN ( \
               SELECT r.id FROM register_entries r \
               WHERE r.tenant_code = $1 AND r.register = $2 AND r.agency_id = $3) \
             ORDER BY f.entry_id, f.recorded_at, f.id",
        ),
        Which::Open => sqlx::query_as(
            "SELECT f.entry_id, f.fact, f.recorded_at, u.display_name AS recorded_by_name \
             FROM register_facts f LEFT JOIN users u ON u.id = f.recorded_by \
             WHERE f.tenant_code = $1 AND f.entry_id IN ( \
               SELECT r.id FROM register_entries r \
               WHERE r.tenant_code = $1 AND r.register = $2 AND r.is_open) \
             ORDER BY f.entry_id, f.recorded_at, f.id",
        ),
    };
    let query = query.bind(tenant.as_str()).bind(register);
    let query = match which {
        Which::All(Some(agency)) => query.bind(agency),
        _ => query,
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

/// Records a fact on an entry, and what it does to whether the entry is open.
pub(crate) async fn insert_fact(
    tx: &mut Tx,
    tenant: &TenantCode,
    entry: Uuid,
    fact: &str,
    lifecycle: Lifecycle,
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
    apply_lifecycles(tx, tenant, [(entry, lifecycle)]).await
}

/// Keeps `register_entries.is_open` in step with the facts just recorded, in order: the
/// last closing or reopening fact of each entry decides.
async fn apply_lifecycles(
    tx: &mut Tx,
    tenant: &TenantCode,
    recorded: impl IntoIterator<Item = (Uuid, Lifecycle)>,
) -> Result<(), StoreError> {
    let mut open: BTreeMap<Uuid, bool> = BTreeMap::new();
    for (entry, lifecycle) in recorded {
        match lifecycle {
            Lifecycle::Closes => open.insert(entry, false),
            Lifecycle::Reopens => open.insert(entry, true),
            Lifecycle::Leaves => None,
        };
    }
    // One statement per state and chunk: the register step closes thousands at once.
    for state in [false, true] {
        let ids: Vec<Uuid> = open
            .iter()
            .filter(|(_, is_open)| **is_open == state)
            .map(|(id, _)| *id)
            .collect();
        for chunk in ids.chunks(ROWS_PER_INSERT) {
            let mut qb = QueryBuilder::<Db>::new("UPDATE register_entries SET is_open = ");
            qb.push_bind(state)
                .push(" WHERE tenant_code = ")
                .push_bind(tenant.as_str().to_owned())
                .push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            list.push_unseparated(")");
            qb.build().execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// The names of `persons`, each child's most recent record first. A register's readers take
/// the children from the entries they read (each entry's row already says which child it is
/// now about), so no entry's source is looked up twice.
pub(crate) async fn names_of(
    conn: &mut Conn,
    tenant: &TenantCode,
    persons: &[Uuid],
) -> Result<Vec<NameRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in persons.chunks(ROWS_PER_INSERT) {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT sr.person_id, sr.given_name, sr.family_name, sr.date_of_birth FROM source_records sr \
             WHERE sr.tenant_code = ",
        );
        qb.push_bind(tenant.as_str().to_owned())
            .push(" AND sr.person_id IN (");
        let mut ids = qb.separated(", ");
        for person in chunk {
            ids.push_bind(*person);
        }
        qb.push(") ORDER BY sr.person_id, sr.recorded_at DESC");
        rows.extend(qb.build_query_as::<NameRow>().fetch_all(&mut *conn).await?);
    }
    Ok(rows)
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

/// Every event the registers' opening step acts on (see `register_feed.rs`), the latest
/// version of each, in one pass over the events: the kinds that open, offer on or close an
/// entry; schools' roll deletions that may name an unknown destination (`details` narrows,
/// the caller reads them); roll changes at or about a special school and child protection
/// plans, which decide s.434A consent. Each condition names the event alone (special schools
/// by subqueries, not a join), so the events of other kinds are dropped before their records
/// are looked up.
pub(crate) async fn register_feed(
    tx: &mut Tx,
    tenant: &TenantCode,
) -> Result<Vec<RegisterFeedRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT e.kind, e.about_school, sr.person_id, e.agency_id, e.record_key, e.occurred_on, e.details, e.summary \
         FROM events e JOIN source_records sr \
           ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         WHERE e.tenant_code = $1 AND ( \
           e.kind IN ($2, $3, $4, $5, $6, $7, $8, $9) \
           OR (e.kind = $10 AND e.about_school IS NULL AND e.details LIKE '%not_known%') \
           OR (e.kind IN ($10, $11) \
               AND (e.agency_id IN (SELECT s.id FROM agencies s WHERE s.tenant_code = $1 AND s.special_school) \
                    OR e.about_school IN (SELECT s.school_number FROM agencies s \
                                          WHERE s.tenant_code = $1 AND s.special_school)))) \
           AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.tenant_code = e.tenant_code \
                            AND v.agency_id = e.agency_id AND v.record_key = e.record_key) \
         ORDER BY sr.person_id, e.occurred_on, e.record_key",
    )
    .bind(tenant.as_str())
    .bind(EventKind::PermanentExclusion.as_str())
    .bind(EventKind::AlternativeProvision.as_str())
    .bind(EventKind::EheRegistration.as_str())
    .bind(EventKind::EheEnd.as_str())
    .bind(EventKind::CmeStart.as_str())
    .bind(EventKind::CmeEnd.as_str())
    .bind(EventKind::ChildProtectionPlanStart.as_str())
    .bind(EventKind::ChildProtectionPlanEnd.as_str())
    .bind(EventKind::SchoolLeaving.as_str())
    .bind(EventKind::SchoolEnrolment.as_str())
    .fetch_all(&mut **tx)
    .await?)
}

/// The agencies of a tenant with their school numbers (a transfer file names an earlier
/// school by its number) and whether each is a special school: (agency, school number,
/// special school).
pub(crate) async fn agencies_special(
    tx: &mut Tx,
    tenant: &TenantCode,
) -> Result<Vec<(Uuid, Option<String>, bool)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, school_number, special_school FROM agencies WHERE tenant_code = $1",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut **tx)
    .await?)
}

/// The (agency, key) of the feed event each entry of `register` was opened from.
pub(crate) async fn source_keys(
    tx: &mut Tx,
    tenant: &TenantCode,
    register: &str,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT agency_id, source_key FROM register_entries \
         WHERE tenant_code = $1 AND register = $2 AND agency_id IS NOT NULL AND source_key IS NOT NULL",
    )
    .bind(tenant.as_str())
    .bind(register)
    .fetch_all(&mut **tx)
    .await?)
}
