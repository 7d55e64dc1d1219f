//! Storing agency feeds: each batch in one transaction with one audit entry, so a batch is
//! stored whole or not at all, and re-sending a file changes nothing.

use crate::StoreError;
use crate::gate::{Actor, Needs, Work};
use crate::model::{ImportCounts, ImportRow, QuarantineEntry, QuarantineRow};
use crate::store::Store;
use harbour_domain::{AgencyId, TenantCode};
use time::OffsetDateTime;

/// Event rows imported since the planner's statistics were last refreshed, and how many
/// rows the table held then (`None` until this process first refreshes them).
#[derive(Debug, Default)]
pub(crate) struct Growth {
    known: Option<u64>,
    written: u64,
}

impl Growth {
    /// Below this the planner's guesses do no harm.
    const MIN_ROWS: u64 = 5_000;
    /// Refresh when the table has grown to this many times its size (plus one) since. What
    /// matters is that the planner knows the table is not empty: it scales its estimates by
    /// the table's current size, so the statistics need not keep close pace.
    const FACTOR: u64 = 3;
}

impl Store {
    /// Stores one batch of a feed: valid rows become source records and events (new, a new
    /// version of a corrected event, or nothing for an exact repeat); rejected rows go to the
    /// quarantine with their reasons. One transaction, one audit entry.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_batch(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        feed: &str,
        file_name: &str,
        rows: &[ImportRow],
        rejected: &[QuarantineRow],
        now: OffsetDateTime,
    ) -> Result<ImportCounts, StoreError> {
        let work = Work::new("import_feed", "receive an agency feed");
        let mut g = self.service_gate(tenant, Some(agency), work, now).await?;
        let counts = in_gate!(g, imports as i, tx => i::store_rows(tx, tenant, agency, feed, file_name, rows, rejected, now).await)?;
        g.entry.detail = serde_json::json!({ "feed": feed, "counts": counts }).to_string();
        g.commit().await?;
        self.note_growth(counts.accepted + counts.superseded)
            .await?;
        Ok(counts)
    }

    /// Refreshes the planner's statistics when imports have quadrupled the events table since
    /// they were last taken (and once when a process first imports, to learn the size).
    /// Growth by a factor keeps the refreshes to a handful however large the import: each `ANALYZE`
    /// samples a fixed number of rows, but they are not free, and refreshing after every
    /// few batches of every file cost PostgreSQL imports a quarter of their time.
    async fn note_growth(&self, rows: u64) -> Result<(), StoreError> {
        let due = {
            let mut growth = self
                .growth
                .lock()
                .map_err(|_| StoreError::corrupt("import growth lock poisoned"))?;
            growth.written += rows;
            match growth.known {
                None => true,
                Some(known) => growth.written > Growth::FACTOR * known.max(Growth::MIN_ROWS),
            }
        };
        if !due {
            return Ok(());
        }
        let estimate = self.refresh_statistics().await?;
        let mut growth = self
            .growth
            .lock()
            .map_err(|_| StoreError::corrupt("import growth lock poisoned"))?;
        let known = growth.known.unwrap_or(0) + growth.written;
        growth.known = Some(estimate.map_or(known, |e| e.max(known)));
        growth.written = 0;
        Ok(())
    }

    /// Refreshes the query planner's statistics for the tables an import grows. A table that
    /// was empty when an import began is otherwise planned as if it still were: PostgreSQL
    /// then scans a whole agency's events for each batch instead of using the index.
    /// Gives PostgreSQL's new estimate of the events table's rows.
    async fn refresh_statistics(&self) -> Result<Option<u64>, StoreError> {
        match &self.pools {
            crate::store::Pools::Postgres(pool) => {
                // (`persons` is only ever read by its primary key.)
                for table in ["source_records", "events"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
                        .execute(pool)
                        .await?;
                }
                let rows: f32 = sqlx::query_scalar(
                    "SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass",
                )
                .fetch_one(pool)
                .await?;
                Ok(Some(rows.max(0.0) as u64))
            }
            crate::store::Pools::Sqlite(pool) => {
                sqlx::query("PRAGMA optimize").execute(pool).await?;
                Ok(None)
            }
        }
    }

    /// The rows `who`'s own agency sent that wait in the quarantine, or `None` if their role
    /// may not review them. Audited: the rows hold the agency's own children's details.
    pub async fn quarantine_for(
        &self,
        who: &harbour_policy::Principal,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<QuarantineEntry>>, StoreError> {
        let work = Work::new("quarantine_review", "correct refused feed rows");
        let needs = Needs::Function(harbour_policy::Function::QuarantineReview);
        let Some(mut g) = self.gate_read(Actor::Staff(who), needs, work, now).await? else {
            return Ok(None);
        };
        let entries = in_gate!(g, imports as i, tx => i::quarantine(tx, &who.tenant, Some(who.agency), 1_000).await)?;
        g.entry.detail = serde_json::json!({ "rows": entries.len() }).to_string();
        g.commit().await?;
        Ok(Some(entries))
    }

    /// Rows waiting in the quarantine, for one agency or every agency, for an operator at
    /// the command line (an export to send back for correction). Audited.
    pub async fn quarantine(
        &self,
        tenant: &TenantCode,
        agency: Option<AgencyId>,
        now: OffsetDateTime,
    ) -> Result<Vec<QuarantineEntry>, StoreError> {
        let work = Work::new(
            "export_quarantine",
            "send refused feed rows back for correction",
        );
        let mut g = self.service_read(tenant, agency, work, now).await?;
        let entries =
            in_gate!(g, imports as i, tx => i::quarantine(tx, tenant, agency, 10_000).await)?;
        g.entry.detail = serde_json::json!({ "rows": entries.len() }).to_string();
        g.commit().await?;
        Ok(entries)
    }
}
