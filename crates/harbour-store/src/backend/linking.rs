//! Reading identities for linking and writing its results. Compiled once per backend like
//! `queries.rs`. These reads feed the matcher only; nothing here is shown to a person, and
//! each linking run is audited by the caller.

use super::Db;
use super::queries::{Conn, Tx};
use crate::StoreError;
use harbour_domain::TenantCode;
use sqlx::{FromRow, QueryBuilder};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Rows per multi-row statement: well inside both databases' limits on bound values.
const CHUNK: usize = 400;

#[derive(Debug, Clone, FromRow)]
pub(crate) struct LinkRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    pub upn: Option<String>,
    pub nhs_number: Option<String>,
    pub postcode: Option<String>,
    pub alias: Option<String>,
}

const COLUMNS: &str = "s.id, s.person_id, s.given_name, s.family_name, s.date_of_birth, s.sex, \
                       s.upn, s.nhs_number, s.postcode, s.alias";

/// Every record of the tenant, or only those not linked yet, in arrival order.
pub(crate) async fn records(
    conn: &mut Conn,
    tenant: &TenantCode,
    only_unlinked: bool,
) -> Result<Vec<LinkRow>, StoreError> {
    let mut qb = QueryBuilder::<Db>::new(format!("SELECT {COLUMNS} FROM source_records s"));
    qb.push(" WHERE s.tenant_code = ")
        .push_bind(tenant.as_str().to_owned());
    if only_unlinked {
        qb.push(" AND s.linked_at IS NULL");
    }
    qb.push(" ORDER BY s.id");
    Ok(qb.build_query_as().fetch_all(&mut *conn).await?)
}

/// Records holding any of the (rule, key) blocking keys.
pub(crate) async fn records_by_keys(
    conn: &mut Conn,
    tenant: &TenantCode,
    keys: &[(i32, i64)],
) -> Result<Vec<LinkRow>, StoreError> {
    let mut found: Vec<LinkRow> = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT DISTINCT {COLUMNS} FROM link_keys k JOIN source_records s \
             ON s.tenant_code = k.tenant_code AND s.id = k.source_record_id WHERE k.tenant_code = "
        ));
        qb.push_bind(tenant.as_str().to_owned())
            .push(" AND (k.rule, k.key) IN (");
        let mut list = qb.separated(", ");
        for (rule, key) in chunk {
            list.push("(")
                .push_bind_unseparated(*rule)
                .push_unseparated(", ")
                .push_bind_unseparated(*key)
                .push_unseparated(")");
        }
        list.push_unseparated(")");
        found.extend(qb.build_query_as::<LinkRow>().fetch_all(&mut *conn).await?);
    }
    found.sort_by_key(|r| r.id);
    found.dedup_by_key(|r| r.id);
    Ok(found)
}

pub(crate) async fn records_of_persons(
    conn: &mut Conn,
    tenant: &TenantCode,
    persons: &[Uuid],
) -> Result<Vec<LinkRow>, StoreError> {
    fetch_in(
        &mut *conn,
        &format!("SELECT {COLUMNS} FROM source_records s"),
        tenant,
        "s.person_id",
        persons,
    )
    .await
}

