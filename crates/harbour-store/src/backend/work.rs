//! SQL for the work queue's owners (`task_assignments`; see `work.rs` one level up) and the
//! colleagues a record can be given to. Compiled once per backend like `queries.rs`.

use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::work::{ColleagueRow, NewAssignment, OwnerRow};
use harbour_domain::TenantCode;
use time::OffsetDateTime;
use uuid::Uuid;

/// Appends one assignment: the record's owner from now on.
pub(crate) async fn insert_assignment(
    tx: &mut Tx,
    tenant: &TenantCode,
    a: &NewAssignment<'_>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO task_assignments \
         (tenant_code, id, workflow, record_id, assignee, assigned_by, assigned_at, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.as_str())
    .bind(Uuid::now_v7())
    .bind(a.workflow)
    .bind(a.record)
    .bind(a.assignee)
    .bind(a.by)
    .bind(at)
    .bind(a.note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The owner of every record that has one: each record's latest assignment.
pub(crate) async fn owners(
    conn: &mut Conn,
    tenant: &TenantCode,
) -> Result<Vec<OwnerRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.workflow, t.record_id, t.assignee, u.display_name AS assignee_name \
         FROM task_assignments t JOIN users u ON u.id = t.assignee \
         WHERE t.tenant_code = $1 AND NOT EXISTS (\
           SELECT 1 FROM task_assignments l WHERE l.tenant_code = t.tenant_code \
             AND l.workflow = t.workflow AND l.record_id = t.record_id \
             AND (l.assigned_at > t.assigned_at OR (l.assigned_at = t.assigned_at AND l.id > t.id)))",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

/// Every active member of staff of the tenant, one row per role held.
pub(crate) async fn colleagues(
    conn: &mut Conn,
    tenant: &TenantCode,
) -> Result<Vec<ColleagueRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.display_name, u.agency_id, r.role \
         FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE u.tenant_code = $1 AND u.disabled_at IS NULL \
         ORDER BY u.display_name, u.id, r.role",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *conn)
    .await?)
}
