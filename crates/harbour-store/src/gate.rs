//! The gate: the one way into children's records and into Harbour's security functions.
//!
//! Every store method that reads or writes personal data, or changes who may do what, starts
//! with [`Store::gate`]. The gate asks the access policy whether the actor may do this at all
//! (a refusal is written to the audit there and then), and otherwise opens the only kind of
//! transaction the store has: a [`Guarded`] one, carrying the actor's policy scope for the
//! queries and the audit entry for the work. Only [`Guarded::commit`] (the work and its entry,
//! together) or [`Guarded::refuse`] (the refusal, nothing else) ends it. Nothing outside this
//! module opens a transaction: `tests/gate.rs` reads the store's source and fails if anything
//! does, or if a new public method reaches the database without coming through here.

use crate::StoreError;
use crate::audit::{AuditEntry, Outcome};
use crate::store::{Pools, Store};
use crate::write_queue::{Turn, WriteQueue};
use harbour_domain::{AgencyId, TenantCode};
use harbour_policy::{Function, Principal, Register, Scope};
use time::OffsetDateTime;

/// Who is going through the gate.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Actor<'a> {
    /// A signed-in member of staff (or an agency system under a member of staff's token).
    Staff(&'a Principal),
    /// Harbour itself: an operator at the command line, an agency's feed, a background run.
    /// The audit names the agency, if any, and no user.
    Service {
        tenant: &'a TenantCode,
        agency: Option<AgencyId>,
    },
}

impl Actor<'_> {
    fn tenant(&self) -> &TenantCode {
        match self {
            Self::Staff(who) => &who.tenant,
            Self::Service { tenant, .. } => tenant,
        }
    }

    fn entry(&self, now: OffsetDateTime, action: &str, purpose: &str) -> AuditEntry {
        let mut entry = AuditEntry::new(now, self.tenant().clone(), action, purpose);
        match self {
            Self::Staff(who) => {
                entry.user = Some(who.user);
                entry.agency = Some(who.agency);
            }
            Self::Service { agency, .. } => entry.agency = *agency,
        }
        entry
    }
}

/// What the work needs the policy to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Children's records, within the scope `policy/access.toml` gives the actor's roles. A
    /// member of staff whose roles open nothing is refused at the gate.
    Records,
    /// One of the parts of Harbour named in the policy's `[functions]`.
    Function(Function),
    /// A register, to any extent the policy's `[registers]` gives (the method then limits a
    /// reader to the entries of their own agency, and writes to the register's keepers).
    Register(Register),
    /// Only the actor's own affairs: their session, their queue, their emergency-access
    /// request (the method then applies the policy's finer rules itself).
    Own,
    /// Running Harbour: set-up, feeds, linking, rules runs. Never a member of staff's session.
    Service,
}

/// The audit action and purpose of one kind of work.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Work {
    pub action: &'static str,
    pub purpose: &'static str,
}

impl Work {
    pub(crate) const fn new(action: &'static str, purpose: &'static str) -> Self {
        Self { action, purpose }
    }
}

/// How a guarded transaction holds the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Writes, or reads that must be consistent with a write: the database's write lock
    /// from the start (one writer at a time on SQLite; on PostgreSQL the lock of the
    /// actor's tenant, whose audit chain the entry joins, so other tenants do not wait),
    /// and the audit entry appended inside the same transaction.
    Write,
    /// Reads only: one consistent snapshot without the write lock, so audited views do not
    /// queue behind each other. Its commit ends the snapshot, then appends the audit entry
    /// in a short write transaction of its own; the caller returns nothing before that has
    /// committed.
    Read,
}

/// A transaction on one backend.
pub(crate) enum GuardedTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// A transaction the gate opened: the actor's scope for the queries inside it, and the audit
/// entry its commit appends. Dropped without `commit` or `refuse`, it rolls back and nothing
/// of the work (nor its entry) is stored.
pub(crate) struct Guarded {
    pub(crate) tx: GuardedTx,
    /// What the actor may see: the policy's scope for a member of staff; empty for the
    /// service, whose queries are not scoped (it holds every record it imported).
    pub(crate) scope: Scope,
    /// The entry the commit appends. Its tenant is the actor's, whose chain it joins and
    /// whose lock a write holds (PostgreSQL): never change it.
    pub(crate) entry: AuditEntry,
    pools: Pools,
    queue: WriteQueue,
    /// A write's turn (`write_queue.rs`), held until the transaction ends.
    turn: Option<Turn>,
    mode: Mode,
}

impl std::fmt::Debug for Guarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("action", &self.entry.action)
            .finish_non_exhaustive()
    }
}