/// `{select} WHERE s.tenant_code = .. AND {column} IN (..)` for each chunk of `ids`, gathered.
/// `select` and `column` are constants of this module.
pub(crate) async fn fetch_in<T>(
    conn: &mut Conn,
    select: &str,
    tenant: &TenantCode,
    column: &str,
    ids: &[Uuid],
) -> Result<Vec<T>, StoreError>
where
    T: for<'r> FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
{
    let mut found = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(select);
        qb.push(" WHERE s.tenant_code = ")
            .push_bind(tenant.as_str().to_owned())
            .push(format!(" AND {column} IN ("));
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
        found.extend(qb.build_query_as::<T>().fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// Reviewers' decisions: (record, record, same person?).
pub(crate) async fn decisions(
    conn: &mut Conn,
    tenant: &TenantCode,
) -> Result<Vec<(Uuid, Uuid, bool)>, StoreError> {
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT record_a, record_b, status FROM link_reviews \
         WHERE tenant_code = $1 AND status <> 'open' ORDER BY decided_at, id",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(a, b, status)| (a, b, status == "same"))
        .collect())
}

pub(crate) async fn model(
    conn: &mut Conn,
    tenant: &TenantCode,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT model FROM link_models WHERE tenant_code = $1")
            .bind(tenant.as_str())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Everything one linking run changes, written in one transaction.
#[derive(Debug, Default)]
pub(crate) struct LinkWrite {
    pub change_id: Uuid,
    pub kind: &'static str,
    pub made_by: Option<Uuid>,
    pub reason: String,
    pub new_persons: Vec<Uuid>,
    /// (record, from person, to person)
    pub moves: Vec<(Uuid, Uuid, Uuid)>,
    /// (record, rule, key) for records linked for the first time.
    pub keys: Vec<(Uuid, i32, i64)>,
    pub linked: Vec<Uuid>,
    /// (record a, record b, weight, probability), a < b.
    pub reviews: Vec<(Uuid, Uuid, f64, f64)>,
    pub replace_open_reviews: bool,
    /// The trained model as JSON, and how many records it was trained on.
    pub model: Option<(String, i64)>,
}

pub(crate) async fn write(
    tx: &mut Tx,
    tenant: &TenantCode,
    w: &LinkWrite,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let t = tenant.as_str().to_owned();
    for chunk in w.new_persons.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO persons (tenant_code, id, created_at) ");
        qb.push_values(chunk, |mut b, id| {
            b.push_bind(t.clone()).push_bind(*id).push_bind(now);
        });
        qb.build().execute(&mut **tx).await?;
    }
    if !w.moves.is_empty() {
        sqlx::query(
            "INSERT INTO person_changes (tenant_code, id, kind, made_by, made_at, reason) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&t)
        .bind(w.change_id)
        .bind(w.kind)
        .bind(w.made_by)
        .bind(now)
        .bind(&w.reason)
        .execute(&mut **tx)
        .await?;
        for chunk in w.moves.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO person_change_moves (tenant_code, change_id, source_record_id, from_person, to_person) ",
            );
            qb.push_values(chunk, |mut b, (record, from, to)| {
                b.push_bind(t.clone())
                    .push_bind(w.change_id)
                    .push_bind(*record)
                    .push_bind(*from)
                    .push_bind(*to);
            });
            qb.build().execute(&mut **tx).await?;
        }
        apply_moves(tx, tenant, w.change_id).await?;
    }
    for chunk in w.keys.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO link_keys (tenant_code, rule, key, source_record_id) ",
        );
        qb.push_values(chunk, |mut b, (record, rule, key)| {
            b.push_bind(t.clone())
                .push_bind(*rule)
                .push_bind(*key)
                .push_bind(*record);
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut **tx).await?;
    }
    for chunk in w.linked.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new("UPDATE source_records SET linked_at = ");
        qb.push_bind(now)
            .push(" WHERE tenant_code = ")
            .push_bind(t.clone())
            .push(" AND id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
        qb.build().execute(&mut **tx).await?;
    }
    if w.replace_open_reviews {
        sqlx::query("DELETE FROM link_reviews WHERE tenant_code = $1 AND status = 'open'")
            .bind(&t)
            .execute(&mut **tx)
            .await?;
    }
    for chunk in w.reviews.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO link_reviews (tenant_code, id, record_a, record_b, weight, probability, status, raised_at) ",
        );
        qb.push_values(chunk, |mut b, (a, c, weight, probability)| {
            b.push_bind(t.clone())
                .push_bind(Uuid::now_v7())
                .push_bind(*a)
                .push_bind(*c)
                .push_bind(*weight)
                .push_bind(*probability)
                .push_bind("open")
                .push_bind(now);
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut **tx).await?;
    }
    if let Some((model, records)) = &w.model {
        sqlx::query("DELETE FROM link_models WHERE tenant_code = $1")
            .bind(&t)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO link_models (tenant_code, model, records, trained_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&t)
        .bind(model)
        .bind(*records)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Points each moved record at its new person, as the change's moves say.
pub(crate) async fn apply_moves(
    tx: &mut Tx,
    tenant: &TenantCode,
    change: Uuid,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE source_records SET person_id = (SELECT m.to_person FROM person_change_moves m \
           WHERE m.tenant_code = source_records.tenant_code AND m.change_id = $1 \
             AND m.source_record_id = source_records.id) \
         WHERE tenant_code = $2 AND id IN (SELECT source_record_id FROM person_change_moves \
           WHERE tenant_code = $2 AND change_id = $1)",
    )
    .bind(change)
    .bind(tenant.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// (record, agency code, record key, person) for every record: for scoring against a known
/// truth.
pub(crate) async fn record_persons(
    conn: &mut Conn,
    tenant: &TenantCode,
) -> Result<Vec<(Uuid, String, String, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT s.id, a.code, s.record_key, s.person_id FROM source_records s \
         JOIN agencies a ON a.id = s.agency_id WHERE s.tenant_code = $1 ORDER BY s.id",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct ReviewRow {
    pub id: Uuid,
    pub record_a: Uuid,
    pub record_b: Uuid,
    pub weight: f64,
    pub probability: f64,
    pub status: String,
}

pub(crate) async fn open_reviews(
    conn: &mut Conn,
    tenant: &TenantCode,
    limit: i64,
) -> Result<Vec<ReviewRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.record_a, r.record_b, r.weight, r.probability, r.status FROM link_reviews r \
         JOIN source_records a ON a.tenant_code = r.tenant_code AND a.id = r.record_a \
         JOIN source_records b ON b.tenant_code = r.tenant_code AND b.id = r.record_b \
         WHERE r.tenant_code = $1 AND r.status = 'open' AND a.person_id <> b.person_id \
         ORDER BY r.probability DESC, r.id LIMIT $2",
    )
    .bind(tenant.as_str())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

pub(crate) async fn review(
    tx: &mut Tx,
    tenant: &TenantCode,
    id: Uuid,
) -> Result<Option<ReviewRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, record_a, record_b, weight, probability, status FROM link_reviews \
         WHERE tenant_code = $1 AND id = $2",
    )
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A pair that is no longer open: its decision, who made it (if a person did) and when.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct DecidedRow {
    pub status: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
}

