//! Staff accounts, sign-in throttling, agency API tokens, emergency access and the audit
//! review: the SQL, compiled once per backend like `queries.rs`.

use super::queries::{Tx, parse_roles};
use super::{Db, ROLES_AGGREGATE};
use crate::StoreError;
use crate::model::{
    ApiToken, AuditLine, AuditLines, AuditPage, BreakGlassGrant, SignInAccount, StaffMember,
};
use harbour_domain::{AgencyId, PersonId, TenantCode, UserId};
use sqlx::{AssertSqlSafe, FromRow, Pool};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(FromRow)]
struct StaffRow {
    id: Uuid,
    tenant_code: String,
    agency_id: Uuid,
    agency_name: String,
    email: String,
    display_name: String,
    roles: String,
    disabled: bool,
    password_hash: Option<String>,
    totp_secret: Option<String>,
    totp_last_step: Option<i64>,
}

fn staff_sql(filter: &str) -> String {
    format!(
        "SELECT u.id, u.tenant_code, u.agency_id, a.name AS agency_name, u.email, u.display_name, \
         {ROLES_AGGREGATE} AS roles, (u.disabled_at IS NOT NULL) AS disabled, u.password_hash, \
         u.totp_secret, u.totp_last_step \
         FROM users u JOIN agencies a ON a.id = u.agency_id LEFT JOIN user_roles r ON r.user_id = u.id \
         WHERE {filter} \
         GROUP BY u.id, u.tenant_code, u.agency_id, a.name, u.email, u.display_name, u.disabled_at, \
         u.password_hash, u.totp_secret, u.totp_last_step \
         ORDER BY a.name, u.display_name"
    )
}

impl StaffRow {
    fn into_account(self) -> Result<SignInAccount, StoreError> {
        Ok(SignInAccount {
            staff: StaffMember {
                id: UserId(self.id),
                tenant: TenantCode::parse(&self.tenant_code).map_err(StoreError::corrupt)?,
                agency: AgencyId(self.agency_id),
                agency_name: self.agency_name,
                email: self.email,
                display_name: self.display_name,
                roles: parse_roles(&self.roles)?,
                disabled: self.disabled,
                has_password: self.password_hash.is_some(),
                has_second_factor: self.totp_secret.is_some(),
            },
            password_hash: self.password_hash,
            totp_secret: self.totp_secret,
            totp_last_step: self.totp_last_step.and_then(|s| u64::try_from(s).ok()),
        })
    }
}

/// An account by email (compared without case), disabled or not.
pub(crate) async fn account_by_email(
    pool: &Pool<Db>,
    email: &str,
) -> Result<Option<SignInAccount>, StoreError> {
    sqlx::query_as::<_, StaffRow>(AssertSqlSafe(staff_sql("lower(u.email) = lower($1)")))
        .bind(email.trim())
        .fetch_optional(pool)
        .await?
        .map(StaffRow::into_account)
        .transpose()
}

pub(crate) async fn account_by_id(
    pool: &Pool<Db>,
    user: UserId,
) -> Result<Option<SignInAccount>, StoreError> {
    sqlx::query_as::<_, StaffRow>(AssertSqlSafe(staff_sql("u.id = $1")))
        .bind(user.0)
        .fetch_optional(pool)
        .await?
        .map(StaffRow::into_account)
        .transpose()
}

pub(crate) async fn list_staff(
    pool: &Pool<Db>,
    tenant: &TenantCode,
) -> Result<Vec<StaffMember>, StoreError> {
    sqlx::query_as::<_, StaffRow>(AssertSqlSafe(staff_sql("u.tenant_code = $1")))
        .bind(tenant.as_str())
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| row.into_account().map(|account| account.staff))
        .collect()
}

