//! SQL for critical-moment rules: timelines to run them over, alerts, runs. Compiled once
//! per backend like `queries.rs`.

use super::Db;
use super::linking::fetch_in;
use super::queries::{Conn, Tx};
use crate::StoreError;
use crate::alerts::Which;
use crate::timelines::{Builder, EventRow};
use harbour_domain::TenantCode;
use sqlx::{FromRow, QueryBuilder};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// One event version, with the person it belongs to.
#[derive(Debug, FromRow)]
struct RuleEventRow {
    person_id: Uuid,
    id: Uuid,
    agency_id: Uuid,
    record_key: String,
    version: i32,
    kind: String,
    occurred_on: Date,
    summary: String,
    details: String,
    about_school: Option<String>,
}

impl RuleEventRow {
    fn event(&self) -> Option<EventRow<'_>> {
        EventRow::new(
            self.id,
            self.agency_id,
            &self.record_key,
            self.version,
            &self.kind,
            self.occurred_on,
            &self.summary,
            &self.details,
            self.about_school.as_deref(),
        )
    }
}

fn timeline_of(builder: &Builder, person: Uuid, rows: &[RuleEventRow]) -> harbour_rules::Timeline {
    let events: Vec<EventRow<'_>> = rows.iter().filter_map(RuleEventRow::event).collect();
    builder.timeline(person, &events)
}

/// The summary is read only when a condition names it: most rule sets never do, and it is
/// the longest text on most events.
fn event_columns(with_summary: bool) -> String {
    let summary = if with_summary { "e.summary" } else { "''" };
    format!(
        "SELECT s.person_id, e.id, e.agency_id, e.record_key, e.version, e.kind, e.occurred_on, \
         {summary} AS summary, e.details, e.about_school FROM source_records s CROSS JOIN events e"
    )
}

/// The `CROSS JOIN` makes SQLite start from the persons' records (by the person index) and
/// look up each record's events. Left to itself, with planner statistics taken while the
/// tables were small, it scanned the tenant's events for each batch of persons instead:
/// 5 s a batch at county scale. PostgreSQL plans it like any inner join.
const EVENT_JOIN: &str = "e.tenant_code = s.tenant_code AND e.source_record_id = s.id";

async fn builder(
    conn: &mut Conn,
    tenant: &TenantCode,
    persons: Option<&[Uuid]>,
) -> Result<Builder, StoreError> {
    let births: Vec<(Uuid, Option<Date>)> = match persons {
        Some(persons) => {
            fetch_in(
                &mut *conn,
                "SELECT s.person_id, s.date_of_birth FROM source_records s",
                tenant,
                "s.person_id",
                persons,
            )
            .await?
        }
        None => {
            sqlx::query_as(
                "SELECT person_id, date_of_birth FROM source_records WHERE tenant_code = $1",
            )
            .bind(tenant.as_str())
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let agencies: Vec<(Uuid, String, String, Option<String>)> =
        sqlx::query_as("SELECT id, kind, name, school_number FROM agencies WHERE tenant_code = $1")
            .bind(tenant.as_str())
            .fetch_all(&mut *conn)
            .await?;
    Ok(Builder::new(agencies, births))
}

/// The timelines of `persons`, as the rules read them (with each event's summary).
pub(crate) async fn timelines(
    conn: &mut Conn,
    tenant: &TenantCode,
    persons: &[Uuid],
) -> Result<Vec<(Uuid, harbour_rules::Timeline)>, StoreError> {
    use std::collections::HashMap;
    let builder = builder(&mut *conn, tenant, Some(persons)).await?;
    let rows: Vec<RuleEventRow> = fetch_in(
        &mut *conn,
        &format!(
            "{} JOIN agencies a ON a.id = e.agency_id AND {EVENT_JOIN}",
            event_columns(true)
        ),
        tenant,
        "s.person_id",
        persons,
    )
    .await?;
    let mut by_person: HashMap<Uuid, Vec<RuleEventRow>> = HashMap::new();
    for row in rows {
        by_person.entry(row.person_id).or_default().push(row);
    }
    Ok(persons
        .iter()
        .map(|person| {
            let rows = by_person.get(person).map_or(&[][..], Vec::as_slice);
            (*person, timeline_of(&builder, *person, rows))
        })
        .collect())
}

/// Every person's timeline in the tenant, read in one pass ordered by person (the person
/// index gives that order, so nothing is sorted) and handed to `each` `chunk` persons at a
/// time: memory holds one chunk, not the county. For SQLite files the store reads through
/// `sqlite_timelines` instead, which is several times faster; this serves PostgreSQL.
pub(crate) async fn each_timeline_chunk(
    conn: &mut Conn,
    tenant: &TenantCode,
    with_summary: bool,
    chunk: usize,
    mut each: impl FnMut(Vec<(Uuid, harbour_rules::Timeline)>),
) -> Result<(), StoreError> {
    use futures_util::TryStreamExt;
    let builder = builder(&mut *conn, tenant, None).await?;
    let sql = format!(
        "{} WHERE s.tenant_code = $1 AND {EVENT_JOIN} ORDER BY s.person_id",
        event_columns(with_summary)
    );
    let mut rows = sqlx::query_as::<_, RuleEventRow>(sqlx::AssertSqlSafe(sql))
        .bind(tenant.as_str())
        .fetch(&mut *conn);
    let mut batch: Vec<(Uuid, harbour_rules::Timeline)> = Vec::with_capacity(chunk);
    let mut current: Option<(Uuid, Vec<RuleEventRow>)> = None;
    while let Some(row) = rows.try_next().await? {
        match &mut current {
            Some((person, events)) if *person == row.person_id => events.push(row),
            _ => {
                if let Some((p, events)) = current.take() {
                    batch.push((p, timeline_of(&builder, p, &events)));
                    if batch.len() >= chunk {
                        each(std::mem::take(&mut batch));
                    }
                }
                current = Some((row.person_id, vec![row]));
            }
        }
    }
    if let Some((p, events)) = current.take() {
        batch.push((p, timeline_of(&builder, p, &events)));
    }
    if !batch.is_empty() {
        each(batch);
    }
    Ok(())
}

/// Persons whose timelines changed since `since`: a new event version, or a record linked
/// (moved between persons) since.
pub(crate) async fn changed_since(
    conn: &mut Conn,
    tenant: &TenantCode,
    since: OffsetDateTime,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT s.person_id FROM events e JOIN source_records s ON s.tenant_code = e.tenant_code AND s.id = e.source_record_id \
         WHERE e.tenant_code = $1 AND e.recorded_at > $2 \
         UNION SELECT person_id FROM source_records WHERE tenant_code = $1 AND linked_at > $2",
    )
    .bind(tenant.as_str())
    .bind(since)
    .fetch_all(&mut *conn)
    .await?)
}