/// Runs `$body` with the guarded transaction of `$guard` bound as `$tx` (a `&mut Tx` of its
/// backend) and each named SQL module of that backend bound as its alias.
macro_rules! in_gate {
    ($guard:expr, [$($module:ident as $alias:ident),+], $tx:ident => $body:expr) => {
        match &mut $guard.tx {
            $crate::gate::GuardedTx::Sqlite($tx) => {
                $(#[allow(unused_imports)] use $crate::backend::sqlite::$module as $alias;)+
                $body
            }
            $crate::gate::GuardedTx::Postgres($tx) => {
                $(#[allow(unused_imports)] use $crate::backend::postgres::$module as $alias;)+
                $body
            }
        }
    };
    ($guard:expr, $module:ident as $alias:ident, $tx:ident => $body:expr) => {
        in_gate!($guard, [$module as $alias], $tx => $body)
    };
}

impl Guarded {
    /// Appends the audit entry and commits it with the work, or neither. (For a read: ends
    /// the snapshot, then appends the entry.)
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        if self.mode == Mode::Write {
            let entry = &self.entry;
            in_gate!(self, queries as q, tx => q::append_audit(tx, entry).await)?;
        }
        match self.tx {
            GuardedTx::Sqlite(tx) => tx.commit().await?,
            GuardedTx::Postgres(tx) => tx.commit().await?,
        }
        drop(self.turn);
        if self.mode == Mode::Read {
            append_alone(&self.pools, &self.queue, &self.entry).await?;
        }
        Ok(())
    }

    /// Turns a read into a write, keeping its scope and audit entry: for work that reads a
    /// great deal and then writes a little (a rules run). What was read may have changed in
    /// between; such work must write idempotently.
    pub(crate) async fn into_write(self) -> Result<Self, StoreError> {
        if self.mode == Mode::Write {
            return Ok(self);
        }
        // The snapshot ends before the write begins: a store opened for a bulk import has
        // one connection, and the two must not be held at once.
        let Self {
            tx,
            scope,
            entry,
            pools,
            queue,
            ..
        } = self;
        match tx {
            GuardedTx::Sqlite(tx) => tx.commit().await?,
            GuardedTx::Postgres(tx) => tx.commit().await?,
        }
        let (tx, turn) = begin(&pools, &queue, Mode::Write, &entry.tenant).await?;
        Ok(Self {
            tx,
            scope,
            entry,
            pools,
            queue,
            turn,
            mode: Mode::Write,
        })
    }

    /// Ends the work as refused: whatever it wrote is rolled back, and the entry is appended
    /// as denied with `detail` (a small JSON object saying why, never content).
    pub(crate) async fn refuse(mut self, detail: Option<String>) -> Result<(), StoreError> {
        match self.tx {
            GuardedTx::Sqlite(tx) => tx.rollback().await?,
            GuardedTx::Postgres(tx) => tx.rollback().await?,
        }
        // The refusal's entry is a write of its own: this work's turn ends first.
        drop(self.turn);
        self.entry.outcome = Outcome::Denied;
        if let Some(detail) = detail {
            self.entry.detail = detail;
        }
        append_alone(&self.pools, &self.queue, &self.entry).await
    }
}

impl Store {
    /// The one way in. Asks the policy whether `actor` may do `work` at all; if not, audits
    /// the refusal and gives `None`. Otherwise opens a guarded transaction, with the actor's
    /// scope, whose commit audits the work.
    pub(crate) async fn gate(
        &self,
        actor: Actor<'_>,
        needs: Needs,
        work: Work,
        now: OffsetDateTime,
    ) -> Result<Option<Guarded>, StoreError> {
        self.open_gate(actor, needs, work, now, Mode::Write).await
    }

    /// The gate for work that only reads: the same policy question and audit, over one
    /// consistent snapshot that does not hold the write lock (see [`Mode::Read`]).
    pub(crate) async fn gate_read(
        &self,
        actor: Actor<'_>,
        needs: Needs,
        work: Work,
        now: OffsetDateTime,
    ) -> Result<Option<Guarded>, StoreError> {
        self.open_gate(actor, needs, work, now, Mode::Read).await
    }

    async fn open_gate(
        &self,
        actor: Actor<'_>,
        needs: Needs,
        work: Work,
        now: OffsetDateTime,
        mode: Mode,
    ) -> Result<Option<Guarded>, StoreError> {
        let mut entry = actor.entry(now, work.action, work.purpose);
        let (allowed, scope) = match actor {
            Actor::Staff(who) => {
                let scope = self.policy.scope(who);
                let allowed = match needs {
                    Needs::Records => !scope.is_empty(),
                    Needs::Function(function) => self.policy.allows_function(who, function),
                    Needs::Register(register) => {
                        self.policy.register_access(who, register).is_some()
                    }
                    Needs::Own => true,
                    Needs::Service => false,
                };
                (allowed, scope)
            }
            Actor::Service { agency, .. } => (
                true,
                Scope::empty(agency.unwrap_or(AgencyId(uuid::Uuid::nil()))),
            ),
        };
        if !allowed {
            entry.outcome = Outcome::Denied;
            append_alone(&self.pools, &self.write_queue, &entry).await?;
            return Ok(None);
        }
        let (tx, turn) = begin(&self.pools, &self.write_queue, mode, actor.tenant()).await?;
        Ok(Some(Guarded {
            tx,
            scope,
            entry,
            pools: self.pools.clone(),
            queue: self.write_queue.clone(),
            turn,
            mode,
        }))
    }

    /// The gate for Harbour's own work in `tenant` (for `agency`, if it acts for one): set-up,
    /// feeds, linking, rules runs. The policy never refuses the service, so this gives the
    /// guarded transaction itself.
    pub(crate) async fn service_gate(
        &self,
        tenant: &TenantCode,
        agency: Option<AgencyId>,
        work: Work,
        now: OffsetDateTime,
    ) -> Result<Guarded, StoreError> {
        let actor = Actor::Service { tenant, agency };
        self.open_gate(actor, Needs::Service, work, now, Mode::Write)
            .await?
            .ok_or(StoreError::Refused)
    }

    /// [`Store::service_gate`] for work that only reads.
    pub(crate) async fn service_read(
        &self,
        tenant: &TenantCode,
        agency: Option<AgencyId>,
        work: Work,
        now: OffsetDateTime,
    ) -> Result<Guarded, StoreError> {
        let actor = Actor::Service { tenant, agency };
        self.open_gate(actor, Needs::Service, work, now, Mode::Read)
            .await?
            .ok_or(StoreError::Refused)
    }

    /// Audits a refusal that was decided before any data was read (a form's reason too short,
    /// an account that does not exist): the same entry a refused gate writes.
    pub(crate) async fn audit_refusal(
        &self,
        actor: Actor<'_>,
        work: Work,
        detail: String,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut entry = actor.entry(now, work.action, work.purpose);
        entry.outcome = Outcome::Denied;
        entry.detail = detail;
        append_alone(&self.pools, &self.write_queue, &entry).await
    }
}

/// The only place a transaction is begun. A write works for `tenant` (the actor's): its audit
/// entry joins that tenant's chain, and on PostgreSQL it holds that tenant's lock. A write
/// waits for its turn in `queue` before it takes a connection, and gives back the turn.
async fn begin(
    pools: &Pools,
    queue: &WriteQueue,
    mode: Mode,
    tenant: &TenantCode,
) -> Result<(GuardedTx, Option<Turn>), StoreError> {
    let turn = match mode {
        Mode::Write => Some(queue.turn(tenant).await),
        Mode::Read => None,
    };
    let tx = match (pools, mode) {
        (Pools::Sqlite(pool), Mode::Write) => {
            GuardedTx::Sqlite(crate::backend::sqlite::begin_write(pool).await?)
        }
        (Pools::Postgres(pool), Mode::Write) => {
            GuardedTx::Postgres(crate::backend::postgres::begin_write(pool, tenant).await?)
        }
        // A deferred transaction: SQLite takes a read snapshot at the first statement and no
        // lock that stops writers. PostgreSQL: a read-only snapshot, so a view's several
        // queries agree with each other, and no advisory lock.
        (Pools::Sqlite(pool), Mode::Read) => GuardedTx::Sqlite(pool.begin().await?),
        (Pools::Postgres(pool), Mode::Read) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            GuardedTx::Postgres(tx)
        }
    };
    Ok((tx, turn))
}

/// Appends `entry` in a transaction of its own (on PostgreSQL, holding its tenant's lock),
/// in its turn.
async fn append_alone(
    pools: &Pools,
    queue: &WriteQueue,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    let _turn = queue.turn(&entry.tenant).await;
    match pools {
        Pools::Sqlite(pool) => {
            use crate::backend::sqlite::queries as q;
            let mut tx = crate::backend::sqlite::begin_write(pool).await?;
            q::append_audit(&mut tx, entry).await?;
            tx.commit().await?;
        }
        Pools::Postgres(pool) => {
            use crate::backend::postgres::queries as q;
            let mut tx = crate::backend::postgres::begin_write(pool, &entry.tenant).await?;
            q::append_audit(&mut tx, entry).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}