pub(crate) async fn set_password_hash(
    tx: &mut Tx,
    user: UserId,
    hash: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user.0)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn set_totp_secret(
    tx: &mut Tx,
    user: UserId,
    secret: Option<&str>,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1")
            .bind(user.0)
            .bind(secret)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that a second-factor step was used, if it is newer than the last; false means the
/// code was already used (a replay).
pub(crate) async fn accept_totp_step(
    pool: &Pool<Db>,
    user: UserId,
    step: u64,
) -> Result<bool, StoreError> {
    let step = i64::try_from(step).map_err(StoreError::corrupt)?;
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(user.0)
    .bind(step)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Disables or re-enables an account; disabling ends all its sessions at once.
pub(crate) async fn set_disabled(
    tx: &mut Tx,
    user: UserId,
    disabled_at: Option<OffsetDateTime>,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
        .bind(user.0)
        .bind(disabled_at)
        .execute(&mut **tx)
        .await?;
    if disabled_at.is_some() {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut **tx)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}

// -- sign-in throttling -------------------------------------------------------------------

pub(crate) async fn record_failure(
    pool: &Pool<Db>,
    account: &str,
    client: &str,
    now: OffsetDateTime,
    forget_before: OffsetDateTime,
) -> Result<(), StoreError> {
    // Two statements, not a transaction: forgetting old failures is housekeeping, and the
    // new failure counts whether or not it ran.
    sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
        .bind(forget_before)
        .execute(pool)
        .await?;
    sqlx::query("INSERT INTO sign_in_failures (account_key, client_key, at) VALUES ($1, $2, $3)")
        .bind(account)
        .bind(client)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn failures_since(
    pool: &Pool<Db>,
    account: &str,
    client: &str,
    since: OffsetDateTime,
) -> Result<(Vec<OffsetDateTime>, Vec<OffsetDateTime>), StoreError> {
    let by_account: Vec<(OffsetDateTime,)> =
        sqlx::query_as("SELECT at FROM sign_in_failures WHERE account_key = $1 AND at >= $2")
            .bind(account)
            .bind(since)
            .fetch_all(pool)
            .await?;
    let by_client: Vec<(OffsetDateTime,)> =
        sqlx::query_as("SELECT at FROM sign_in_failures WHERE client_key = $1 AND at >= $2")
            .bind(client)
            .bind(since)
            .fetch_all(pool)
            .await?;
    Ok((
        by_account.into_iter().map(|(t,)| t).collect(),
        by_client.into_iter().map(|(t,)| t).collect(),
    ))
}

pub(crate) async fn clear_account_failures(
    pool: &Pool<Db>,
    account: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE account_key = $1")
        .bind(account)
        .execute(pool)
        .await?;
    Ok(())
}

// -- agency API tokens --------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_api_token(
    tx: &mut Tx,
    id: Uuid,
    tenant: &TenantCode,
    agency: AgencyId,
    label: &str,
    scope: &str,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_tokens (id, tenant_code, agency_id, label, scope, token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(tenant.as_str())
    .bind(agency.0)
    .bind(label)
    .bind(scope)
    .bind(token_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct TokenRow {
    id: Uuid,
    tenant_code: String,
    agency_id: Uuid,
    agency_name: String,
    label: String,
    scope: String,
    created_at: OffsetDateTime,
    revoked_at: Option<OffsetDateTime>,
}

impl TokenRow {
    fn into_token(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: self.id,
            tenant: TenantCode::parse(&self.tenant_code).map_err(StoreError::corrupt)?,
            agency: AgencyId(self.agency_id),
            agency_name: self.agency_name,
            label: self.label,
            scope: self.scope,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        })
    }
}

const TOKEN_COLUMNS: &str = "t.id, t.tenant_code, t.agency_id, a.name AS agency_name, t.label, t.scope, t.created_at, t.revoked_at \
     FROM api_tokens t JOIN agencies a ON a.id = t.agency_id";

/// A live (not revoked) token by its hash.
pub(crate) async fn api_token_by_hash(
    pool: &Pool<Db>,
    hash: &str,
) -> Result<Option<ApiToken>, StoreError> {
    sqlx::query_as::<_, TokenRow>(AssertSqlSafe(format!(
        "SELECT {TOKEN_COLUMNS} WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
    )))
    .bind(hash)
    .fetch_optional(pool)
    .await?
    .map(TokenRow::into_token)
    .transpose()
}

pub(crate) async fn list_api_tokens(
    pool: &Pool<Db>,
    tenant: &TenantCode,
) -> Result<Vec<ApiToken>, StoreError> {
    sqlx::query_as::<_, TokenRow>(AssertSqlSafe(format!(
        "SELECT {TOKEN_COLUMNS} WHERE t.tenant_code = $1 ORDER BY a.name, t.created_at"
    )))
    .bind(tenant.as_str())
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(TokenRow::into_token)
    .collect()
}

/// The local authority and agency of a live token.
pub(crate) async fn api_token_owner(
    pool: &Pool<Db>,
    id: Uuid,
) -> Result<Option<(TenantCode, AgencyId)>, StoreError> {
    let row: Option<(String, Uuid)> = sqlx::query_as(
        "SELECT tenant_code, agency_id FROM api_tokens WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|(tenant, agency)| {
        Ok((
            TenantCode::parse(&tenant).map_err(StoreError::corrupt)?,
            AgencyId(agency),
        ))
    })
    .transpose()
}

pub(crate) async fn revoke_api_token(
    tx: &mut Tx,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<(TenantCode, AgencyId)>, StoreError> {
    let row: Option<(String, Uuid)> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING tenant_code, agency_id",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|(tenant, agency)| {
        Ok((
            TenantCode::parse(&tenant).map_err(StoreError::corrupt)?,
            AgencyId(agency),
        ))
    })
    .transpose()
}

// -- emergency access -----------------------------------------------------------------------

/// Persons with a source record carrying exactly this UPN or NHS number.
pub(crate) async fn persons_by_identifier(
    tx: &mut Tx,
    tenant: &TenantCode,
    column_is_upn: bool,
    value: &str,
) -> Result<Vec<PersonId>, StoreError> {
    let sql = if column_is_upn {
        "SELECT DISTINCT person_id FROM source_records WHERE tenant_code = $1 AND upn = $2"
    } else {
        "SELECT DISTINCT person_id FROM source_records WHERE tenant_code = $1 AND nhs_number = $2"
    };
    let rows: Vec<(Uuid,)> = sqlx::query_as(sql)
        .bind(tenant.as_str())
        .bind(value)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|(id,)| PersonId(id)).collect())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_grant(
    tx: &mut Tx,
    id: Uuid,
    tenant: &TenantCode,
    user: UserId,
    person: PersonId,
    reason: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO break_glass (tenant_code, id, user_id, person_id, reason, granted_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant.as_str())
    .bind(id)
    .bind(user.0)
    .bind(person.0)
    .bind(reason)
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct GrantRow {
    id: Uuid,
    user_id: Uuid,
    user_name: String,
    agency_name: String,
    person_id: Uuid,
    reason: String,
    granted_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    reviewed_at: Option<OffsetDateTime>,
    reviewer_name: Option<String>,
    review_outcome: Option<String>,
    review_note: Option<String>,
}

/// Emergency-access grants, those awaiting review first, newest first.
pub(crate) async fn list_grants(
    tx: &mut Tx,
    tenant: &TenantCode,
    limit: i64,
) -> Result<Vec<BreakGlassGrant>, StoreError> {
    let rows: Vec<GrantRow> = sqlx::query_as(
        "SELECT g.id, g.user_id, u.display_name AS user_name, a.name AS agency_name, g.person_id, g.reason, \
         g.granted_at, g.expires_at, g.reviewed_at, rv.display_name AS reviewer_name, g.review_outcome, g.review_note \
         FROM break_glass g JOIN users u ON u.id = g.user_id JOIN agencies a ON a.id = u.agency_id \
         LEFT JOIN users rv ON rv.id = g.reviewed_by \
         WHERE g.tenant_code = $1 \
         ORDER BY (g.reviewed_at IS NULL) DESC, g.granted_at DESC LIMIT $2",
    )
    .bind(tenant.as_str())
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| BreakGlassGrant {
            id: row.id,
            user: UserId(row.user_id),
            user_name: row.user_name,
            agency_name: row.agency_name,
            person: PersonId(row.person_id),
            reason: row.reason,
            granted_at: row.granted_at,
            expires_at: row.expires_at,
            reviewed_at: row.reviewed_at,
            reviewer_name: row.reviewer_name,
            review_outcome: row.review_outcome,
            review_note: row.review_note,
        })
        .collect())
}