/// When the last run began, if there was one.
pub(crate) async fn last_run_started(
    conn: &mut Conn,
    tenant: &TenantCode,
) -> Result<Option<OffsetDateTime>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT started_at FROM rule_runs WHERE tenant_code = $1 ORDER BY started_at DESC LIMIT 1",
    )
    .bind(tenant.as_str())
    .fetch_optional(&mut *conn)
    .await?)
}

/// Inserts the alerts that are not already there (same firing, same queue); gives the new
/// ones as (alert, person, queue's role).
pub(crate) async fn insert_alerts(
    tx: &mut Tx,
    tenant: &TenantCode,
    alerts: &[(Uuid, harbour_rules::alerts::NewAlert)],
    now: OffsetDateTime,
) -> Result<Vec<(Uuid, Uuid, String)>, StoreError> {
    let mut raised = Vec::new();
    for chunk in alerts.chunks(400) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO alerts (tenant_code, id, person_id, rule_id, rule_version, fired_on, due_on, severity, \
             recipient_role, recipient_agency, recipient_key, evidence, evidence_key, because, raised_at) ",
        );
        qb.push_values(chunk, |mut b, (person, a)| {
            b.push_bind(tenant.as_str().to_owned())
                .push_bind(Uuid::now_v7())
                .push_bind(*person)
                .push_bind(a.rule.clone())
                .push_bind(i32::try_from(a.version).unwrap_or(i32::MAX))
                .push_bind(a.fired_on)
                .push_bind(a.due_on)
                .push_bind(a.severity.to_owned())
                .push_bind(a.queue.role.as_str().to_owned())
                .push_bind(a.queue.agency.map(|a| a.0))
                .push_bind(a.queue.key())
                .push_bind(serde_json::to_string(&a.evidence).unwrap_or_default())
                .push_bind(a.evidence_key.clone())
                .push_bind(a.because.clone())
                .push_bind(now);
        });
        qb.push(
            " ON CONFLICT (tenant_code, evidence_key, recipient_key) DO NOTHING \
             RETURNING id, person_id, recipient_role",
        );
        raised.extend(
            qb.build_query_as::<(Uuid, Uuid, String)>()
                .fetch_all(&mut **tx)
                .await?,
        );
    }
    Ok(raised)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_run(
    tx: &mut Tx,
    tenant: &TenantCode,
    started: OffsetDateTime,
    finished: OffsetDateTime,
    scope: &str,
    versions: &str,
    persons: i64,
    raised: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO rule_runs (tenant_code, id, started_at, finished_at, scope, rule_versions, persons_evaluated, alerts_raised) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.as_str())
    .bind(Uuid::now_v7())
    .bind(started)
    .bind(finished)
    .bind(scope)
    .bind(versions)
    .bind(persons)
    .bind(raised)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks open or acknowledged alerts for `role` that are past their due date as escalated
