//! Every SQL statement Harbour runs, written once and compiled for each backend (`Db` is
//! `sqlx::Sqlite` or `sqlx::Postgres`, see `backend.rs`). Both accept `$n` placeholders.
//!
//! Functions here take a pool or a transaction and plain values; the policy decisions and
//! the audit rules live in `gate.rs` and `store.rs`, which call these.

use super::{Db, ROLES_AGGREGATE};
use crate::StoreError;
use crate::audit::{AuditChain, AuditEntry, AuditVerification, GENESIS, Outcome};
use crate::model::{
    Agency, Batch, DemoUser, IdentityRecord, LoadReport, NewAgency, NewUser, PersonSummary,
    SearchFilter, SearchResults, SessionUser, TimelineEntry,
};
use crate::search::SearchQuery;
use harbour_domain::{
    AgencyId, EventId, PersonId, Role, SchoolNumber, SourceRecordId, TenantCode, UserId,
};
use harbour_domain::{EventKind, Handling};
use harbour_policy::{Principal, Scope};
// Dynamic SQL here is assembled only from constants in this crate: the backend's
// ROLES_AGGREGATE, matchers from `SearchQuery::matcher`, and scopes from `gate::scope_sql`,
// whose handling codes come from a closed enum. Every value from outside is a bind parameter.
use sqlx::{AssertSqlSafe, FromRow, Pool, QueryBuilder, Transaction};
use std::collections::BTreeSet;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

pub(crate) type Tx = Transaction<'static, Db>;

/// A connection of this backend: a transaction's (`&mut **tx`) or a pool's.
pub(crate) type Conn = <Db as sqlx::Database>::Connection;

// ---------------------------------------------------------------------------------------
// Audit chain
// ---------------------------------------------------------------------------------------

/// Appends one entry to its tenant's chain inside the caller's transaction, so the entry and
/// the work it records commit together or not at all. The transaction must hold the
/// tenant's write lock (`begin_write`), which keeps the head read here the newest.
pub(crate) async fn append_audit(tx: &mut Tx, entry: &AuditEntry) -> Result<i64, StoreError> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE tenant_code = $1")
            .bind(entry.tenant.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let hash = entry.hash(seq, &prev_hash);
    // The single subject is kept on the row too, for quick reading; the list is authoritative.
    let single_subject = match entry.subjects.as_slice() {
        [one] => Some(one.0),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO audit (seq, at, tenant_code, user_id, agency_id, action, person_id, \
         purpose, outcome, detail, prev_hash, hash, legacy) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE)",
    )
    .bind(seq)
    .bind(entry.at)
    .bind(entry.tenant.as_str())
    .bind(entry.user.map(|u| u.0))
    .bind(entry.agency.map(|a| a.0))
    .bind(&entry.action)
    .bind(single_subject)
    .bind(&entry.purpose)
    .bind(entry.outcome.as_str())
    .bind(&entry.detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_heads (tenant_code, seq, hash) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_code) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(entry.tenant.as_str())
    .bind(seq)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    insert_audit_subjects(tx, entry, seq).await?;
    Ok(seq)
}

