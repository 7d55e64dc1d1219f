//! Tamper trials: edits, deletions, insertions and reorderings made directly in the database
//! (as someone with the database but not Harbour would), each caught by `verify_audit` at the
//! entry that was touched, in the chain it belongs to (a local authority's, or the legacy
//! global chain of entries written before migration 0011). Each trial is undone afterwards
//! and the chains must verify again, which also shows the undo (and so the trial) did
//! exactly what it said.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_domain::Role;
use harbour_domain::{AgencyId, AgencyKind, PersonId, TenantCode};
use harbour_policy::{Policy, Principal};
use harbour_store::{
    AuditChain, AuditEntry, AuditVerification, NewAgency, SearchQuery, Store, StoreLocation,
};
use harbour_synth::demo;
use sqlx::Connection;
use time::macros::datetime;

/// A raw connection with the append-only guards switched off, as a DBA could.
enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Raw {
    async fn open(location: &StoreLocation) -> Self {
        match location {
            StoreLocation::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .foreign_keys(false);
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap();
                for trigger in [
                    "audit_no_update",
                    "audit_no_delete",
                    "audit_subjects_no_update",
                    "audit_subjects_no_delete",
                ] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {trigger}")))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                }
                Self::Sqlite(conn)
            }
            StoreLocation::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                // Skips triggers and foreign-key checks for this session (needs a superuser).
                sqlx::query("SET session_replication_role = replica")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                Self::Postgres(conn)
            }
        }
    }

    async fn exec(&mut self, sql: &str, args: &[i64]) {
        match self {
            Self::Sqlite(conn) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for arg in args {
                    query = query.bind(*arg);
                }
                query
                    .execute(conn)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            Self::Postgres(conn) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for arg in args {
                    query = query.bind(*arg);
                }
                query
                    .execute(conn)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
    }

    async fn seqs_with_subjects(&mut self) -> Vec<i64> {
        let sql = "SELECT DISTINCT seq FROM audit_subjects ORDER BY seq";
        let rows: Vec<(i64,)> = match self {
            Self::Sqlite(conn) => sqlx::query_as(sql).fetch_all(conn).await.unwrap(),
            Self::Postgres(conn) => sqlx::query_as(sql).fetch_all(conn).await.unwrap(),
        };
        rows.into_iter().map(|(s,)| s).collect()
    }

    /// Moves entries (and their subjects) at or after `from` along by `by`, without
    /// colliding with themselves on the way.
    async fn shift(&mut self, from: i64, by: i64) {
        for table in ["audit", "audit_subjects"] {
            self.exec(
                &format!("UPDATE {table} SET seq = -(seq + $2) WHERE seq >= $1"),
                &[from, by],
            )
            .await;
            self.exec(&format!("UPDATE {table} SET seq = -seq WHERE seq < 0"), &[])
                .await;
        }
    }

    async fn swap(&mut self, i: i64, j: i64) {
        for table in ["audit", "audit_subjects"] {
            self.exec(
                &format!("UPDATE {table} SET seq = -1000000 WHERE seq = $1"),
                &[i],
            )
            .await;
            self.exec(
                &format!("UPDATE {table} SET seq = $1 WHERE seq = $2"),
                &[i, j],
            )
            .await;
            self.exec(
                &format!("UPDATE {table} SET seq = $1 WHERE seq = -1000000"),
                &[j],
            )
            .await;
        }
    }
}

/// A small deterministic generator, so a failing trial can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        i64::try_from((self.0 >> 33) % u64::try_from(n).unwrap()).unwrap()
    }
}

async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(
        StoreLocation::choose(None, dir.path()).unwrap(),
        Policy::default_policy().unwrap(),
    )
    .await
    .unwrap();
    let mut all = vec![(sqlite, Some(dir))];
    if let Some(url) = std::env::var("HARBOUR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let url = harbour_store::testing::fresh_postgres_database(&url).await;
        let store = Store::open(
            StoreLocation::choose(Some(&url), std::path::Path::new(".")).unwrap(),
            Policy::default_policy().unwrap(),
        )
        .await
        .unwrap();
        all.push((store, None));
    }
    all
}

async fn expect_broken_at(store: &Store, chain: &AuditChain, seq: i64, what: &str) {
    match store.verify_audit().await.unwrap() {
        AuditVerification::Broken {
            chain: found_chain,
            seq: found,
            reason,
        } => {
            assert_eq!(
                (&found_chain, found),
                (chain, seq),
                "{what}: reported entry {found} of {found_chain} ({reason})"
            );
        }
        intact => panic!("{what}: not detected ({intact:?})"),
    }
}

async fn expect_intact(store: &Store, entries: u64, what: &str) {
    assert_eq!(
        store.verify_audit().await.unwrap(),
        AuditVerification::Intact { entries },
        "after undoing {what}"
    );
}