/// to `to`. Gives them as (alert, person).
pub(crate) async fn escalate(
    tx: &mut Tx,
    tenant: &TenantCode,
    role: &str,
    to: &str,
    today: Date,
    now: OffsetDateTime,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE alerts SET escalated_to = $1, escalated_at = $2 \
         WHERE tenant_code = $3 AND recipient_role = $4 AND status IN ('open', 'acknowledged') \
         AND due_on < $5 AND escalated_to IS NULL RETURNING id, person_id",
    )
    .bind(to)
    .bind(now)
    .bind(tenant.as_str())
    .bind(role)
    .bind(today)
    .fetch_all(&mut **tx)
    .await?)
}

/// An alert as stored.
#[derive(Debug, Clone, FromRow)]
struct AlertRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub rule_id: String,
    pub rule_version: i32,
    pub fired_on: Date,
    pub due_on: Date,
    pub severity: String,
    pub recipient_role: String,
    pub recipient_agency: Option<Uuid>,
    pub evidence: String,
    pub because: String,
    pub status: String,
    pub note: String,
    pub escalated_to: Option<String>,
    pub raised_at: OffsetDateTime,
    pub updated_at: Option<OffsetDateTime>,
    pub updated_by: Option<Uuid>,
    pub updated_by_name: Option<String>,
}

impl TryFrom<AlertRow> for crate::alerts::Alert {
    type Error = StoreError;

    fn try_from(r: AlertRow) -> Result<Self, StoreError> {
        let role = |code: &str| {
            code.parse::<harbour_domain::Role>()
                .map_err(|_| StoreError::corrupt(format!("an alert's role {code:?}")))
        };
        Ok(Self {
            id: r.id,
            person: harbour_domain::PersonId(r.person_id),
            rule: r.rule_id,
            rule_version: r.rule_version,
            fired_on: r.fired_on,
            due_on: r.due_on,
            severity: r.severity,
            recipient_role: role(&r.recipient_role)?,
            recipient_agency: r.recipient_agency.map(harbour_domain::AgencyId),
            evidence: serde_json::from_str(&r.evidence).unwrap_or_default(),
            because: r.because,
            status: harbour_rules::alerts::Status::parse(&r.status)
                .ok_or_else(|| StoreError::corrupt(format!("an alert's status {:?}", r.status)))?,
            note: r.note,
            escalated_to: r.escalated_to.as_deref().map(role).transpose()?,
            raised_at: r.raised_at,
            acted: match (r.updated_at, r.updated_by) {
                (Some(at), Some(by)) => Some(crate::alerts::AlertActed {
                    by: harbour_domain::UserId(by),
                    by_name: r.updated_by_name.unwrap_or_default(),
                    at,
                }),
                _ => None,
            },
            withheld: 0,
            child: None,
        })
    }
}

const ALERT_COLUMNS: &str = "SELECT id, person_id, rule_id, rule_version, fired_on, due_on, severity, recipient_role, \
     recipient_agency, evidence, because, status, note, escalated_to, raised_at, updated_at, updated_by, \
     (SELECT u.display_name FROM users u WHERE u.id = alerts.updated_by) AS updated_by_name FROM alerts";

/// Alerts in the queues of `roles`: sent to the role (for a school's lead, to their own
/// school), or escalated to it; those `which` names.
pub(crate) async fn queue(
    conn: &mut Conn,
    tenant: &TenantCode,
    roles: &[String],
    agency: Uuid,
    which: Which,
    limit: i64,
) -> Result<Vec<crate::alerts::Alert>, StoreError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::<Db>::new(ALERT_COLUMNS);
    qb.push(" WHERE tenant_code = ")
        .push_bind(tenant.as_str().to_owned());
    if which == Which::Closed {
        qb.push(" AND status IN ('actioned', 'dismissed')");
    } else {
        qb.push(if which == Which::List {
            " AND severity IN ("
        } else {
            " AND severity NOT IN ("
        });
        let mut list = qb.separated(", ");
        for severity in harbour_rules::alerts::LISTED_SEVERITIES {
            list.push_bind(severity);
        }
        list.push_unseparated(")");
        qb.push(" AND status IN ('open', 'acknowledged')");
    }
    qb.push(" AND ((recipient_role IN (");
    let mut list = qb.separated(", ");
    for role in roles {
        list.push_bind(role.clone());
    }
    list.push_unseparated(")");
    qb.push(" AND (recipient_agency IS NULL OR recipient_agency = ")
        .push_bind(agency)
        .push(")) OR escalated_to IN (");
    let mut list = qb.separated(", ");
    for role in roles {
        list.push_bind(role.clone());
    }
    list.push_unseparated("))");
    qb.push(if which == Which::Closed {
        " ORDER BY updated_at DESC, id DESC LIMIT "
    } else {
        " ORDER BY due_on, fired_on, id LIMIT "
    })
    .push_bind(limit);
    let rows = qb
        .build_query_as::<AlertRow>()
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(crate) async fn alert(
    conn: &mut Conn,
    tenant: &TenantCode,
    id: Uuid,
) -> Result<Option<crate::alerts::Alert>, StoreError> {
    let mut qb = QueryBuilder::<Db>::new(ALERT_COLUMNS);
    qb.push(" WHERE tenant_code = ")
        .push_bind(tenant.as_str().to_owned())
        .push(" AND id = ")
        .push_bind(id);
    let row = qb
        .build_query_as::<AlertRow>()
        .fetch_optional(&mut *conn)
        .await?;
    row.map(TryInto::try_into).transpose()
}

