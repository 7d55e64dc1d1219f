//! Storing feed rows: identity records, event versions and the quarantine. Compiled once per
//! backend like `queries.rs`.

use super::Db;
use super::queries::Tx;
use crate::StoreError;
use crate::model::{ImportCounts, ImportRow, QuarantineEntry, QuarantineRow};
use harbour_domain::{AgencyId, PersonId, TenantCode};
use sqlx::{FromRow, Pool};
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

/// The person a new source record belongs to: until identity resolution runs, only an exact
/// UPN or NHS number joins records; anything else starts a person of its own.
async fn person_for(
    tx: &mut Tx,
    tenant: &TenantCode,
    row: &ImportRow,
    now: OffsetDateTime,
) -> Result<PersonId, StoreError> {
    let identity = &row.identity;
    if let Some(upn) = &identity.upn {
        let found: Option<(Uuid,)> = sqlx::query_as(
            "SELECT person_id FROM source_records WHERE tenant_code = $1 AND upn = $2 LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(upn.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some((person,)) = found {
            return Ok(PersonId(person));
        }
    }
    if let Some(nhs) = &identity.nhs_number {
        let found: Option<(Uuid,)> = sqlx::query_as("SELECT person_id FROM source_records WHERE tenant_code = $1 AND nhs_number = $2 LIMIT 1")
            .bind(tenant.as_str())
            .bind(nhs.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        if let Some((person,)) = found {
            return Ok(PersonId(person));
        }
    }
    let person = PersonId::new_v7();
    sqlx::query("INSERT INTO persons (tenant_code, id, created_at) VALUES ($1, $2, $3)")
        .bind(tenant.as_str())
        .bind(person.0)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(person)
}

/// Stores valid rows and quarantined ones, in the caller's transaction.
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
    for row in rows {
        let identity = &row.identity;
        let existing: Option<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM source_records WHERE tenant_code = $1 AND agency_id = $2 AND record_key = $3",
        )
        .bind(tenant.as_str())
        .bind(agency.0)
        .bind(&identity.record_key)
        .fetch_optional(&mut **tx)
        .await?;
        let source_record = match existing {
            Some((id,)) => id,
            None => {
                let person = person_for(tx, tenant, row, now).await?;
                let id = Uuid::now_v7();
                sqlx::query(
                    "INSERT INTO source_records (tenant_code, id, agency_id, record_key, person_id, given_name, \
                     family_name, date_of_birth, sex, upn, nhs_number, postcode, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(tenant.as_str())
                .bind(id)
                .bind(agency.0)
                .bind(&identity.record_key)
                .bind(person.0)
                .bind(&identity.given_name)
                .bind(&identity.family_name)
                .bind(identity.date_of_birth)
                .bind(identity.sex.as_deref())
                .bind(identity.upn.as_ref().map(|u| u.as_str()))
                .bind(identity.nhs_number.as_ref().map(|n| n.as_str()))
                .bind(identity.postcode.as_ref().map(|p| p.as_str()))
                .bind(now)
                .execute(&mut **tx)
                .await?;
                id
            }
        };

        let hash = content_hash(row);
        let latest: Option<(i32, String)> = sqlx::query_as(
            "SELECT version, content_hash FROM events WHERE tenant_code = $1 AND agency_id = $2 AND record_key = $3 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(agency.0)
        .bind(&row.event.event_key)
        .fetch_optional(&mut **tx)
        .await?;
        let version = match latest {
            Some((_, stored)) if stored == hash => {
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
        sqlx::query(
            "INSERT INTO events (tenant_code, id, source_record_id, agency_id, record_key, version, kind, occurred_on, \
             recorded_at, handling, summary, details, content_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(tenant.as_str())
        .bind(Uuid::now_v7())
        .bind(source_record)
        .bind(agency.0)
        .bind(&row.event.event_key)
        .bind(version)
        .bind(row.event.kind.as_str())
        .bind(row.event.occurred_on)
        .bind(now)
        .bind(row.event.handling.as_str())
        .bind(&row.event.summary)
        .bind(row.event.details.to_string())
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    }
    for q in rejected {
        // Re-sending a file quarantines its bad rows once, not again each time.
        sqlx::query(
            "INSERT INTO quarantine (tenant_code, id, agency_id, feed, file_name, line, record_key, field, value, reason, raw, received_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
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
        .execute(&mut **tx)
        .await?;
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