pub(crate) async fn decided_review(
    conn: &mut Conn,
    tenant: &TenantCode,
    id: Uuid,
) -> Result<Option<DecidedRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.status, u.display_name AS decided_by_name, r.decided_at FROM link_reviews r \
         LEFT JOIN users u ON u.id = r.decided_by \
         WHERE r.tenant_code = $1 AND r.id = $2 AND r.status <> 'open'",
    )
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A record's identity with its agency's name, for a reviewer.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct SideRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub agency_name: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    pub upn: Option<String>,
    pub nhs_number: Option<String>,
    pub postcode: Option<String>,
    pub alias: Option<String>,
}

pub(crate) async fn sides(
    conn: &mut Conn,
    tenant: &TenantCode,
    records: &[Uuid],
) -> Result<Vec<SideRow>, StoreError> {
    fetch_in(
        &mut *conn,
        "SELECT s.id, s.person_id, a.name AS agency_name, s.given_name, s.family_name, \
         s.date_of_birth, s.sex, s.upn, s.nhs_number, s.postcode, s.alias FROM source_records s \
         JOIN agencies a ON a.id = s.agency_id",
        tenant,
        "s.id",
        records,
    )
    .await
}

/// Which records [`persons_of`] reads: one record, or every record of one person.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Records {
    One(Uuid),
    OfPerson(Uuid),
}

/// (record, person) for a record or a person's records, read inside a transaction.
pub(crate) async fn persons_of(
    tx: &mut Tx,
    tenant: &TenantCode,
    which: Records,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let (sql, value) = match which {
        Records::OfPerson(person) => (
            "SELECT id, person_id FROM source_records WHERE tenant_code = $1 AND person_id = $2 ORDER BY id",
            person,
        ),
        Records::One(record) => (
            "SELECT id, person_id FROM source_records WHERE tenant_code = $1 AND id = $2",
            record,
        ),
    };
    Ok(sqlx::query_as(sql)
        .bind(tenant.as_str())
        .bind(value)
        .fetch_all(&mut **tx)
        .await?)
}

/// Whether any record a change moved now belongs to someone other than where it moved it.
pub(crate) async fn moved_since(
    tx: &mut Tx,
    tenant: &TenantCode,
    change: Uuid,
) -> Result<bool, StoreError> {
    let moved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM person_change_moves m JOIN source_records s \
           ON s.tenant_code = m.tenant_code AND s.id = m.source_record_id \
         WHERE m.tenant_code = $1 AND m.change_id = $2 AND s.person_id <> m.to_person",
    )
    .bind(tenant.as_str())
    .bind(change)
    .fetch_one(&mut **tx)
    .await?;
    Ok(moved > 0)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn set_decision(
    tx: &mut Tx,
    tenant: &TenantCode,
    review: Uuid,
    status: &str,
    by: Uuid,
    note: &str,
    change: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE link_reviews SET status = $1, decided_by = $2, decided_at = $3, note = $4, change_id = $5 \
         WHERE tenant_code = $6 AND id = $7",
    )
    .bind(status)
    .bind(by)
    .bind(now)
    .bind(note)
    .bind(change)
    .bind(tenant.as_str())
    .bind(review)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records decisions a change made ("same" for a merge, "different" for a split), so later
