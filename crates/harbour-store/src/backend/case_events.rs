//! SQL for workflow history (`case_events`): one fact per change of state, append-only.
//! Compiled once per backend like `queries.rs`; every workflow writes through here.

use super::Db;
use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::case_events::{CaseEvent, NewCaseEvent};
use harbour_domain::{PersonId, TenantCode, UserId};
use sqlx::{FromRow, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

/// Appends `facts` in the caller's transaction, so a change of state and its history are
/// stored together or not at all.
pub(crate) async fn append(
    tx: &mut Tx,
    tenant: &TenantCode,
    facts: &[NewCaseEvent],
) -> Result<(), StoreError> {
    for chunk in facts.chunks(500) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO case_events (tenant_code, id, person_id, workflow, record_id, action, at, by_user, detail) ",
        );
        qb.push_values(chunk, |mut b, f| {
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(Uuid::now_v7())
                .push_bind(f.person.0)
                .push_bind(f.workflow)
                .push_bind(f.record)
                .push_bind(f.action.clone())
                .push_bind(f.at)
                .push_bind(f.by.map(|u| u.0))
                .push_bind(f.detail.clone());
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

#[derive(FromRow)]
struct Row {
    person_id: Uuid,
    record_id: Uuid,
    action: String,
    at: OffsetDateTime,
    by_user: Option<Uuid>,
    by_name: Option<String>,
    detail: String,
}

/// One record's history, oldest first.
pub(crate) async fn of_record(
    conn: &mut Conn,
    tenant: &TenantCode,
    workflow: &str,
    record: Uuid,
) -> Result<Vec<CaseEvent>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.person_id, c.record_id, c.action, c.at, c.by_user, u.display_name AS by_name, c.detail \
         FROM case_events c LEFT JOIN users u ON u.id = c.by_user \
         WHERE c.tenant_code = $1 AND c.workflow = $2 AND c.record_id = $3 ORDER BY c.at, c.id",
    )
    .bind(tenant.as_str())
    .bind(workflow)
    .bind(record)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CaseEvent {
            person: PersonId(r.person_id),
            record: r.record_id,
            action: r.action,
            at: r.at,
            by: r.by_user.map(UserId),
            by_name: r.by_name,
            detail: r.detail,
        })
        .collect())
}
