//! Storing feed rows: identity records, event versions and the quarantine. Compiled once per
//! backend like `queries.rs`.

use super::Db;
use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::model::{FeedIdentity, ImportCounts, ImportRow, QuarantineEntry, QuarantineRow};
use harbour_domain::{AgencyId, TenantCode};
use sqlx::{FromRow, QueryBuilder};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

/// Values per `IN (…)` list: well inside both databases' limits on bound values.
const CHUNK: usize = 500;

/// A source record a batch creates.
pub(crate) struct NewRecord<'a> {
    pub id: Uuid,
    pub person: Uuid,
    pub identity: &'a FeedIdentity,
}

/// An event version a batch stores.
pub(crate) struct NewEvent<'a> {
    pub record: Uuid,
    pub version: i32,
    pub hash: String,
    pub row: &'a ImportRow,
}

/// Stores valid rows and quarantined ones, in the caller's transaction. Existing records,
/// people and event versions are looked up for the whole batch at once and new rows are
/// written by the backend's bulk writer (`COPY` on PostgreSQL, multi-row inserts on
/// SQLite): a handful of statements per batch rather than per row.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn store_rows(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: AgencyId,
    feed: &str,
    file_name: &str,
    rows: &[ImportRow],
    rejected: &[QuarantineRow],
    now: OffsetDateTime,
) -> Result<ImportCounts, StoreError> {
    let mut counts = ImportCounts {
        read: (rows.len() + rejected.len()) as u64,
        rejected: rejected.len() as u64,
        ..ImportCounts::default()
    };

    // 1. Which of the batch's people this agency already holds a record of.
    let mut keys: Vec<String> = rows.iter().map(|r| r.identity.record_key.clone()).collect();
    keys.sort();
    keys.dedup();
    let mut records: HashMap<String, Uuid> = super::bulk::lookup::<(String, Uuid)>(
        tx,
        "SELECT record_key, id FROM source_records",
        tenant,
        Some(agency),
        "record_key",
        &keys,
    )
    .await?
    .into_iter()
    .collect();

    // 2. New records join a person by exact UPN or NHS number (until identity resolution
    //    links them properly), including people first seen earlier in this same batch.
    let new_rows: Vec<&ImportRow> = {
        let mut seen = HashSet::new();
        rows.iter()
            .filter(|r| {
                !records.contains_key(&r.identity.record_key)
                    && seen.insert(r.identity.record_key.clone())
            })
            .collect()
    };
    let upns: Vec<String> = new_rows
        .iter()
        .filter_map(|r| r.identity.upn.as_ref().map(|u| u.as_str().to_owned()))
        .collect();
    let nhs_numbers: Vec<String> = new_rows
        .iter()
        .filter_map(|r| {
            r.identity
                .nhs_number
                .as_ref()
                .map(|n| n.as_str().to_owned())
        })
        .collect();
    let mut by_upn: HashMap<String, Uuid> = super::bulk::lookup::<(String, Uuid)>(
        tx,
        "SELECT upn, person_id FROM source_records",
        tenant,
        None,
        "upn",
        &upns,
    )
    .await?
    .into_iter()
    .collect();
    let mut by_nhs: HashMap<String, Uuid> = super::bulk::lookup::<(String, Uuid)>(
        tx,
        "SELECT nhs_number, person_id FROM source_records",
        tenant,
        None,
        "nhs_number",
        &nhs_numbers,
    )
    .await?
    .into_iter()
    .collect();
    let mut new_persons = Vec::new();
    let mut new_records = Vec::new();
    for row in new_rows {
        let identity = &row.identity;
        let upn = identity.upn.as_ref().map(|u| u.as_str().to_owned());
        let nhs = identity.nhs_number.as_ref().map(|n| n.as_str().to_owned());
        let known = upn
            .as_ref()
            .and_then(|u| by_upn.get(u))
            .or_else(|| nhs.as_ref().and_then(|n| by_nhs.get(n)))
            .copied();
        let person = known.unwrap_or_else(|| {
            let id = Uuid::now_v7();
            new_persons.push(id);
            id
        });
        if let Some(upn) = upn {
            by_upn.entry(upn).or_insert(person);
        }
        if let Some(nhs) = nhs {
            by_nhs.entry(nhs).or_insert(person);
        }
        let id = Uuid::now_v7();
        records.insert(identity.record_key.clone(), id);
        new_records.push(NewRecord {
            id,
            person,
            identity,
        });
    }
    super::bulk::persons(tx, tenant, &new_persons, now).await?;
    super::bulk::records(tx, tenant, agency, &new_records, now).await?;

    // 3. The newest stored version of each of the batch's events.
    let mut event_keys: Vec<String> = rows.iter().map(|r| r.event.event_key.clone()).collect();
    event_keys.sort();
    event_keys.dedup();
    let mut latest: HashMap<String, (i32, String)> = HashMap::new();
    for (key, version, hash) in super::bulk::lookup::<(String, i32, String)>(
        tx,
        "SELECT record_key, version, content_hash FROM events",
        tenant,
        Some(agency),
        "record_key",
        &event_keys,
    )
    .await?
    {
        let newest = latest.entry(key).or_insert((0, String::new()));
        if version > newest.0 {
            *newest = (version, hash);
        }
    }

    // 4. New, corrected or repeated: decided in file order, so a key repeated within the
    //    batch is handled as if the rows had come one at a time.
    let mut new_events = Vec::new();
    for row in rows {
        let hash = row.content_hash().to_owned();
        let version = match latest.get(&row.event.event_key) {
            Some((_, stored)) if *stored == hash => {
                counts.duplicate += 1;
                continue;
            }
            Some((version, _)) => {
                counts.superseded += 1;
                version + 1
            }
            None => {
                counts.accepted += 1;
                1
            }
        };
        latest.insert(row.event.event_key.clone(), (version, hash.clone()));
        let record = records
            .get(&row.identity.record_key)
            .copied()
            .ok_or_else(|| StoreError::corrupt("a batch row lost its record"))?;
        new_events.push(NewEvent {
            record,
            version,
            hash,
            row,
        });
    }
    super::bulk::events(tx, tenant, agency, &new_events, now).await?;

    for q in rejected {
        // Re-sending a file quarantines its bad rows once, not again each time.
        sqlx::query(
            "INSERT INTO quarantine (tenant_code, id, agency_id, feed, file_name, line, record_key, field, value, reason, raw, received_at, event_key) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
             WHERE NOT EXISTS (SELECT 1 FROM quarantine WHERE tenant_code = $1 AND agency_id = $3 AND file_name = $5 \
                               AND line = $6 AND raw = $11 AND reason = $10 AND resolved_at IS NULL)",
        )
        .bind(tenant.as_str())
        .bind(Uuid::now_v7())
        .bind(agency.0)
        .bind(feed)
        .bind(file_name)
        .bind(i64::try_from(q.line).unwrap_or(i64::MAX))
        .bind(&q.record_key)
        .bind(&q.field)
        .bind(&q.value)
        .bind(&q.reason)
        .bind(&q.raw)
        .bind(now)
        .bind(&q.event_key)
        .execute(&mut **tx)
        .await?;
    }

    // Rows accepted now (or already stored) close any open quarantine entry for the same
    // event: the agency corrected and resent it. Most batches have nothing open to close.
    let open: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM quarantine WHERE tenant_code = $1 AND agency_id = $2 AND resolved_at IS NULL LIMIT 1",
    )
    .bind(tenant.as_str())
    .bind(agency.0)
    .fetch_optional(&mut **tx)
    .await?;
    if open.is_none() {
        return Ok(counts);
    }
    let stored_keys: Vec<String> = rows
        .iter()
        .map(|r| r.event.event_key.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in stored_keys.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new("UPDATE quarantine SET resolved_at = ");
        qb.push_bind(now)
            .push(" WHERE tenant_code = ")
            .push_bind(tenant.as_str().to_owned());
        qb.push(" AND agency_id = ")
            .push_bind(agency.0)
            .push(" AND resolved_at IS NULL AND event_key IN (");
        let mut list = qb.separated(", ");
        for key in chunk {
            list.push_bind(key.clone());
        }
        list.push_unseparated(")");
        qb.build().execute(&mut **tx).await?;
    }
    Ok(counts)
}

