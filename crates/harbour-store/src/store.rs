use crate::StoreError;
use crate::audit::AuditVerification;
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::location::StoreLocation;
use crate::model::{
    Agency, Batch, DemoUser, Health, LoadReport, NewAgency, NewUser, PersonSummary, PersonView,
    SearchFilter, SearchResults, SessionUser,
};
use crate::search::SearchQuery;
use harbour_domain::{AgencyId, PersonId, SchoolNumber, TenantCode, UserId};
use harbour_policy::{Decision, EventFacts, Policy, Principal};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Postgres, Sqlite};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Clone)]
pub(crate) enum Pools {
    Sqlite(Pool<Sqlite>),
    Postgres(Pool<Postgres>),
}

/// The store: one handle for either backend, cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pools: Pools,
    /// Writers wait here for their turn before they take a connection (`write_queue.rs`).
    pub(crate) write_queue: crate::write_queue::WriteQueue,
    pub(crate) policy: Arc<Policy>,
    location: StoreLocation,
    /// How far imports have grown the events table since the planner last looked.
    pub(crate) growth: Arc<std::sync::Mutex<crate::imports::Growth>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// What `backup` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupOutcome {
    /// A consistent copy was written and passed SQLite's integrity check.
    Written { bytes: u64 },
    /// PostgreSQL is backed up with its own tools; this is the command to run.
    UsePgDump { command: String },
}

/// How long a write may wait for SQLite's single writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows a SQLite connection's worker thread may read ahead of the task taking them. sqlx runs
/// each SQLite connection on a thread of its own and hands rows over a channel; with its
/// default of 50 the two hand over in small batches, and a read of tens of thousands of rows
/// (a register with its facts, at county scale) spent more time waking threads than reading.
/// At most this many rows wait in memory per connection.
pub const SQLITE_ROW_BUFFER: usize = 4096;

/// Connections in a SQLite pool: readers for the web service while one writes.
pub(crate) const SQLITE_CONNECTIONS: u32 = 8;

impl Store {
    /// Opens (creating if need be) and migrates the database, and refuses to start if SQLite
    /// did not take the settings Harbour relies on for durability and integrity.
    pub async fn open(location: StoreLocation, policy: Policy) -> Result<Self, StoreError> {
        Self::open_with(location, policy, SQLITE_CONNECTIONS).await
    }

    /// `open` for a bulk import run from the command line, the only user of the file while it
    /// runs: on SQLite, one connection instead of a pool of eight. Importing a 30,000-child
    /// county (1.1 M rows) took 131 s through the pool of eight, most of it the kernel copying
    /// pages SQLite read back, and 44 s through one connection. Why the idle connections cost
    /// so much was not pinned down (keeping one pooled connection for a whole file did not
    /// help; the write-ahead log stayed small): see BENCHMARKS.md. PostgreSQL is unchanged.
    pub async fn open_for_import(
        location: StoreLocation,
        policy: Policy,
    ) -> Result<Self, StoreError> {
        Self::open_with(location, policy, 1).await
    }