/// Records the review of a grant not yet reviewed; false if there is no such grant waiting.
pub(crate) async fn review_grant(
    tx: &mut Tx,
    tenant: &TenantCode,
    id: Uuid,
    reviewer: UserId,
    outcome: &str,
    note: &str,
    now: OffsetDateTime,
) -> Result<Option<PersonId>, StoreError> {
    let row: Option<(Uuid,)> = sqlx::query_as(
        "UPDATE break_glass SET reviewed_at = $4, reviewed_by = $3, review_outcome = $5, review_note = $6 \
         WHERE tenant_code = $1 AND id = $2 AND reviewed_at IS NULL RETURNING person_id",
    )
    .bind(tenant.as_str())
    .bind(id)
    .bind(reviewer.0)
    .bind(now)
    .bind(outcome)
    .bind(note)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(person,)| PersonId(person)))
}

// -- the audit, as the data-protection officer reads it -------------------------------------

#[derive(FromRow)]
struct AuditLineRow {
    seq: i64,
    at: OffsetDateTime,
    user_name: Option<String>,
    agency_name: Option<String>,
    action: String,
    purpose: String,
    outcome: String,
    detail: String,
}

impl From<AuditLineRow> for AuditLine {
    fn from(row: AuditLineRow) -> Self {
        AuditLine {
            seq: row.seq,
            at: row.at,
            user_name: row.user_name,
            agency_name: row.agency_name,
            action: row.action,
            purpose: row.purpose,
            outcome: row.outcome,
            detail: row.detail,
        }
    }
}