#[derive(FromRow)]
struct QuarantineLine {
    id: Uuid,
    agency_code: String,
    feed: String,
    file_name: String,
    line: i64,
    record_key: String,
    field: String,
    value: String,
    reason: String,
    received_at: OffsetDateTime,
}

/// Open quarantine entries, for one agency or all, oldest first.
pub(crate) async fn quarantine(
    conn: &mut Conn,
    tenant: &TenantCode,
    agency: Option<AgencyId>,
    limit: i64,
) -> Result<Vec<QuarantineEntry>, StoreError> {
    let rows: Vec<QuarantineLine> = sqlx::query_as(
        "SELECT q.id, a.code AS agency_code, q.feed, q.file_name, q.line, q.record_key, q.field, q.value, q.reason, q.received_at \
         FROM quarantine q JOIN agencies a ON a.id = q.agency_id \
         WHERE q.tenant_code = $1 AND q.resolved_at IS NULL AND ($2 IS NULL OR q.agency_id = $2) \
         ORDER BY q.received_at, q.file_name, q.line LIMIT $3",
    )
    .bind(tenant.as_str())
    .bind(agency.map(|a| a.0))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| QuarantineEntry {
            id: r.id,
            agency_code: r.agency_code,
            feed: r.feed,
            file_name: r.file_name,
            line: r.line,
            record_key: r.record_key,
            field: r.field,
            value: r.value,
            reason: r.reason,
            received_at: r.received_at,
        })
        .collect())
}
