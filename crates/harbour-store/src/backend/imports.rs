//! Storing feed rows: identity records, event versions and the quarantine. Compiled once per
//! backend like `queries.rs`.

use super::Db;
use super::queries::Tx;
use crate::StoreError;
use crate::model::{ImportCounts, ImportRow, QuarantineEntry, QuarantineRow};
use harbour_domain::{AgencyId, TenantCode};
use sqlx::{FromRow, Pool, QueryBuilder};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

/// A stable hash of what a row says about its event: equal hashes mean nothing changed.
fn content_hash(row: &ImportRow) -> String {
    use sha2::{Digest, Sha256};
    let e = &row.event;
    let text = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        e.kind.as_str(),
        e.occurred_on,
        e.handling.as_str(),
        e.summary,
        e.details
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Rows per multi-row statement: well inside both databases' limits on bound values.
const CHUNK: usize = 500;

/// `SELECT {columns} FROM {table} WHERE tenant_code = .. [AND agency_id = ..] AND {column} IN (..)`
/// for each chunk of `values`, gathered.
async fn lookup<T>(
    tx: &mut Tx,
    select: &str,
    tenant: &TenantCode,
    agency: Option<AgencyId>,
    column: &str,
    values: &[String],
) -> Result<Vec<T>, StoreError>
where
    T: for<'r> FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
{
    let mut found = Vec::new();
    for chunk in values.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(select);
        qb.push(" WHERE tenant_code = ")
            .push_bind(tenant.as_str().to_owned());
        if let Some(agency) = agency {
            qb.push(" AND agency_id = ").push_bind(agency.0);
        }
        qb.push(format!(" AND {column} IN ("));
        let mut list = qb.separated(", ");
        for value in chunk {
            list.push_bind(value.clone());
        }
        list.push_unseparated(")");
        found.extend(qb.build_query_as::<T>().fetch_all(&mut **tx).await?);
    }
    Ok(found)
}

/// Stores valid rows and quarantined ones, in the caller's transaction. Existing records,
/// people and event versions are looked up for the whole batch at once and new rows are
/// written with multi-row inserts: a handful of statements per batch rather than per row.
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
    let mut records: HashMap<String, Uuid> = lookup::<(String, Uuid)>(
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
    let mut by_upn: HashMap<String, Uuid> = lookup::<(String, Uuid)>(
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
    let mut by_nhs: HashMap<String, Uuid> = lookup::<(String, Uuid)>(
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
        new_records.push((id, person, identity));
    }
    for chunk in new_persons.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO persons (tenant_code, id, created_at) ");
        qb.push_values(chunk, |mut b, id| {
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(*id)
                .push_bind(now);
        });
        qb.build().execute(&mut **tx).await?;
    }
    for chunk in new_records.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO source_records (tenant_code, id, agency_id, record_key, person_id, given_name, \
             family_name, date_of_birth, sex, upn, nhs_number, postcode, recorded_at) ",
        );
        qb.push_values(chunk, |mut b, (id, person, identity)| {
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(*id)
                .push_bind(agency.0)
                .push_bind(identity.record_key.clone())
                .push_bind(*person)
                .push_bind(identity.given_name.clone())
                .push_bind(identity.family_name.clone())
                .push_bind(identity.date_of_birth)
                .push_bind(identity.sex.clone())
                .push_bind(identity.upn.as_ref().map(|u| u.as_str().to_owned()))
                .push_bind(identity.nhs_number.as_ref().map(|n| n.as_str().to_owned()))
                .push_bind(identity.postcode.as_ref().map(|p| p.as_str().to_owned()))
                .push_bind(now);
        });
        qb.build().execute(&mut **tx).await?;
    }

    // 3. The newest stored version of each of the batch's events.
    let mut event_keys: Vec<String> = rows.iter().map(|r| r.event.event_key.clone()).collect();
    event_keys.sort();
    event_keys.dedup();
    let mut latest: HashMap<String, (i32, String)> = HashMap::new();
    for (key, version, hash) in lookup::<(String, i32, String)>(
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
        let hash = content_hash(row);
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
        new_events.push((record, version, hash, row));
    }
    for chunk in new_events.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO events (tenant_code, id, source_record_id, agency_id, record_key, version, kind, occurred_on, \
             recorded_at, handling, summary, details, content_hash) ",
        );
        qb.push_values(chunk, |mut b, (record, version, hash, row)| {
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(Uuid::now_v7())
                .push_bind(*record)
                .push_bind(agency.0)
                .push_bind(row.event.event_key.clone())
                .push_bind(*version)
                .push_bind(row.event.kind.as_str())
                .push_bind(row.event.occurred_on)
                .push_bind(now)
                .push_bind(row.event.handling.as_str())
                .push_bind(row.event.summary.clone())
                .push_bind(row.event.details.to_string())
                .push_bind(hash.clone());
        });
        qb.build().execute(&mut **tx).await?;
    }

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
    // event: the agency corrected and resent it.
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
    pool: &Pool<Db>,
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
    .fetch_all(pool)
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