/// linking runs obey them and undoing the change withdraws them. A decision about a pair
/// already decided replaces it and takes a new id, so the newest decision sorts last (ids
/// are time-ordered) even when two are made in the same instant.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_decisions(
    tx: &mut Tx,
    tenant: &TenantCode,
    pairs: &[(Uuid, Uuid)],
    status: &str,
    by: Uuid,
    note: &str,
    change: Uuid,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for (a, b) in pairs {
        sqlx::query(
            "INSERT INTO link_reviews (tenant_code, id, record_a, record_b, weight, probability, status, raised_at, decided_by, decided_at, note, change_id) \
             VALUES ($1, $2, $3, $4, 0, 0, $9, $5, $6, $5, $7, $8) \
             ON CONFLICT (tenant_code, record_a, record_b) DO UPDATE SET id = $2, status = $9, \
               decided_by = $6, decided_at = $5, note = $7, change_id = $8",
        )
        .bind(tenant.as_str())
        .bind(Uuid::now_v7())
        .bind(*a)
        .bind(*b)
        .bind(now)
        .bind(by)
        .bind(note)
        .bind(change)
        .bind(status)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct ChangeRow {
    pub id: Uuid,
    pub kind: String,
    pub made_at: OffsetDateTime,
    pub reason: String,
    pub made_by_name: Option<String>,
    pub undone_by: Option<Uuid>,
    pub moves: i64,
}

/// Merges, splits and undos that moved records into or out of `person`, newest first.
pub(crate) async fn changes_of(
    conn: &mut Conn,
    tenant: &TenantCode,
    person: Uuid,
) -> Result<Vec<ChangeRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.kind, c.made_at, c.reason, u.display_name AS made_by_name, c.undone_by, \
                (SELECT count(*) FROM person_change_moves m2 WHERE m2.tenant_code = c.tenant_code AND m2.change_id = c.id) AS moves \
         FROM person_changes c LEFT JOIN users u ON u.id = c.made_by \
         WHERE c.tenant_code = $1 AND c.kind IN ('merge', 'split', 'undo') AND EXISTS ( \
           SELECT 1 FROM person_change_moves m WHERE m.tenant_code = c.tenant_code AND m.change_id = c.id \
             AND (m.from_person = $2 OR m.to_person = $2)) \
         ORDER BY c.made_at DESC, c.id DESC LIMIT 50",
    )
    .bind(tenant.as_str())
    .bind(person)
    .fetch_all(&mut *conn)
    .await?)
}

/// A change's kind, whether it was undone, and its moves (record, from, to).
pub(crate) async fn change(
    tx: &mut Tx,
    tenant: &TenantCode,
    id: Uuid,
) -> Result<Option<(String, Option<Uuid>, Vec<(Uuid, Uuid, Uuid)>)>, StoreError> {
    let head: Option<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT kind, undone_by FROM person_changes WHERE tenant_code = $1 AND id = $2",
    )
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((kind, undone_by)) = head else {
        return Ok(None);
    };
    let moves: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "SELECT source_record_id, from_person, to_person FROM person_change_moves \
         WHERE tenant_code = $1 AND change_id = $2 ORDER BY source_record_id",
    )
    .bind(tenant.as_str())
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(Some((kind, undone_by, moves)))
}

/// Marks `id` undone by `undo`, and withdraws the decisions it made: a merge's review goes
/// back to the queue, a split's "different people" decisions are removed.
pub(crate) async fn mark_undone(
    tx: &mut Tx,
    tenant: &TenantCode,
    id: Uuid,
    undo: Uuid,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE person_changes SET undone_by = $1 WHERE tenant_code = $2 AND id = $3")
        .bind(undo)
        .bind(tenant.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE link_reviews SET status = 'open', decided_by = NULL, decided_at = NULL, note = NULL, change_id = NULL \
         WHERE tenant_code = $1 AND change_id = $2 AND probability > 0",
    )
    .bind(tenant.as_str())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM link_reviews WHERE tenant_code = $1 AND change_id = $2")
        .bind(tenant.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