#[tokio::test]
async fn every_kind_of_tampering_is_caught_at_the_entry_touched() {
    for (store, _dir) in stores().await {
        let now = datetime!(2026-11-20 10:00 UTC);
        let county = demo::load_demo(&store, now).await.unwrap();
        // Some reads, so entries carry subjects too.
        let agency = county.agencies.iter().find(|a| a.code == "la").unwrap().id;
        let user = county
            .users
            .iter()
            .find(|u| u.roles.contains(&Role::SocialWorker))
            .unwrap();
        let who = Principal {
            user: user.id,
            tenant: county.tenant.clone(),
            agency,
            roles: user.roles.clone(),
        };
        for person in &county.batch.persons {
            store.person_view(&who, person.id, now).await.unwrap();
        }
        store
            .search_persons(&who, &SearchQuery::parse("mercer").unwrap(), 10, now)
            .await
            .unwrap();
        let AuditVerification::Intact { entries } = store.verify_audit().await.unwrap() else {
            panic!("not intact to begin with")
        };
        let last = i64::try_from(entries).unwrap();
        // One local authority: its chain is the whole audit.
        let chain = AuditChain::tenant(&county.tenant);
        let mut raw = Raw::open(store.location()).await;
        raw.exec(
            "CREATE TABLE trash_audit AS SELECT * FROM audit WHERE 1 = 0",
            &[],
        )
        .await;
        raw.exec(
            "CREATE TABLE trash_subjects AS SELECT * FROM audit_subjects WHERE 1 = 0",
            &[],
        )
        .await;
        let with_subjects = raw.seqs_with_subjects().await;
        let mut rng = Lcg(20_261_122);
        let trials = if matches!(raw, Raw::Sqlite(_)) { 12 } else { 5 };
        let mut detected = 0;

        for _ in 0..trials {
            let k = 1 + rng.below(last);

            raw.exec(
                "UPDATE audit SET purpose = purpose || 'x' WHERE seq = $1",
                &[k],
            )
            .await;
            expect_broken_at(&store, &chain, k, "an edited purpose").await;
            raw.exec(
                "UPDATE audit SET purpose = substr(purpose, 1, length(purpose) - 1) WHERE seq = $1",
                &[k],
            )
            .await;
            expect_intact(&store, entries, "an edited purpose").await;

            let flip = "UPDATE audit SET outcome = CASE outcome WHEN 'allowed' THEN 'denied' ELSE 'allowed' END WHERE seq = $1";
            raw.exec(flip, &[k]).await;
            expect_broken_at(&store, &chain, k, "a flipped outcome").await;
            raw.exec(flip, &[k]).await;
            expect_intact(&store, entries, "a flipped outcome").await;

            // Deleting an entry, anywhere, including the newest.
            raw.exec(
                "INSERT INTO trash_audit SELECT * FROM audit WHERE seq = $1",
                &[k],
            )
            .await;
            raw.exec(
                "INSERT INTO trash_subjects SELECT * FROM audit_subjects WHERE seq = $1",
                &[k],
            )
            .await;
            raw.exec("DELETE FROM audit_subjects WHERE seq = $1", &[k])
                .await;
            raw.exec("DELETE FROM audit WHERE seq = $1", &[k]).await;
            expect_broken_at(&store, &chain, k, "a deleted entry").await;
            raw.exec("INSERT INTO audit SELECT * FROM trash_audit", &[])
                .await;
            raw.exec(
                "INSERT INTO audit_subjects SELECT * FROM trash_subjects",
                &[],
            )
            .await;
            raw.exec("DELETE FROM trash_audit", &[]).await;
            raw.exec("DELETE FROM trash_subjects", &[]).await;
            expect_intact(&store, entries, "a deleted entry").await;

            // Removing a child from an entry's subjects (hiding that someone looked at them).
            let s = with_subjects
                [usize::try_from(rng.below(i64::try_from(with_subjects.len()).unwrap())).unwrap()];
            raw.exec(
                "INSERT INTO trash_subjects SELECT * FROM audit_subjects WHERE seq = $1",
                &[s],
            )
            .await;
            raw.exec("DELETE FROM audit_subjects WHERE seq = $1", &[s])
                .await;
            expect_broken_at(&store, &chain, s, "a removed subject").await;
            raw.exec(
                "INSERT INTO audit_subjects SELECT * FROM trash_subjects",
                &[],
            )
            .await;
            raw.exec("DELETE FROM trash_subjects", &[]).await;
            expect_intact(&store, entries, "a removed subject").await;

            // Inserting a forged entry that claims to follow the one before it.
            let at = 2 + rng.below(last - 1);
            raw.shift(at, 1).await;
            raw.exec(
                "INSERT INTO audit (seq, at, tenant_code, user_id, agency_id, action, person_id, purpose, outcome, detail, prev_hash, hash) \
                 SELECT $1, at, tenant_code, user_id, agency_id, action, person_id, 'nothing to see', outcome, detail, hash, hash \
                 FROM audit WHERE seq = $2",
                &[at, at - 1],
            )
            .await;
            expect_broken_at(&store, &chain, at, "an inserted entry").await;
            raw.exec("DELETE FROM audit WHERE seq = $1", &[at]).await;
            raw.shift(at + 1, -1).await;
            expect_intact(&store, entries, "an inserted entry").await;

            // Swapping two entries.
            let i = 1 + rng.below(last - 1);
            let j = i + 1 + rng.below(last - i);
            raw.swap(i, j).await;
            expect_broken_at(&store, &chain, i, "two swapped entries").await;
            raw.swap(i, j).await;
            expect_intact(&store, entries, "two swapped entries").await;

            detected += 6;
        }

        // Cutting the log short: every entry after the first deleted.
        raw.exec(
            "INSERT INTO trash_audit SELECT * FROM audit WHERE seq > 1",
            &[],
        )
        .await;
        raw.exec(
            "INSERT INTO trash_subjects SELECT * FROM audit_subjects WHERE seq > 1",
            &[],
        )
        .await;
        raw.exec("DELETE FROM audit_subjects WHERE seq > 1", &[])
            .await;
        raw.exec("DELETE FROM audit WHERE seq > 1", &[]).await;
        expect_broken_at(&store, &chain, 2, "a log cut short").await;
        println!("{} tamper trials detected at the right entry", detected + 1);
        assert_eq!(detected, trials * 6);
    }
}