/// The children an audit entry names, many rows to a statement: a register read names
/// thousands, and one statement each was most of such a read's audit.
async fn insert_audit_subjects(
    tx: &mut Tx,
    entry: &AuditEntry,
    seq: i64,
) -> Result<(), StoreError> {
    for chunk in entry.subjects.chunks(SUBJECTS_PER_INSERT) {
        let mut qb =
            QueryBuilder::<Db>::new("INSERT INTO audit_subjects (tenant_code, person_id, seq) ");
        qb.push_values(chunk, |mut row, subject| {
            row.push_bind(entry.tenant.as_str().to_owned())
                .push_bind(subject.0)
                .push_bind(seq);
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Audit subjects in one statement: three bound values each, well under both backends'
/// limits.
const SUBJECTS_PER_INSERT: usize = 1000;

#[derive(FromRow)]
struct AuditRow {
    seq: i64,
    at: OffsetDateTime,
    tenant_code: String,
    user_id: Option<Uuid>,
    agency_id: Option<Uuid>,
    action: String,
    purpose: String,
    outcome: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

/// A chain's newest entry as the walk found it: its number (one before the chain's first
/// when it has none) and hash, and how many entries the walk checked.
struct ChainEnd {
    seq: i64,
    hash: String,
    entries: u64,
}

/// Where a chain broke: the entry's number and why.
type Break = (i64, String);

/// Recomputes every chain and names the first entry that does not fit: the legacy global
/// chain (entries written before migration 0011), then each tenant's chain in order of code.
/// Rows and their subjects are streamed side by side, so memory stays flat however long the
/// log.
pub(crate) async fn verify_audit(pool: &Pool<Db>) -> Result<AuditVerification, StoreError> {
    let broken =
        |chain: AuditChain, (seq, reason): Break| AuditVerification::Broken { chain, seq, reason };
    // The legacy chain: numbered 1, 2, 3, ... across every tenant, ending at audit_head.
    let rows = sqlx::query_as::<_, AuditRow>(
        "SELECT seq, at, tenant_code, user_id, agency_id, action, purpose, outcome, \
         detail, prev_hash, hash FROM audit WHERE legacy ORDER BY seq",
    )
    .fetch(pool);
    let subjects = sqlx::query_as::<_, (i64, Uuid)>(
        "SELECT s.seq, s.person_id FROM audit_subjects s \
         JOIN audit a ON a.tenant_code = s.tenant_code AND a.seq = s.seq \
         WHERE a.legacy ORDER BY s.seq, s.person_id",
    )
    .fetch(pool);
    let legacy = match walk_chain(rows, subjects, 1, GENESIS.to_owned()).await? {
        Ok(end) => end,
        Err(at) => return Ok(broken(AuditChain::Legacy, at)),
    };
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(pool)
            .await?;
    if let Some(at) = check_head(head, &legacy, legacy.entries > 0) {
        return Ok(broken(AuditChain::Legacy, at));
    }
    let mut entries = legacy.entries;

    // Each tenant's chain: its entries since the migration, continuing from its last legacy
    // entry (or from the start), ending at its row in audit_heads.
    let tenants: Vec<(String,)> = sqlx::query_as(
        "SELECT tenant_code FROM audit UNION SELECT tenant_code FROM audit_heads ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    for (tenant,) in tenants {
        let chain = || AuditChain::Tenant(tenant.clone());
        let last_legacy: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM audit WHERE tenant_code = $1 AND legacy \
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(&tenant)
        .fetch_optional(pool)
        .await?;
        let had_legacy = last_legacy.is_some();
        let (first_seq, prev) = match last_legacy {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS.to_owned()),
        };
        let rows = sqlx::query_as::<_, AuditRow>(
            "SELECT seq, at, tenant_code, user_id, agency_id, action, purpose, outcome, \
             detail, prev_hash, hash FROM audit WHERE tenant_code = $1 AND NOT legacy \
             ORDER BY seq",
        )
        .bind(&tenant)
        .fetch(pool);
        let subjects = sqlx::query_as::<_, (i64, Uuid)>(
            "SELECT s.seq, s.person_id FROM audit_subjects s \
             JOIN audit a ON a.tenant_code = s.tenant_code AND a.seq = s.seq \
             WHERE s.tenant_code = $1 AND NOT a.legacy ORDER BY s.seq, s.person_id",
        )
        .bind(&tenant)
        .fetch(pool);
        let end = match walk_chain(rows, subjects, first_seq, prev).await? {
            Ok(end) => end,
            Err(at) => return Ok(broken(chain(), at)),
        };
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE tenant_code = $1")
                .bind(&tenant)
                .fetch_optional(pool)
                .await?;
        if let Some(at) = check_head(head, &end, had_legacy || end.entries > 0) {
            return Ok(broken(chain(), at));
        }
        entries += end.entries;
    }

    // A child listed against an entry that is in no chain (its entry was deleted).
    let orphan: Option<(String, i64)> = sqlx::query_as(
        "SELECT s.tenant_code, s.seq FROM audit_subjects s WHERE NOT EXISTS \
         (SELECT 1 FROM audit a WHERE a.tenant_code = s.tenant_code AND a.seq = s.seq) \
         ORDER BY s.tenant_code, s.seq LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    if let Some((tenant, seq)) = orphan {
        let reason = "a child is listed against an entry that is missing".to_owned();
        return Ok(broken(AuditChain::Tenant(tenant), (seq, reason)));
    }
    Ok(AuditVerification::Intact { entries })
}

/// Walks one chain's rows in order, from the entry numbered `expected_seq` whose
/// `prev_hash` must be `expected_prev`, with the chain's subjects in the same order.
async fn walk_chain<R, S>(
    mut rows: R,
    mut subjects: S,
    mut expected_seq: i64,
    mut expected_prev: String,
) -> Result<Result<ChainEnd, Break>, StoreError>
where
    R: futures_util::Stream<Item = Result<AuditRow, sqlx::Error>> + Unpin,
    S: futures_util::Stream<Item = Result<(i64, Uuid), sqlx::Error>> + Unpin,
{
    use futures_util::TryStreamExt;
    let mut next_subject = subjects.try_next().await?;
    let mut entries = 0u64;
    while let Some(row) = rows.try_next().await? {
        let broken = |reason: &str| Ok(Err((row.seq, reason.to_owned())));
        if let Some((orphan, _)) = next_subject.filter(|(seq, _)| *seq < row.seq) {
            let reason = "a child is listed against an entry that is missing".to_owned();
            return Ok(Err((orphan, reason)));
        }
        let mut row_subjects = Vec::new();
        while let Some((_, person)) = next_subject.filter(|(seq, _)| *seq == row.seq) {
            row_subjects.push(PersonId(person));
            next_subject = subjects.try_next().await?;
        }
        if row.seq > expected_seq {
            let reason = "this entry is missing: it was deleted or renumbered".to_owned();
            return Ok(Err((expected_seq, reason)));
        }
        if row.seq < expected_seq {
            return broken("this entry is out of place: entries were inserted or renumbered");
        }
        if row.prev_hash != expected_prev {
            return broken("it does not follow from the entry before it");
        }
        let outcome = match row.outcome.as_str() {
            "allowed" => Outcome::Allowed,
            "denied" => Outcome::Denied,
            other => {
                return Ok(Err((
                    row.seq,
                    format!("its outcome {other:?} is not allowed or denied"),
                )));
            }
        };
        let Ok(tenant) = TenantCode::parse(&row.tenant_code) else {
            return broken("its tenant code is not valid");
        };
        let entry = AuditEntry {
            at: row.at,
            tenant,
            user: row.user_id.map(UserId),
            agency: row.agency_id.map(AgencyId),
            action: row.action,
            subjects: Vec::new(),
            purpose: row.purpose,
            outcome,
            detail: row.detail,
        }
        .with_subjects(row_subjects);
        if entry.hash(row.seq, &row.prev_hash) != row.hash {
            return broken("its contents were changed after it was written");
        }
        expected_seq += 1;
        expected_prev = row.hash;
        entries += 1;
    }
    if let Some((orphan, _)) = next_subject {
        let reason = "a child is listed against an entry that is missing".to_owned();
        return Ok(Err((orphan, reason)));
    }
    Ok(Ok(ChainEnd {
        seq: expected_seq - 1,
        hash: expected_prev,
        entries,
    }))
}

/// Compares a chain's end with its head, the record of how far it reached (the chain alone
/// only shows what is there). `has_entries`: whether the chain (with, for a tenant, the
/// legacy entries it continues) holds any entry, so that a head is expected.
fn check_head(head: Option<(i64, String)>, end: &ChainEnd, has_entries: bool) -> Option<Break> {
    let last_seq = end.seq;
    match head {
        None if !has_entries => None,
        None => Some((last_seq, "the record of the newest entry is missing".into())),
        Some((head_seq, _)) if head_seq > last_seq => Some((
            last_seq + 1,
            format!(
                "this entry is missing: the log should run to entry {head_seq} but was cut short"
            ),
        )),
        Some((head_seq, _)) if head_seq < last_seq => Some((
            head_seq + 1,
            "this entry was added after the newest entry Harbour recorded".into(),
        )),
        Some((_, head_hash)) if head_hash != end.hash => Some((
            last_seq,
            "the newest entry does not match the one Harbour recorded".into(),
        )),
        Some(_) => None,
    }
}

// ---------------------------------------------------------------------------------------
// Directory: tenants, agencies, users, sessions (staff data, not children's records)
// ---------------------------------------------------------------------------------------

pub(crate) async fn insert_tenant(
    tx: &mut Tx,
    tenant: &TenantCode,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO tenants (code, name) VALUES ($1, $2)")
        .bind(tenant.as_str())
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn insert_agency(tx: &mut Tx, agency: &NewAgency) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO agencies (id, tenant_code, code, name, kind) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(agency.id.0)
    .bind(agency.tenant.as_str())
    .bind(&agency.code)
    .bind(&agency.name)
    .bind(agency.kind.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gives a school its DfE number; false when no school of `tenant` has that id. A number
/// another school holds is refused by the unique index, as a conflict.
pub(crate) async fn set_school_number(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: AgencyId,
    number: &SchoolNumber,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE agencies SET school_number = $1 WHERE tenant_code = $2 AND id = $3 AND kind = 'school'",
    )
    .bind(number.as_str())
    .bind(tenant.as_str())
    .bind(agency.0)
    .execute(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(format!(
            "another school of local authority {tenant} has the number {number}"
        )),
        _ => StoreError::Database(e),
    })?;
    Ok(done.rows_affected() == 1)
}

#[derive(FromRow)]
struct AgencyRow {
    id: Uuid,
    code: String,
    name: String,
    kind: String,
}

impl TryFrom<AgencyRow> for Agency {
    type Error = StoreError;
    fn try_from(row: AgencyRow) -> Result<Self, StoreError> {
        Ok(Agency {
            id: AgencyId(row.id),
            code: row.code,
            name: row.name,
            kind: row.kind.parse().map_err(StoreError::corrupt)?,
        })
    }
}

pub(crate) async fn list_agencies(
    pool: &Pool<Db>,
    tenant: &TenantCode,
) -> Result<Vec<Agency>, StoreError> {
    sqlx::query_as::<_, AgencyRow>(
        "SELECT id, code, name, kind FROM agencies WHERE tenant_code = $1 ORDER BY name",
    )
    .bind(tenant.as_str())
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Agency::try_from)
    .collect()
}

pub(crate) async fn insert_user(
    tx: &mut Tx,
    user: &NewUser,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO users (id, tenant_code, agency_id, email, display_name, is_demo, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user.id.0)
    .bind(user.tenant.as_str())
    .bind(user.agency.0)
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(user.is_demo)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for role in &user.roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(user.id.0)
            .bind(role.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub(crate) fn parse_roles(joined: &str) -> Result<BTreeSet<Role>, StoreError> {
    joined
        .split(',')
        .filter(|code| !code.is_empty())
        .map(|code| code.parse().map_err(StoreError::corrupt))
        .collect()
}

#[derive(FromRow)]
struct DemoUserRow {
    id: Uuid,
    display_name: String,
    email: String,
    agency_name: String,
    roles: String,
}

pub(crate) async fn list_demo_users(pool: &Pool<Db>) -> Result<Vec<DemoUser>, StoreError> {
    let sql = format!(
        "SELECT u.id, u.display_name, u.email, a.name AS agency_name, \
         {ROLES_AGGREGATE} AS roles \
         FROM users u JOIN agencies a ON a.id = u.agency_id \
         LEFT JOIN user_roles r ON r.user_id = u.id \
         WHERE u.is_demo AND u.disabled_at IS NULL \
         GROUP BY u.id, u.display_name, u.email, a.name \
         ORDER BY a.name, u.display_name"
    );
    sqlx::query_as::<_, DemoUserRow>(AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| {
            Ok(DemoUser {
                id: UserId(row.id),
                display_name: row.display_name,
                email: row.email,
                agency_name: row.agency_name,
                roles: parse_roles(&row.roles)?,
            })
        })
        .collect()
}

pub(crate) async fn insert_session(
    tx: &mut Tx,
    token_hash: &str,
    user: UserId,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(token_hash)
    .bind(user.0)
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct SessionRow {
    user_id: Uuid,
    last_seen_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

/// The live session's user, or `None` when the session is unknown, past its absolute or
/// idle limit, or its user is disabled. A live session's idle clock is restarted.
/// How old a session's last-seen time may be before a request writes it again. Writing it
/// on every request made every page a write (on SQLite, a sync of the log) before its read
/// began; a session may now end this much before its idle limit, never after it.
const SESSION_TOUCH_AFTER: time::Duration = time::Duration::seconds(30);

pub(crate) async fn session_user(
    pool: &Pool<Db>,
    token_hash: &str,
    now: OffsetDateTime,
    idle_limit: time::Duration,
) -> Result<Option<SessionUser>, StoreError> {
    let row = sqlx::query_as::<_, SessionRow>(
        "SELECT user_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user = if now >= row.expires_at || now - row.last_seen_at >= idle_limit {
        None
    } else {
        active_user(pool, UserId(row.user_id), false).await?
    };
    if user.is_none() {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= SESSION_TOUCH_AFTER {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now)
            .execute(pool)
            .await?;
    }
    Ok(user)
}

#[derive(FromRow)]
struct ActiveUserRow {
    tenant_code: String,
    agency_id: Uuid,
    display_name: String,
    agency_name: String,
    roles: String,
}

/// A user who is not disabled (and, with `demo_only`, is a demo account), with their roles.
pub(crate) async fn active_user(
    pool: &Pool<Db>,
    user: UserId,
    demo_only: bool,
) -> Result<Option<SessionUser>, StoreError> {
    let sql = format!(
        "SELECT u.tenant_code, u.agency_id, u.display_name, a.name AS agency_name, \
         {ROLES_AGGREGATE} AS roles \
         FROM users u JOIN agencies a ON a.id = u.agency_id \
         LEFT JOIN user_roles r ON r.user_id = u.id \
         WHERE u.id = $1 AND u.disabled_at IS NULL AND (u.is_demo OR NOT $2) \
         GROUP BY u.tenant_code, u.agency_id, u.display_name, a.name"
    );
    let row = sqlx::query_as::<_, ActiveUserRow>(AssertSqlSafe(sql))
        .bind(user.0)
        .bind(demo_only)
        .fetch_optional(pool)
        .await?;
    row.map(|row| {
        Ok(SessionUser {
            principal: Principal {
                user,
                tenant: TenantCode::parse(&row.tenant_code).map_err(StoreError::corrupt)?,
                agency: AgencyId(row.agency_id),
                roles: parse_roles(&row.roles)?,
            },
            display_name: row.display_name,
            agency_name: row.agency_name,
        })
    })
    .transpose()
}

pub(crate) async fn delete_session(tx: &mut Tx, token_hash: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

// ---------------------------------------------------------------------------------------
// Children's records: loading
// ---------------------------------------------------------------------------------------

pub(crate) async fn insert_batch(
    tx: &mut Tx,
    batch: &Batch,
    now: OffsetDateTime,
) -> Result<LoadReport, StoreError> {
    let tenant = batch.tenant.as_str();
    for person in &batch.persons {
        sqlx::query("INSERT INTO persons (tenant_code, id, created_at) VALUES ($1, $2, $3)")
            .bind(tenant)
            .bind(person.id.0)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    for record in &batch.source_records {
        sqlx::query(
            "INSERT INTO source_records (tenant_code, id, agency_id, record_key, person_id, \
             given_name, family_name, date_of_birth, sex, upn, nhs_number, postcode, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(tenant)
        .bind(record.id.0)
        .bind(record.agency.0)
        .bind(&record.record_key)
        .bind(record.person.0)
        .bind(&record.given_name)
        .bind(&record.family_name)
        .bind(record.date_of_birth)
        .bind(record.sex.as_deref())
        .bind(record.upn.as_ref().map(|u| u.as_str()))
        .bind(record.nhs_number.as_ref().map(|n| n.as_str()))
        .bind(record.postcode.as_ref().map(|p| p.as_str()))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    for event in &batch.events {
        sqlx::query(
            "INSERT INTO events (tenant_code, id, source_record_id, agency_id, record_key, kind, \
             occurred_on, recorded_at, handling, summary, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant)
        .bind(event.id.0)
        .bind(event.source_record.0)
        .bind(event.agency.0)
        .bind(&event.record_key)
        .bind(event.kind.as_str())
        .bind(event.occurred_on)
        .bind(now)
        .bind(event.handling.as_str())
        .bind(&event.summary)
        .bind(event.details.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(LoadReport {
        persons: batch.persons.len() as u64,
        source_records: batch.source_records.len() as u64,
        events: batch.events.len() as u64,
    })
}

// ---------------------------------------------------------------------------------------
// Children's records: reading. Called only from the gate, with the viewer's scope.
// ---------------------------------------------------------------------------------------

/// Appends the viewer's scope as a condition over the event `e` of source record `sr`.
/// Every value is a bind parameter; handling codes come from a closed enum.
fn push_scope(qb: &mut QueryBuilder<Db>, scope: &Scope, viewer: &Principal, now: OffsetDateTime) {
    push_scope_over(qb, scope, viewer, now, "sr");
}

/// [`push_scope`] over the event `e` of the source record called `records` (a subquery that
/// needs the outer `sr` names its own records otherwise).
fn push_scope_over(
    qb: &mut QueryBuilder<Db>,
    scope: &Scope,
    viewer: &Principal,
    now: OffsetDateTime,
    records: &'static str,
) {
    fn handling_list(set: &BTreeSet<Handling>) -> String {
        set.iter()
            .map(|h| format!("'{}'", h.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    let mut first = true;
    qb.push("(");
    for (clause, handling) in scope.clauses.iter().filter(|(_, h)| !h.is_empty()) {
        qb.push(if first { "(" } else { " OR (" });
        first = false;
        qb.push(format!("e.handling IN ({})", handling_list(handling)));
        if clause.own_agency_only {
            qb.push(" AND e.agency_id = ").push_bind(viewer.agency.0);
        }
        if clause.known_to_agency_only {
            qb.push(format!(
                " AND EXISTS (SELECT 1 FROM source_records k WHERE k.tenant_code = {records}.tenant_code \
                 AND k.person_id = {records}.person_id AND k.agency_id = "
            ))
            .push_bind(viewer.agency.0)
            .push(")");
        }
        qb.push(")");
    }
    if !scope.break_glass_handling.is_empty() {
        qb.push(if first { "(" } else { " OR (" });
        first = false;
        qb.push(format!(
            "e.handling IN ({})",
            handling_list(&scope.break_glass_handling)
        ));
        qb.push(format!(
            " AND EXISTS (SELECT 1 FROM break_glass g WHERE g.tenant_code = {records}.tenant_code \
             AND g.person_id = {records}.person_id AND g.user_id = "
        ))
        .push_bind(viewer.user.0)
        .push(" AND g.expires_at > ")
        .push_bind(now)
        .push("))");
    }
    if first {
        qb.push("1 = 0");
    }
    qb.push(")");
}

#[derive(FromRow)]
struct SummaryRow {
    person_id: Uuid,
    given_name: String,
    family_name: String,
    date_of_birth: Option<Date>,
    agency_name: String,
}

/// Persons with a source record that matches `query` and holds an event the viewer may see,
/// in name order.
///
/// `visible` is the viewer and their scope; `None` for Harbour itself (an operator at the
/// command line, gated as the service), which finds every record of the tenant.
pub(crate) async fn search_persons(
    tx: &mut Tx,
    tenant: &TenantCode,
    visible: Option<(&Principal, &Scope)>,
    query: &SearchQuery,
    filter: &SearchFilter,
    now: OffsetDateTime,
) -> Result<SearchResults, StoreError> {
    // The total: distinct children with a matching record the viewer may see.
    let mut qb = QueryBuilder::<Db>::new(
        "SELECT COUNT(DISTINCT sr.person_id) FROM source_records sr WHERE ",
    );
    push_search_match(&mut qb, tenant, visible, query, filter, now);
    let total: i64 = qb.build_query_scalar().fetch_one(&mut **tx).await?;

    // The page: children in name order (the first spelling of each), then by id.
    let mut qb = QueryBuilder::<Db>::new("SELECT sr.person_id FROM source_records sr WHERE ");
    push_search_match(&mut qb, tenant, visible, query, filter, now);
    qb.push(
        " GROUP BY sr.person_id ORDER BY MIN(lower(sr.family_name)), MIN(lower(sr.given_name)), \
         sr.person_id LIMIT ",
    );
    qb.push_bind(i64::try_from(filter.limit).unwrap_or(i64::MAX));
    qb.push(" OFFSET ");
    qb.push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
    let page: Vec<Uuid> = qb.build_query_scalar().fetch_all(&mut **tx).await?;
    let total = u64::try_from(total).unwrap_or_default();
    if page.is_empty() {
        return Ok(SearchResults {
            total,
            people: Vec::new(),
        });
    }

    // Their matching records, to name each by the spelling most agencies use.
    let mut qb = QueryBuilder::<Db>::new(
        "SELECT sr.person_id, sr.given_name, sr.family_name, sr.date_of_birth, a.name AS agency_name \
         FROM source_records sr JOIN agencies a ON a.id = sr.agency_id WHERE ",
    );
    push_search_match(&mut qb, tenant, visible, query, filter, now);
    qb.push(" AND sr.person_id IN (");
    let mut ids = qb.separated(", ");
    for id in &page {
        ids.push_bind(*id);
    }
    qb.push(") ORDER BY sr.family_name, sr.given_name, sr.person_id, a.name");
    let rows: Vec<SummaryRow> = qb.build_query_as().fetch_all(&mut **tx).await?;
    let mut people: Vec<NameTally> = page
        .iter()
        .map(|id| NameTally::new(PersonId(*id)))
        .collect();
    for row in rows {
        if let Some(person) = people.iter_mut().find(|p| p.summary.id.0 == row.person_id) {
            person.add(row);
        }
    }

    // Each child's current school, from the events the viewer may see.
    let mut qb = QueryBuilder::<Db>::new("SELECT p.id, ");
    push_current_school(&mut qb, "ca.name", ("p.tenant_code", "p.id"), visible, now);
    qb.push(" FROM persons p WHERE p.tenant_code = ")
        .push_bind(tenant.as_str().to_owned())
        .push(" AND p.id IN (");
    let mut ids = qb.separated(", ");
    for id in &page {
        ids.push_bind(*id);
    }
    qb.push(")");
    let schools: Vec<(Uuid, Option<String>)> = qb.build_query_as().fetch_all(&mut **tx).await?;
    for (id, school) in schools {
        if let Some(person) = people.iter_mut().find(|p| p.summary.id.0 == id) {
            person.summary.school = school;
        }
    }
    Ok(SearchResults {
        total,
        people: people.into_iter().map(NameTally::finish).collect(),
    })
}

/// The condition a search's records meet: the tenant, the name or identifier, the
/// date-of-birth bounds, and (for a member of staff) an event the viewer may see.
fn push_search_match(
    qb: &mut QueryBuilder<Db>,
    tenant: &TenantCode,
    visible: Option<(&Principal, &Scope)>,
    query: &SearchQuery,
    filter: &SearchFilter,
    now: OffsetDateTime,
) {
    qb.push("sr.tenant_code = ");
    qb.push_bind(tenant.as_str().to_owned());
    qb.push(" AND ");
    match query {
        SearchQuery::Name(name) => {
            let escaped = name
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            qb.push("(lower(sr.given_name || ' ' || sr.family_name) LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR lower(sr.family_name || ' ' || sr.given_name) LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        SearchQuery::Upn(upn) => {
            qb.push("sr.upn = ").push_bind(upn.as_str().to_owned());
        }
        SearchQuery::NhsNumber(nhs) => {
            qb.push("sr.nhs_number = ")
                .push_bind(nhs.as_str().to_owned());
        }
    }
    if let Some(from) = filter.born_from {
        qb.push(" AND sr.date_of_birth >= ").push_bind(from);
    }
    if let Some(to) = filter.born_to {
        qb.push(" AND sr.date_of_birth <= ").push_bind(to);
    }
    if let Some(school) = filter.school {
        qb.push(" AND ");
        push_current_school(
            qb,
            "e.agency_id",
            ("sr.tenant_code", "sr.person_id"),
            visible,
            now,
        );
        qb.push(" = ").push_bind(school.0);
    }
    if let Some((viewer, scope)) = visible {
        qb.push(
            " AND EXISTS (SELECT 1 FROM events e WHERE e.tenant_code = sr.tenant_code \
             AND e.source_record_id = sr.id AND ",
        );
        push_scope(qb, scope, viewer, now);
        qb.push(")");
    }
}

/// A scalar subquery for the person whose tenant and id are the columns `person`: `column`
/// (of the event `e` or its school `ca`) of the latest school event of theirs that the viewer may see (for Harbour itself, of any),
/// NULL if there is none. Ties on the date go to the later recorded, then the greater id, so
/// the answer does not depend on the order rows happen to be read in.
fn push_current_school(
    qb: &mut QueryBuilder<Db>,
    column: &'static str,
    (tenant, person): (&'static str, &'static str),
    visible: Option<(&Principal, &Scope)>,
    now: OffsetDateTime,
) {
    qb.push(format!(
        "(SELECT {column} FROM events e \
         JOIN source_records cs ON cs.tenant_code = e.tenant_code AND cs.id = e.source_record_id \
         JOIN agencies ca ON ca.id = e.agency_id \
         WHERE cs.tenant_code = {tenant} AND cs.person_id = {person} AND ca.kind = 'school'"
    ));
    if let Some((viewer, scope)) = visible {
        qb.push(" AND ");
        push_scope_over(qb, scope, viewer, now, "cs");
    }
    qb.push(" ORDER BY e.occurred_on DESC, e.recorded_at DESC, e.id DESC LIMIT 1)");
}

/// One person's search rows, counting how often each spelling of their name appears.
struct NameTally {
    summary: PersonSummary,
    names: Vec<(String, String, usize)>,
}

impl NameTally {
    fn new(id: PersonId) -> Self {
        let summary = PersonSummary {
            id,
            given_name: String::new(),
            family_name: String::new(),
            date_of_birth: None,
            agencies: Vec::new(),
            school: None,
        };
        Self {
            summary,
            names: Vec::new(),
        }
    }

    fn add(&mut self, row: SummaryRow) {
        if !self.summary.agencies.contains(&row.agency_name) {
            self.summary.agencies.push(row.agency_name);
        }
        self.summary.date_of_birth = self.summary.date_of_birth.or(row.date_of_birth);
        match self
            .names
            .iter_mut()
            .find(|(g, f, _)| *g == row.given_name && *f == row.family_name)
        {
            Some((_, _, count)) => *count += 1,
            None => self.names.push((row.given_name, row.family_name, 1)),
        }
    }

    /// The most used spelling wins; on a tie, the first seen (in name order).
    fn finish(mut self) -> PersonSummary {
        let mut best: Option<(String, String, usize)> = None;
        for (given, family, count) in self.names {
            if best.as_ref().is_none_or(|b| count > b.2) {
                best = Some((given, family, count));
            }
        }
        if let Some((given, family, _)) = best {
            self.summary.given_name = given;
            self.summary.family_name = family;
        }
        self.summary
    }
}

#[derive(FromRow)]
struct IdentityRow {
    id: Uuid,
    agency_id: Uuid,
    agency_name: String,
    given_name: String,
    family_name: String,
    date_of_birth: Option<Date>,
    sex: Option<String>,
    upn: Option<String>,
    nhs_number: Option<String>,
    postcode: Option<String>,
}

/// The person's source records that hold at least one event the viewer may see.
pub(crate) async fn visible_identities(
    tx: &mut Tx,
    viewer: &Principal,
    scope: &Scope,
    person: PersonId,
    now: OffsetDateTime,
) -> Result<Vec<IdentityRecord>, StoreError> {
    let mut qb = QueryBuilder::<Db>::new(
        "SELECT sr.id, sr.agency_id, a.name AS agency_name, sr.given_name, sr.family_name, \
         sr.date_of_birth, sr.sex, sr.upn, sr.nhs_number, sr.postcode \
         FROM source_records sr JOIN agencies a ON a.id = sr.agency_id WHERE sr.tenant_code = ",
    );
    qb.push_bind(viewer.tenant.as_str().to_owned())
        .push(" AND sr.person_id = ")
        .push_bind(person.0)
        .push(
            " AND EXISTS (SELECT 1 FROM events e WHERE e.tenant_code = sr.tenant_code \
             AND e.source_record_id = sr.id AND ",
        );
    push_scope(&mut qb, scope, viewer, now);
    qb.push(") ORDER BY a.name, sr.id");
    let rows: Vec<IdentityRow> = qb.build_query_as().fetch_all(&mut **tx).await?;
    Ok(rows
        .into_iter()
        .map(|row| IdentityRecord {
            source_record: SourceRecordId(row.id),
            agency: AgencyId(row.agency_id),
            agency_name: row.agency_name,
            given_name: row.given_name,
            family_name: row.family_name,
            date_of_birth: row.date_of_birth,
            sex: row.sex,
            upn: row.upn,
            nhs_number: row.nhs_number,
            postcode: row.postcode,
        })
        .collect())
}

/// Children asked about in one query: well under both backends' limits on bind parameters.
const PERSONS_PER_QUERY: usize = 500;

/// Which of `persons` the viewer may see anything of: the question `visible_identities` answers
/// for one child (a record with an event in the viewer's scope), asked of many children in
/// one query per few hundred, for a list that only needs the answer (the work queue's
/// alerts).
pub(crate) async fn visible_persons(
    tx: &mut Tx,
    viewer: &Principal,
    scope: &Scope,
    persons: &[PersonId],
    now: OffsetDateTime,
) -> Result<BTreeSet<PersonId>, StoreError> {
    let mut visible = BTreeSet::new();
    for chunk in persons.chunks(PERSONS_PER_QUERY) {
        // One EXISTS per child, which stops at the first record with an event the viewer
        // may see: asked per record (then made distinct), it probed the events of every
        // record of every child (54 ms against 14 ms for 1,208 children in the sqlite3
        // shell at county scale).
        let mut qb = QueryBuilder::<Db>::new("SELECT p.id FROM persons p WHERE p.tenant_code = ");
        qb.push_bind(viewer.tenant.as_str().to_owned())
            .push(" AND p.id IN (");
        let mut ids = qb.separated(", ");
        for person in chunk {
            ids.push_bind(person.0);
        }
        qb.push(
            ") AND EXISTS (SELECT 1 FROM source_records sr JOIN events e \
             ON e.tenant_code = sr.tenant_code AND e.source_record_id = sr.id \
             WHERE sr.tenant_code = p.tenant_code AND sr.person_id = p.id AND ",
        );
        push_scope(&mut qb, scope, viewer, now);
        qb.push(")");
        let rows: Vec<Uuid> = qb.build_query_scalar().fetch_all(&mut **tx).await?;
        visible.extend(rows.into_iter().map(PersonId));
    }
    Ok(visible)
}

#[derive(FromRow)]
struct TimelineRow {
    id: Uuid,
    kind: String,
    occurred_on: Date,
    recorded_at: OffsetDateTime,
    handling: String,
    summary: String,
    agency_id: Uuid,
    agency_name: String,
    about_school: Option<String>,
    /// The school of that number in Harbour, if any.
    about_agency: Option<Uuid>,
    about_agency_name: Option<String>,
    details: String,
}

/// The person's events the viewer may see, oldest first. History a transfer file reported
/// about another school shows once: not where that school's own record (or an earlier
/// report) says the same (`timelines::unrepeated`, as the rules' timelines do).
pub(crate) async fn visible_timeline(
    tx: &mut Tx,
    viewer: &Principal,
    scope: &Scope,
    person: PersonId,
    now: OffsetDateTime,
) -> Result<Vec<TimelineEntry>, StoreError> {
    let mut qb = QueryBuilder::<Db>::new(
        "SELECT e.id, e.kind, e.occurred_on, e.recorded_at, e.handling, e.summary, e.agency_id, \
         a.name AS agency_name, e.about_school, r.id AS about_agency, \
         r.name AS about_agency_name, e.details \
         FROM events e \
         JOIN source_records sr ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         JOIN agencies a ON a.id = e.agency_id \
         LEFT JOIN agencies r ON r.tenant_code = e.tenant_code AND r.school_number = e.about_school \
         WHERE e.tenant_code = ",
    );
    qb.push_bind(viewer.tenant.as_str().to_owned())
        .push(" AND sr.person_id = ")
        .push_bind(person.0)
        // A corrected event is stored as a newer version; only the newest shows.
        .push(
            " AND NOT EXISTS (SELECT 1 FROM events n WHERE n.tenant_code = e.tenant_code \
             AND n.agency_id = e.agency_id AND n.record_key = e.record_key AND n.version > e.version) AND ",
        );
    push_scope(&mut qb, scope, viewer, now);
    qb.push(" ORDER BY e.occurred_on, e.recorded_at, e.id");
    let rows: Vec<TimelineRow> = qb.build_query_as().fetch_all(&mut **tx).await?;
    let schools: Vec<(Option<String>, bool, EventKind, Date)> = rows
        .iter()
        .map(|row| -> Result<_, StoreError> {
            let school = match (&row.about_school, row.about_agency) {
                (Some(_), Some(agency)) => Some(agency.to_string()),
                (Some(number), None) => Some(number.clone()),
                // An agency's own record: a school's is keyed by its id (a non-school's never
                // matches a report, which is always about a school).
                (None, _) => Some(row.agency_id.to_string()),
            };
            let kind = row.kind.parse().map_err(StoreError::corrupt)?;
            Ok((school, row.about_school.is_some(), kind, row.occurred_on))
        })
        .collect::<Result<_, _>>()?;
    // In the order stored (ids are time-ordered), as the rules' timelines weigh reports.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|i| rows.get(*i).map(|r| r.id));
    let verdicts = crate::timelines::unrepeated(order.iter().filter_map(|i| {
        let (school, reported, kind, on) = schools.get(*i)?;
        Some((school.as_deref(), *reported, *kind, *on))
    }));
    let mut keep = vec![true; rows.len()];
    for (i, verdict) in order.iter().zip(verdicts) {
        if let Some(k) = keep.get_mut(*i) {
            *k = verdict;
        }
    }
    rows.into_iter()
        .zip(keep)
        .filter(|(_, keep)| *keep)
        .map(|(row, _)| {
            Ok(TimelineEntry {
                event: EventId(row.id),
                kind: row.kind.parse().map_err(StoreError::corrupt)?,
                occurred_on: row.occurred_on,
                recorded_at: row.recorded_at,
                handling: row.handling.parse().map_err(StoreError::corrupt)?,
                summary: row.summary,
                agency: AgencyId(row.agency_id),
                agency_name: row.agency_name,
                reported_about: row.about_school,
                reported_about_name: row.about_agency_name,
                details: row.details,
            })
        })
        .collect()
}

/// How the viewer stands to a child: does their agency hold a record of the child, and until
/// when does a live emergency-access grant run (if any)?
pub(crate) async fn relationship(
    tx: &mut Tx,
    viewer: &Principal,
    person: PersonId,
    now: OffsetDateTime,
) -> Result<(bool, Option<OffsetDateTime>), StoreError> {
    let known: Option<(i32,)> = sqlx::query_as(
        "SELECT 1 FROM source_records WHERE tenant_code = $1 AND person_id = $2 AND agency_id = $3 LIMIT 1",
    )
    .bind(viewer.tenant.as_str())
    .bind(person.0)
    .bind(viewer.agency.0)
    .fetch_optional(&mut **tx)
    .await?;
    let grant: Option<(OffsetDateTime,)> = sqlx::query_as(
        "SELECT expires_at FROM break_glass WHERE tenant_code = $1 AND person_id = $2 \
         AND user_id = $3 AND expires_at > $4 ORDER BY expires_at DESC LIMIT 1",
    )
    .bind(viewer.tenant.as_str())
    .bind(person.0)
    .bind(viewer.user.0)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok((known.is_some(), grant.map(|(until,)| until)))
}

// ---------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------

pub(crate) async fn schema_version(pool: &Pool<Db>) -> Result<i64, StoreError> {
    let (version,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    Ok(version.unwrap_or(0))
}
