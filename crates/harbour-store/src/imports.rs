//! Storing agency feeds: each batch in one transaction with one audit entry, so a batch is
//! stored whole or not at all, and re-sending a file changes nothing.

use crate::StoreError;
use crate::audit::AuditEntry;
use crate::model::{ImportCounts, ImportRow, QuarantineEntry, QuarantineRow};
use crate::store::Store;
use harbour_domain::{AgencyId, TenantCode};
use time::OffsetDateTime;

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
        let mut entry =
            AuditEntry::new(now, tenant.clone(), "import_feed", "receive an agency feed");
        entry.agency = Some(agency);
        on_backend!(self, [queries as q, imports as i], pool => {
            let mut tx = q::begin(pool).await?;
            let counts = i::store_rows(&mut tx, tenant, agency, feed, file_name, rows, rejected, now).await?;
            entry.detail = serde_json::json!({ "feed": feed, "counts": counts }).to_string();
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(counts)
        })
    }

    /// Refreshes the query planner's statistics for the tables an import grows. A table that
    /// was empty when an import began is otherwise planned as if it still were: PostgreSQL
    /// then scans a whole agency's events for each batch instead of using the index.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        match &self.pools {
            crate::store::Pools::Postgres(pool) => {
                for table in ["persons", "source_records", "events"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
                        .execute(pool)
                        .await?;
                }
            }
            crate::store::Pools::Sqlite(pool) => {
                sqlx::query("PRAGMA optimize").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// The rows `who`'s own agency sent that wait in the quarantine, or `None` if their role
    /// may not review them. Audited: the rows hold the agency's own children's details.
    pub async fn quarantine_for(
        &self,
        who: &harbour_policy::Principal,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<QuarantineEntry>>, StoreError> {
        let allowed = self
            .policy
            .allows_function(who, harbour_policy::Function::QuarantineReview);
        let mut entry = crate::store::principal_entry(
            who,
            now,
            "quarantine_review",
            "correct refused feed rows",
        );
        on_backend!(self, [queries as q, imports as i], pool => {
            let entries = if allowed { Some(i::quarantine(pool, &who.tenant, Some(who.agency), 1_000).await?) } else { None };
            let mut tx = q::begin(pool).await?;
            if entries.is_none() {
                entry.outcome = crate::audit::Outcome::Denied;
            } else {
                entry.detail = serde_json::json!({ "rows": entries.as_ref().map_or(0, Vec::len) }).to_string();
            }
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(entries)
        })
    }

    /// Rows waiting in the quarantine, for one agency or every agency.
    pub async fn quarantine(
        &self,
        tenant: &TenantCode,
        agency: Option<AgencyId>,
    ) -> Result<Vec<QuarantineEntry>, StoreError> {
        on_backend!(self, imports as i, pool => i::quarantine(pool, tenant, agency, 10_000).await)
    }
}
