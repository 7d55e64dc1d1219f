//! Writing a batch's new rows on SQLite: multi-row `INSERT`s, a few hundred rows per
//! statement (well inside SQLite's limit on bound values). SQLite has no `COPY`; one
//! statement per chunk instead of per row is what makes the embedded store fast.

use super::Db;
use super::imports::{NewEvent, NewRecord};
use super::queries::Tx;
use crate::StoreError;
use harbour_domain::{AgencyId, TenantCode};
use sqlx::{FromRow, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

/// Rows per multi-row statement, and values per `IN (…)` list.
const CHUNK: usize = 500;

/// `SELECT {columns} FROM {table} WHERE tenant_code = .. [AND agency_id = ..] AND {column} IN (..)`
/// for each chunk of `values`, gathered.
pub(crate) async fn lookup<T>(
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

pub(crate) async fn persons(
    tx: &mut Tx,
    tenant: &TenantCode,
    ids: &[Uuid],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO persons (tenant_code, id, created_at) ");
        qb.push_values(chunk, |mut b, id| {
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(*id)
                .push_bind(now);
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

pub(crate) async fn records(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: AgencyId,
    records: &[NewRecord<'_>],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for chunk in records.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO source_records (tenant_code, id, agency_id, record_key, person_id, given_name, \
             family_name, date_of_birth, sex, upn, nhs_number, postcode, alias, recorded_at) ",
        );
        qb.push_values(chunk, |mut b, record| {
            let identity = record.identity;
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(record.id)
                .push_bind(agency.0)
                .push_bind(identity.record_key.clone())
                .push_bind(record.person)
                .push_bind(identity.given_name.clone())
                .push_bind(identity.family_name.clone())
                .push_bind(identity.date_of_birth)
                .push_bind(identity.sex.clone())
                .push_bind(identity.upn.as_ref().map(|u| u.as_str().to_owned()))
                .push_bind(identity.nhs_number.as_ref().map(|n| n.as_str().to_owned()))
                .push_bind(identity.postcode.as_ref().map(|p| p.as_str().to_owned()))
                .push_bind(identity.alias.clone())
                .push_bind(now);
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

pub(crate) async fn events(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: AgencyId,
    events: &[NewEvent<'_>],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for chunk in events.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO events (tenant_code, id, source_record_id, agency_id, record_key, version, kind, occurred_on, \
             recorded_at, handling, summary, details, content_hash, about_school) ",
        );
        qb.push_values(chunk, |mut b, new| {
            let event = &new.row.event;
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(Uuid::now_v7())
                .push_bind(new.record)
                .push_bind(agency.0)
                .push_bind(event.event_key.clone())
                .push_bind(new.version)
                .push_bind(event.kind.as_str())
                .push_bind(event.occurred_on)
                .push_bind(now)
                .push_bind(event.handling.as_str())
                .push_bind(event.summary.clone())
                .push_bind(new.row.details_text().to_owned())
                .push_bind(new.hash.clone())
                .push_bind(event.about_school.as_ref().map(ToString::to_string));
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}