    async fn open_with(
        location: StoreLocation,
        policy: Policy,
        sqlite_connections: u32,
    ) -> Result<Self, StoreError> {
        let pools = match &location {
            StoreLocation::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::InvalidLocation(format!(
                            "cannot create the data directory {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(BUSY_TIMEOUT)
                    .row_buffer_size(SQLITE_ROW_BUFFER);
                let pool = SqlitePoolOptions::new()
                    .max_connections(sqlite_connections)
                    .connect_with(options)
                    .await?;
                check_sqlite_settings(&pool).await?;
                sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
                Pools::Sqlite(pool)
            }
            StoreLocation::Postgres(url) => {
                let options: PgConnectOptions = url.parse()?;
                // Over a Unix socket there is no Nagle's algorithm to turn off.
                let tcp_port = options.get_socket().is_none().then(|| options.get_port());
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(move |_, _| {
                        Box::pin(async move {
                            if let Some(port) = tcp_port {
                                crate::backend::postgres::after_connect(port);
                            }
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                Pools::Postgres(pool)
            }
        };
        let write_queue = match &pools {
            Pools::Sqlite(_) => crate::write_queue::WriteQueue::one_writer(),
            Pools::Postgres(_) => crate::write_queue::WriteQueue::per_tenant(),
        };
        Ok(Self {
            pools,
            write_queue,
            policy: Arc::new(policy),
            location,
            growth: Arc::default(),
        })
    }

    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Closes every connection (SQLite checkpoints its write-ahead log).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite(pool) => pool.close().await,
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    pub async fn health(&self) -> Result<Health, StoreError> {
        let schema_version =
            on_backend!(self, queries as q, pool => q::schema_version(pool).await)?;
        Ok(Health {
            backend: self.location.backend_name(),
            schema_version,
        })
    }

    // -- directory (staff and agencies) --------------------------------------------------

    pub async fn create_tenant(
        &self,
        tenant: &TenantCode,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("create_tenant", "set up the local authority");
        let mut g = self.service_gate(tenant, None, work, now).await?;
        in_gate!(g, queries as q, tx => q::insert_tenant(tx, tenant, name).await)?;
        g.commit().await
    }

    pub async fn create_agency(
        &self,
        agency: &NewAgency,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("create_agency", "set up a partner agency");
        let mut g = self
            .service_gate(&agency.tenant, Some(agency.id), work, now)
            .await?;
        in_gate!(g, queries as q, tx => q::insert_agency(tx, agency).await)?;
        g.commit().await
    }

    /// Records a school's DfE number (LA/ESTAB), by which other schools' transfer files name
    /// it: history they report about it is then placed at it (its lead is told of moments
    /// while the child was on its roll). A number names one school of the local authority;
    /// giving it to a second is refused.
    pub async fn set_school_number(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        number: &SchoolNumber,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("set_school_number", "name a school by its DfE number");
        let mut g = self.service_gate(tenant, Some(agency), work, now).await?;
        g.entry.detail = serde_json::json!({ "school_number": number.as_str() }).to_string();
        let updated = in_gate!(g, queries as q, tx => q::set_school_number(tx, tenant, agency, number).await)?;
        if !updated {
            return Err(StoreError::Conflict(format!(
                "no school {agency} in local authority {tenant} to give the number {number}"
            )));
        }
        g.commit().await
    }

    /// The agencies of a local authority: a directory, not personal data.
    pub async fn list_agencies(&self, tenant: &TenantCode) -> Result<Vec<Agency>, StoreError> {
        on_backend!(self, queries as q, pool => q::list_agencies(pool, tenant).await)
    }

    pub async fn create_user(&self, user: &NewUser, now: OffsetDateTime) -> Result<(), StoreError> {
        let work = Work::new("create_user", "add a member of staff");
        let mut g = self
            .service_gate(&user.tenant, Some(user.agency), work, now)
            .await?;
        g.entry.detail = serde_json::json!({ "user": user.id, "roles": user.roles }).to_string();
        in_gate!(g, queries as q, tx => q::insert_user(tx, user, now).await)?;
        g.commit().await
    }

    /// Demo accounts, for the demo sign-in chooser.
    pub async fn list_demo_users(&self) -> Result<Vec<DemoUser>, StoreError> {
        on_backend!(self, queries as q, pool => q::list_demo_users(pool).await)
    }

    // -- sessions -------------------------------------------------------------------------

    /// Records a new session for `user` under the hash of its token; audited as a sign-in.
    pub async fn start_session(
        &self,
        user: &SessionUser,
        token_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("sign_in", "start a session");
        let Some(mut g) = self
            .gate(Actor::Staff(&user.principal), Needs::Own, work, now)
            .await?
        else {
            return Err(StoreError::Refused);
        };
        in_gate!(g, queries as q, tx => q::insert_session(tx, token_hash, user.principal.user, now, expires_at).await)?;
        g.commit().await
    }

    /// The user behind a session token hash, if the session is still live. Authentication:
    /// it runs before there is anyone to audit, and reads only the staff account.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        idle_limit: time::Duration,
    ) -> Result<Option<SessionUser>, StoreError> {
        on_backend!(self, queries as q, pool => q::session_user(pool, token_hash, now, idle_limit).await)
    }

    /// A demo account, as the user a demo sign-in starts a session for. `None` for an
    /// unknown, disabled or non-demo account.
    pub async fn demo_user(&self, id: UserId) -> Result<Option<SessionUser>, StoreError> {
        on_backend!(self, queries as q, pool => q::active_user(pool, id, true).await)
    }

    pub async fn end_session(
        &self,
        user: &SessionUser,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("sign_out", "end a session");
        let Some(mut g) = self
            .gate(Actor::Staff(&user.principal), Needs::Own, work, now)
            .await?
        else {
            return Err(StoreError::Refused);
        };
        if in_gate!(g, queries as q, tx => q::delete_session(tx, token_hash).await)? {
            g.commit().await?;
        }
        // An unknown session ends as it began: with nothing stored (the guard rolls back).
        Ok(())
    }

    // -- children's records -----------------------------------------------------------------

    /// Writes persons, source records and events in one transaction with one audit entry.
    /// Either all of the batch is stored or none of it.
    pub async fn load(
        &self,
        batch: &Batch,
        purpose: &'static str,
        now: OffsetDateTime,
    ) -> Result<LoadReport, StoreError> {
        let work = Work::new("load_records", purpose);
        let mut g = self.service_gate(&batch.tenant, None, work, now).await?;
        let report = in_gate!(g, queries as q, tx => q::insert_batch(tx, batch, now).await)?;
        g.entry.detail = serde_json::to_string(&report).map_err(StoreError::corrupt)?;
        g.commit().await?;
        Ok(report)
    }

    /// Persons matching `query` that `who` may see (at most `limit`), audited as a search
    /// naming each child it returned. The audit records the kind of search, never its text.
    pub async fn search_persons(
        &self,
        who: &Principal,
        query: &SearchQuery,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<Vec<PersonSummary>, StoreError> {
        let filter = SearchFilter {
            limit,
            ..SearchFilter::default()
        };
        let found = self.search_persons_page(who, query, &filter, now).await?;
        Ok(found.people)
    }

    /// One page of the children matching `query` and `filter` that `who` may see, with the
    /// total: the scope, the filters and the count are all in the SQL, so the total never
    /// counts a child the viewer may not see. Audited: the kind of search (never its text),
    /// the total, and each child on the page.
    pub async fn search_persons_page(
        &self,
        who: &Principal,
        query: &SearchQuery,
        filter: &SearchFilter,
        now: OffsetDateTime,
    ) -> Result<SearchResults, StoreError> {
        let work = Work::new("search_persons", "find a child");
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Records, work, now)
            .await?
        else {
            return Ok(SearchResults {
                total: 0,
                people: Vec::new(),
            });
        };
        let scope = &g.scope;
        let found = in_gate!(g, queries as q, tx => q::search_persons(tx, &who.tenant, Some((who, scope)), query, filter, now).await)?;
        g.entry.detail = serde_json::json!({
            "by": query.audit_kind(),
            "results": found.people.len(),
            "total": found.total,
        })
        .to_string();
        g.entry.set_subjects(found.people.iter().map(|p| p.id));
        g.commit().await?;
        Ok(found)
    }

    /// Persons of `tenant` with a record matching `query` (at most `limit`), for an operator
    /// at the command line (`harbour person find`), who needs a person's id for commands such
    /// as `harbour rules replay --person`. Gated as Harbour itself, as every command-line
    /// read of records is, and audited like a search: its kind, never its text, and each
    /// person it returned.
    pub async fn find_persons(
        &self,
        tenant: &TenantCode,
        query: &SearchQuery,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<Vec<PersonSummary>, StoreError> {
        let work = Work::new("find_persons", "find a person's id for an operator command");
        let actor = Actor::Service {
            tenant,
            agency: None,
        };
        let mut g = self
            .gate_read(actor, Needs::Service, work, now)
            .await?
            .ok_or(StoreError::Refused)?;
        let filter = SearchFilter {
            limit,
            ..SearchFilter::default()
        };
        let found = in_gate!(g, queries as q, tx => q::search_persons(tx, tenant, None, query, &filter, now).await)?.people;
        g.entry.detail =
            serde_json::json!({ "by": query.audit_kind(), "results": found.len() }).to_string();
        g.entry.set_subjects(found.iter().map(|p| p.id));
        g.commit().await?;
        Ok(found)
    }

    /// The single view of a person as `who` may see it, or `None` if there is nothing they
    /// may see, which is also the answer for an id that does not exist: the two must look
    /// the same. Audited either way, with the rules and lawful bases that allowed each event.
    pub async fn person_view(
        &self,
        who: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<Option<PersonView>, StoreError> {
        let work = Work::new("view_person", "view a child's record");
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Records, work, now)
            .await?
        else {
            return Ok(None);
        };
        g.entry.set_subjects([person]);
        let view = self.view_inside(&mut g, who, person, now).await?;
        match view {
            Some((view, disclosed)) => {
                if disclosed
                    .by_rule
                    .contains_key(harbour_policy::BREAK_GLASS_RULE)
                {
                    g.entry.action = "view_person_emergency".to_owned();
                }
                g.entry.detail = serde_json::json!({
                    "events_shown": view.timeline.len(),
                    "rules": disclosed.by_rule,
                    "lawful_bases": disclosed.lawful_bases,
                })
                .to_string();
                g.commit().await?;
                Ok(Some(view))
            }
            None => {
                g.refuse(None).await?;
                Ok(None)
            }
        }
    }

    /// The person as `who` may see them, read inside a guarded transaction (the caller
    /// audits): their identities and the timeline events the scope admits, each put to the
    /// policy once more. `None` if nothing of them is visible.
    pub(crate) async fn view_inside(
        &self,
        g: &mut Guarded,
        who: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<Option<(PersonView, Disclosed)>, StoreError> {
        if g.scope.is_empty() {
            return Ok(None);
        }
        let scope = &g.scope;
        let read = in_gate!(g, queries as q, tx => {
            let (known, emergency_until) = q::relationship(tx, who, person, now).await?;
            let identities = q::visible_identities(tx, who, scope, person, now).await?;
            if identities.is_empty() {
                None
            } else {
                let timeline = q::visible_timeline(tx, who, scope, person, now).await?;
                Some((known, emergency_until, identities, timeline))
            }
        });
        let Some((known, emergency_until, identities, mut timeline)) = read else {
            return Ok(None);
        };
        let disclosed = self.check_each_event(who, &mut timeline, known, emergency_until.is_some());
        Ok(Some((
            PersonView {
                id: person,
                identities,
                timeline,
                emergency_access_until: emergency_until,
            },
            disclosed,
        )))
    }

    /// Defence in depth: each event the scoped query returned is put to the single decision
    /// as well, and dropped (with an error logged) if the two ever disagree.
    fn check_each_event(
        &self,
        who: &Principal,
        timeline: &mut Vec<crate::model::TimelineEntry>,
        known: bool,
        break_glass: bool,
    ) -> Disclosed {
        let mut disclosed = Disclosed::default();
        timeline.retain(|event| {
            let facts = EventFacts { supplier: event.agency, handling: event.handling, known_to_viewer_agency: known, break_glass };
            match self.policy.decide(who, facts) {
                Decision::Allow { rule, lawful_basis } => {
                    *disclosed.by_rule.entry(rule).or_default() += 1;
                    disclosed.lawful_bases.insert(lawful_basis);
                    true
                }
                Decision::Deny => {
                    tracing::error!(event = %event.event, "the scoped query returned an event the policy denies; withheld");
                    false
                }
            }
        });
        disclosed
    }

    // -- operations -----------------------------------------------------------------------------

    /// Recomputes the audit chain from the first entry.
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        on_backend!(self, queries as q, pool => q::verify_audit(pool).await)
    }

    /// Writes a consistent copy of a SQLite store to `out` and checks the copy's integrity.
    /// For PostgreSQL it returns the `pg_dump` command to use instead.
    pub async fn backup(&self, out: &Path) -> Result<BackupOutcome, StoreError> {
        let pool = match &self.pools {
            Pools::Sqlite(pool) => pool,
            Pools::Postgres(_) => {
                return Ok(BackupOutcome::UsePgDump {
                    command: format!(
                        "pg_dump --format=custom --file={} \"$HARBOUR_DATABASE_URL\"",
                        out.display()
                    ),
                });
            }
        };
        if out.exists() {
            return Err(StoreError::Backup(format!(
                "{} already exists; choose a new file",
                out.display()
            )));
        }
        let target = out
            .to_str()
            .ok_or_else(|| StoreError::Backup("the backup path is not valid UTF-8".into()))?;
        // VACUUM INTO takes a read transaction and writes a compact, consistent copy while
        // the service keeps running: SQLite's own online copy, reachable without unsafe code.
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        let copy = SqliteConnectOptions::new().filename(out).read_only(true);
        let copy = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(copy)
            .await?;
        let (result,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&copy)
            .await?;
        copy.close().await;
        if result != "ok" {
            return Err(StoreError::Backup(format!(
                "the copy failed its integrity check: {result}"
            )));
        }
        let bytes = std::fs::metadata(out)
            .map(|m| m.len())
            .map_err(|e| StoreError::Backup(e.to_string()))?;
        Ok(BackupOutcome::Written { bytes })
    }
}

/// What one view disclosed, by rule and lawful basis, for the audit.
#[derive(Debug, Default)]
pub(crate) struct Disclosed {
    by_rule: std::collections::BTreeMap<String, usize>,
    lawful_bases: std::collections::BTreeSet<String>,
}

/// SQLite silently ignores a pragma it cannot apply, so read each one back.
async fn check_sqlite_settings(pool: &Pool<Sqlite>) -> Result<(), StoreError> {
    let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(pool)
        .await?;
    let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(pool).await?;
    let (foreign_keys,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await?;
    let (busy_timeout,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await?;
    let mut problems = Vec::new();
    if !journal.eq_ignore_ascii_case("wal") {
        problems.push(format!("journal_mode is {journal}, not wal"));
    }
    if synchronous != 2 {
        problems.push(format!("synchronous is {synchronous}, not 2 (FULL)"));
    }
    if foreign_keys != 1 {
        problems.push("foreign_keys is off".to_owned());
    }
    if busy_timeout <= 0 {
        problems.push("busy_timeout is not set".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Settings(problems.join("; ")))
    }
}