const AUDIT_LINE_COLUMNS: &str = "a.seq, a.at, u.display_name AS user_name, ag.name AS agency_name, a.action, a.purpose, a.outcome, a.detail \
     FROM audit a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN agencies ag ON ag.id = a.agency_id";

/// A page's offset and limit as the databases take them.
fn bounds(page: AuditPage) -> (i64, i64) {
    (
        i64::try_from(page.offset).unwrap_or(i64::MAX),
        i64::try_from(page.limit).unwrap_or(i64::MAX),
    )
}

/// One page of the audit entries that concern this child, newest first, and how many there
/// are in all.
pub(crate) async fn audit_for_person(
    tx: &mut Tx,
    tenant: &TenantCode,
    person: PersonId,
    page: AuditPage,
) -> Result<AuditLines, StoreError> {
    let (offset, limit) = bounds(page);
    let (total,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM audit_subjects WHERE tenant_code = $1 AND person_id = $2",
    )
    .bind(tenant.as_str())
    .bind(person.0)
    .fetch_one(&mut **tx)
    .await?;
    let rows: Vec<AuditLineRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {AUDIT_LINE_COLUMNS} JOIN audit_subjects s ON s.tenant_code = a.tenant_code AND s.seq = a.seq \
         WHERE s.tenant_code = $1 AND s.person_id = $2 ORDER BY a.seq DESC LIMIT $3 OFFSET $4"
    )))
    .bind(tenant.as_str())
    .bind(person.0)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut **tx)
    .await?;
    Ok(AuditLines {
        total: u64::try_from(total).unwrap_or_default(),
        lines: rows.into_iter().map(AuditLine::from).collect(),
    })
}

/// A person's name as their first source record gives it, for the audit review.
pub(crate) async fn person_name(
    tx: &mut Tx,
    tenant: &TenantCode,
    person: PersonId,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT given_name, family_name FROM source_records \
         WHERE tenant_code = $1 AND person_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(tenant.as_str())
    .bind(person.0)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(given, family)| format!("{given} {family}")))
}

/// One page of the refused attempts, newest first, and how many there are in all.
pub(crate) async fn denied_entries(
    tx: &mut Tx,
    tenant: &TenantCode,
    page: AuditPage,
) -> Result<AuditLines, StoreError> {
    let (offset, limit) = bounds(page);
    let (total,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM audit WHERE tenant_code = $1 AND outcome = 'denied'")
            .bind(tenant.as_str())
            .fetch_one(&mut **tx)
            .await?;
    let rows: Vec<AuditLineRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {AUDIT_LINE_COLUMNS} WHERE a.tenant_code = $1 AND a.outcome = 'denied' ORDER BY a.seq DESC LIMIT $2 OFFSET $3"
    )))
    .bind(tenant.as_str())
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut **tx)
    .await?;
    Ok(AuditLines {
        total: u64::try_from(total).unwrap_or_default(),
        lines: rows.into_iter().map(AuditLine::from).collect(),
    })
}

// -- tenants and agencies, for the command line -------------------------------------------

pub(crate) async fn tenants(pool: &Pool<Db>) -> Result<Vec<(TenantCode, String)>, StoreError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM tenants ORDER BY code")
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(code, name)| Ok((TenantCode::parse(&code).map_err(StoreError::corrupt)?, name)))
        .collect()
}