/// Alerts of one person, newest first.
pub(crate) async fn alerts_of(
    conn: &mut Conn,
    tenant: &TenantCode,
    person: Uuid,
) -> Result<Vec<crate::alerts::Alert>, StoreError> {
    let mut qb = QueryBuilder::<Db>::new(ALERT_COLUMNS);
    qb.push(" WHERE tenant_code = ")
        .push_bind(tenant.as_str().to_owned())
        .push(" AND person_id = ")
        .push_bind(person)
        .push(" ORDER BY fired_on DESC, rule_id");
    let rows = qb
        .build_query_as::<AlertRow>()
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Moves an alert to `status` with a note, if it is still `from` one of the given states.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn set_status(
    tx: &mut Tx,
    tenant: &TenantCode,
    id: Uuid,
    from: &[harbour_rules::alerts::Status],
    status: harbour_rules::alerts::Status,
    note: &str,
    by: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let mut qb = QueryBuilder::<Db>::new("UPDATE alerts SET status = ");
    qb.push_bind(status.as_str())
        .push(", note = ")
        .push_bind(note.to_owned())
        .push(", updated_by = ")
        .push_bind(by)
        .push(", updated_at = ")
        .push_bind(now)
        .push(" WHERE tenant_code = ")
        .push_bind(tenant.as_str().to_owned())
        .push(" AND id = ")
        .push_bind(id)
        .push(" AND status IN (");
    let mut list = qb.separated(", ");
    for state in from {
        list.push_bind(state.as_str());
    }
    list.push_unseparated(")");
    Ok(qb.build().execute(&mut **tx).await?.rows_affected() == 1)
}

/// The tenant's schools: which agencies' records say where a child goes to school.
pub(crate) async fn schools(
    conn: &mut Conn,
    tenant: &TenantCode,
) -> Result<std::collections::HashSet<harbour_domain::AgencyId>, StoreError> {
    let rows: Vec<(Uuid,)> =
        sqlx::query_as("SELECT id FROM agencies WHERE tenant_code = $1 AND kind = 'school'")
            .bind(tenant.as_str())
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id,)| harbour_domain::AgencyId(id))
        .collect())
}

/// An alert already raised for another part of the same moment: the same child, queue and
/// day, a rule of the same family, under another key. Gives its id and evidence.
pub(crate) async fn sibling(
    tx: &mut Tx,
    tenant: &TenantCode,
    person: Uuid,
    alert: &harbour_rules::alerts::NewAlert,
) -> Result<Option<(Uuid, String)>, StoreError> {
    if alert.family_rules.is_empty() {
        return Ok(None);
    }
    let mut qb = QueryBuilder::<Db>::new("SELECT id, evidence FROM alerts WHERE tenant_code = ");
    qb.push_bind(tenant.as_str().to_owned())
        .push(" AND person_id = ")
        .push_bind(person)
        .push(" AND recipient_key = ")
        .push_bind(alert.queue.key())
        .push(" AND fired_on = ")
        .push_bind(alert.fired_on)
        .push(" AND evidence_key <> ")
        .push_bind(alert.evidence_key.clone())
        .push(" AND rule_id IN (");
    let mut list = qb.separated(", ");
    for rule in &alert.family_rules {
        list.push_bind(rule.clone());
    }
    list.push_unseparated(") ORDER BY raised_at, id LIMIT 1");
    Ok(qb
        .build_query_as::<(Uuid, String)>()
        .fetch_optional(&mut **tx)
        .await?)
}

/// Gives an alert the evidence, key and explanation of the whole moment it is part of.
pub(crate) async fn widen(
    tx: &mut Tx,
    tenant: &TenantCode,
    id: Uuid,
    alert: &harbour_rules::alerts::NewAlert,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE alerts SET evidence = $1, evidence_key = $2, because = $3 \
         WHERE tenant_code = $4 AND id = $5",
    )
    .bind(serde_json::to_string(&alert.evidence).unwrap_or_default())
    .bind(alert.evidence_key.clone())
    .bind(alert.because.clone())
    .bind(tenant.as_str())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
