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
use sqlx::migrate::Migrator;
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

/// Runs a statement with text and number parameters (`$1`, `$2`, ... in the order given).
async fn exec_with(raw: &mut Raw, sql: &str, texts: &[&str], numbers: &[i64]) {
    macro_rules! run {
        ($conn:expr) => {{
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            for text in texts {
                query = query.bind(text.to_string());
            }
            for number in numbers {
                query = query.bind(*number);
            }
            query
                .execute($conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }};
    }
    match raw {
        Raw::Sqlite(conn) => run!(conn),
        Raw::Postgres(conn) => run!(conn),
    }
}

/// `(seq, hash)` of a tenant's newest entry as the head records it.
async fn head_of(raw: &mut Raw, tenant: &str) -> (i64, String) {
    let sql = "SELECT seq, hash FROM audit_heads WHERE tenant_code = $1";
    match raw {
        Raw::Sqlite(conn) => sqlx::query_as(sql).bind(tenant).fetch_one(conn).await,
        Raw::Postgres(conn) => sqlx::query_as(sql).bind(tenant).fetch_one(conn).await,
    }
    .unwrap()
}

/// A tenant's entries as `(seq, prev_hash, hash, legacy)`, in order.
async fn chain_of(raw: &mut Raw, tenant: &str) -> Vec<(i64, String, String, bool)> {
    let sql = "SELECT seq, prev_hash, hash, legacy FROM audit WHERE tenant_code = $1 ORDER BY seq";
    match raw {
        Raw::Sqlite(conn) => sqlx::query_as(sql).bind(tenant).fetch_all(conn).await,
        Raw::Postgres(conn) => sqlx::query_as(sql).bind(tenant).fetch_all(conn).await,
    }
    .unwrap()
}

fn agency(tenant: &TenantCode, n: usize) -> NewAgency {
    NewAgency {
        id: AgencyId(uuid::Uuid::now_v7()),
        tenant: tenant.clone(),
        code: format!("school{n}"),
        name: format!("School {n}"),
        kind: AgencyKind::School,
    }
}

/// Deletes one entry (with its children) into the trash tables, to be put back by
/// [`restore`].
async fn delete_entry(raw: &mut Raw, tenant: &str, seq: i64) {
    let keyed = "WHERE tenant_code = $1 AND seq = $2";
    for (trash, table) in [
        ("trash_audit", "audit"),
        ("trash_subjects", "audit_subjects"),
    ] {
        let sql = format!("INSERT INTO {trash} SELECT * FROM {table} {keyed}");
        exec_with(raw, &sql, &[tenant], &[seq]).await;
    }
    for table in ["audit_subjects", "audit"] {
        exec_with(
            raw,
            &format!("DELETE FROM {table} {keyed}"),
            &[tenant],
            &[seq],
        )
        .await;
    }
}

async fn restore(raw: &mut Raw) {
    for (trash, table) in [
        ("trash_audit", "audit"),
        ("trash_subjects", "audit_subjects"),
    ] {
        raw.exec(&format!("INSERT INTO {table} SELECT * FROM {trash}"), &[])
            .await;
        raw.exec(&format!("DELETE FROM {trash}"), &[]).await;
    }
}

async fn make_trash(raw: &mut Raw) {
    for (trash, table) in [
        ("trash_audit", "audit"),
        ("trash_subjects", "audit_subjects"),
    ] {
        let sql = format!("CREATE TABLE {trash} AS SELECT * FROM {table} WHERE 1 = 0");
        raw.exec(&sql, &[]).await;
    }
}

/// Moves an entry to the end of another tenant's chain, as a forger would who knows the
/// scheme: renumbered to follow that tenant's head, linked to its hash, and the head moved
/// on to it (its hash left as it was, since the forger cannot recompute it without the
/// entry's tenant changing it).
async fn move_entry(raw: &mut Raw, from: &str, seq: i64, to: &str) -> i64 {
    let (to_head, to_hash) = head_of(raw, to).await;
    let moved = to_head + 1;
    exec_with(
        raw,
        "UPDATE audit SET tenant_code = $1, prev_hash = $2, seq = $4 WHERE tenant_code = $3 AND seq = $5",
        &[to, &to_hash, from],
        &[moved, seq],
    )
    .await;
    exec_with(
        raw,
        "UPDATE audit_subjects SET tenant_code = $1, seq = $3 WHERE tenant_code = $2 AND seq = $4",
        &[to, from],
        &[moved, seq],
    )
    .await;
    exec_with(
        raw,
        "UPDATE audit_heads SET seq = $2, hash = (SELECT hash FROM audit WHERE tenant_code = $1 AND seq = $2) WHERE tenant_code = $1",
        &[to],
        &[moved],
    )
    .await;
    moved
}

/// Puts a moved entry back where [`move_entry`] took it from.
async fn unmove_entry(raw: &mut Raw, from: &str, seq: i64, to: &str, moved: i64, prev: &str) {
    exec_with(
        raw,
        "UPDATE audit SET tenant_code = $1, prev_hash = $2, seq = $4 WHERE tenant_code = $3 AND seq = $5",
        &[from, prev, to],
        &[seq, moved],
    )
    .await;
    exec_with(
        raw,
        "UPDATE audit_subjects SET tenant_code = $1, seq = $3 WHERE tenant_code = $2 AND seq = $4",
        &[from, to],
        &[seq, moved],
    )
    .await;
    exec_with(
        raw,
        "UPDATE audit_heads SET seq = $2, hash = (SELECT hash FROM audit WHERE tenant_code = $1 AND seq = $2) WHERE tenant_code = $1",
        &[to],
        &[moved - 1],
    )
    .await;
}

#[tokio::test]
async fn each_local_authority_has_its_own_chain_and_tampering_names_the_one_touched() {
    for (store, _dir) in stores().await {
        let now = datetime!(2026-11-20 10:00 UTC);
        // Two local authorities whose audited work interleaves, one with subjects too.
        let low = TenantCode::parse("845").unwrap();
        let high = TenantCode::parse("846").unwrap();
        store.create_tenant(&low, "Low", now).await.unwrap();
        store.create_tenant(&high, "High", now).await.unwrap();
        for n in 0..6 {
            store.create_agency(&agency(&low, n), now).await.unwrap();
            store.create_agency(&agency(&high, n), now).await.unwrap();
        }
        let who = Principal {
            user: harbour_domain::UserId::new_v7(),
            tenant: high.clone(),
            agency: AgencyId(uuid::Uuid::now_v7()),
            roles: [Role::SocialWorker].into(),
        };
        // A look at a child who is not there: still audited, naming the child.
        store
            .person_view(&who, PersonId::new_v7(), now)
            .await
            .unwrap();
        let entries = 7 + 8;
        expect_intact(&store, entries, "nothing").await;
        let mut raw = Raw::open(store.location()).await;
        make_trash(&mut raw).await;
        for (code, length) in [("845", 7), ("846", 8)] {
            let chain = chain_of(&mut raw, code).await;
            let seqs: Vec<i64> = chain.iter().map(|e| e.0).collect();
            assert_eq!(
                seqs,
                (1..=length).collect::<Vec<_>>(),
                "{code} counts alone"
            );
            assert!(chain.windows(2).all(|w| w[1].1 == w[0].2), "{code} links");
        }
        let mut trials = 0;

        // An entry of one tenant deleted, first, middle and last: that tenant's chain is
        // reported; the other's is untouched (and, when it is checked first, passes).
        for (victim, other, other_length) in [("845", "846", 8), ("846", "845", 7)] {
            for k in [1, 4, 7] {
                delete_entry(&mut raw, victim, k).await;
                let chain = AuditChain::Tenant(victim.into());
                expect_broken_at(&store, &chain, k, "a deleted entry of one tenant").await;
                assert_eq!(chain_of(&mut raw, other).await.len(), other_length);
                restore(&mut raw).await;
                expect_intact(&store, entries, "a deleted entry of one tenant").await;
                trials += 1;
            }
        }

        // An entry moved to the end of the other tenant's chain. The lower code's chain is
        // checked first, so it is the one reported: the gap where the entry was, or the
        // entry where it does not belong (its hash covers its tenant and number).
        for (from, to, k) in [("845", "846", 3), ("846", "845", 5)] {
            let prev = chain_of(&mut raw, from).await[usize::try_from(k - 2).unwrap()]
                .2
                .clone();
            let moved = move_entry(&mut raw, from, k, to).await;
            let (chain, seq) = if from < to {
                (AuditChain::Tenant(from.into()), k)
            } else {
                (AuditChain::Tenant(to.into()), moved)
            };
            expect_broken_at(&store, &chain, seq, "an entry moved to another tenant").await;
            unmove_entry(&mut raw, from, k, to, moved, &prev).await;
            expect_intact(&store, entries, "an entry moved to another tenant").await;
            trials += 1;
        }

        // A tenant's head rewound: its newest entry looks added afterwards.
        let (seq, _) = head_of(&mut raw, "846").await;
        exec_with(
            &mut raw,
            "UPDATE audit_heads SET seq = $2, hash = (SELECT hash FROM audit WHERE tenant_code = $1 AND seq = $2) WHERE tenant_code = $1",
            &["846"],
            &[seq - 1],
        )
        .await;
        let chain = AuditChain::Tenant("846".into());
        expect_broken_at(&store, &chain, seq, "a head rewound").await;
        exec_with(
            &mut raw,
            "UPDATE audit_heads SET seq = $2, hash = (SELECT hash FROM audit WHERE tenant_code = $1 AND seq = $2) WHERE tenant_code = $1",
            &["846"],
            &[seq],
        )
        .await;
        expect_intact(&store, entries, "a head rewound").await;
        trials += 1;

        // Every entry of one tenant deleted, its head kept: cut short at its first.
        for seq in 1..=7 {
            delete_entry(&mut raw, "845", seq).await;
        }
        let chain = AuditChain::Tenant("845".into());
        expect_broken_at(&store, &chain, 1, "a tenant's log removed").await;
        restore(&mut raw).await;
        expect_intact(&store, entries, "a tenant's log removed").await;
        trials += 1;
        println!("{trials} trials on two tenants' chains detected at the right entry");
    }
}

/// The `prev_hash` of a chain's first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The tenants of the legacy entries, in the order they were written, and whether each
/// names children.
const LEGACY_PLAN: &[(&str, usize)] = &[
    ("845", 0),
    ("846", 1),
    ("845", 2),
    ("845", 0),
    ("846", 0),
    ("847", 1),
    ("846", 2),
    ("845", 1),
    ("846", 0),
    ("846", 0),
    ("845", 0),
    ("847", 0),
];

/// Writes the legacy entries as Harbour wrote every entry before migration 0011: one chain
/// across all tenants, numbered from 1, each after the previous entry's hash, and the
/// newest in `audit_head`.
macro_rules! write_legacy_chain {
    ($conn:expr) => {{
        let mut prev = GENESIS.to_owned();
        for (i, (tenant, children)) in LEGACY_PLAN.iter().enumerate() {
            let seq = i64::try_from(i + 1).unwrap();
            let at = datetime!(2026-06-01 09:00 UTC) + time::Duration::minutes(seq);
            let children: Vec<PersonId> = (0..*children).map(|_| PersonId::new_v7()).collect();
            let mut entry = AuditEntry::new(at, TenantCode::parse(tenant).unwrap(), "view_person", "before the split")
                .with_subjects(children);
            entry.user = Some(harbour_domain::UserId::new_v7());
            let hash = entry.hash(seq, &prev);
            let single = match entry.subjects.as_slice() {
                [one] => Some(one.0),
                _ => None,
            };
            sqlx::query(
                "INSERT INTO audit (seq, at, tenant_code, user_id, agency_id, action, person_id, \
                 purpose, outcome, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(seq)
            .bind(entry.at)
            .bind(*tenant)
            .bind(entry.user.map(|u| u.0))
            .bind(entry.agency.map(|a| a.0))
            .bind(&entry.action)
            .bind(single)
            .bind(&entry.purpose)
            .bind(entry.outcome.as_str())
            .bind(&entry.detail)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *$conn)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            )
            .bind(seq)
            .bind(&hash)
            .execute(&mut *$conn)
            .await
            .unwrap();
            for child in &entry.subjects {
                sqlx::query("INSERT INTO audit_subjects (tenant_code, person_id, seq) VALUES ($1, $2, $3)")
                    .bind(*tenant)
                    .bind(child.0)
                    .bind(seq)
                    .execute(&mut *$conn)
                    .await
                    .unwrap();
            }
            prev = hash;
        }
    }};
}

/// Databases as Harbour left them before migration 0011 (migrated up to it, holding the
/// legacy chain), then opened by the store, which migrates them on.
async fn legacy_stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::choose(None, dir.path()).unwrap();
    let StoreLocation::Sqlite(file) = &location else {
        unreachable!("no URL was given")
    };
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(file)
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        let before = Migrator::new(migrations.join("sqlite")).await.unwrap();
        before.run_to(10, &mut conn).await.unwrap();
        write_legacy_chain!(&mut conn);
        conn.close().await.unwrap();
    }
    let sqlite = Store::open(location, Policy::default_policy().unwrap())
        .await
        .unwrap();
    let mut all = vec![(sqlite, Some(dir))];
    if let Some(url) = std::env::var("HARBOUR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let url = harbour_store::testing::fresh_postgres_database(&url).await;
        {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let before = Migrator::new(migrations.join("postgres")).await.unwrap();
            before.run_to(10, &mut conn).await.unwrap();
            write_legacy_chain!(&mut conn);
            conn.close().await.unwrap();
        }
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

#[tokio::test]
async fn entries_from_before_the_split_still_verify_and_tampering_with_them_is_caught() {
    for (store, _dir) in legacy_stores().await {
        let legacy = i64::try_from(LEGACY_PLAN.len()).unwrap();
        expect_intact(
            &store,
            legacy as u64,
            "nothing: the legacy chain as migrated",
        )
        .await;
        let mut raw = Raw::open(store.location()).await;
        // Each tenant's head starts at its last legacy entry.
        for code in ["845", "846", "847"] {
            let chain = chain_of(&mut raw, code).await;
            let last = chain.last().unwrap();
            assert!(chain.iter().all(|e| e.3), "{code}: all legacy");
            assert_eq!(head_of(&mut raw, code).await, (last.0, last.2.clone()));
        }

        // New work continues each tenant's chain from its last legacy entry.
        let now = datetime!(2026-11-20 10:00 UTC);
        let mut new = 0;
        for code in ["845", "846"] {
            let tenant = TenantCode::parse(code).unwrap();
            let before = chain_of(&mut raw, code).await;
            store.create_tenant(&tenant, code, now).await.unwrap();
            for n in 0..3 {
                store.create_agency(&agency(&tenant, n), now).await.unwrap();
            }
            new += 4;
            let after = chain_of(&mut raw, code).await;
            let last_legacy = before.last().unwrap();
            let first = &after[before.len()];
            assert_eq!(first.0, last_legacy.0 + 1, "{code}: numbered on");
            assert_eq!(
                first.1, last_legacy.2,
                "{code}: linked to its last legacy entry"
            );
            assert!(!first.3, "{code}: a new entry is not legacy");
            let seqs: Vec<i64> = after[before.len()..].iter().map(|e| e.0).collect();
            assert_eq!(seqs, (first.0..first.0 + 4).collect::<Vec<_>>());
        }
        let entries = legacy as u64 + new;
        expect_intact(&store, entries, "nothing: legacy and new").await;

        make_trash(&mut raw).await;
        let mut trials = 0;
        for k in 1..=legacy {
            raw.exec(
                "UPDATE audit SET purpose = purpose || 'x' WHERE legacy AND seq = $1",
                &[k],
            )
            .await;
            expect_broken_at(&store, &AuditChain::Legacy, k, "an altered legacy entry").await;
            raw.exec(
                "UPDATE audit SET purpose = substr(purpose, 1, length(purpose) - 1) WHERE legacy AND seq = $1",
                &[k],
            )
            .await;
            expect_intact(&store, entries, "an altered legacy entry").await;

            let (tenant, children) = LEGACY_PLAN[usize::try_from(k - 1).unwrap()];
            delete_entry(&mut raw, tenant, k).await;
            expect_broken_at(&store, &AuditChain::Legacy, k, "a deleted legacy entry").await;
            restore(&mut raw).await;
            expect_intact(&store, entries, "a deleted legacy entry").await;

            // Taken out of the legacy chain (as if written after the split).
            let flag = |on: bool| {
                format!("UPDATE audit SET legacy = {on} WHERE tenant_code = $1 AND seq = $2")
            };
            exec_with(&mut raw, &flag(false), &[tenant], &[k]).await;
            expect_broken_at(&store, &AuditChain::Legacy, k, "a legacy entry unmarked").await;
            exec_with(&mut raw, &flag(true), &[tenant], &[k]).await;
            expect_intact(&store, entries, "a legacy entry unmarked").await;
            trials += 3;

            if children > 0 {
                let keyed = "WHERE tenant_code = $1 AND seq = $2";
                let sql =
                    format!("INSERT INTO trash_subjects SELECT * FROM audit_subjects {keyed}");
                exec_with(&mut raw, &sql, &[tenant], &[k]).await;
                let sql = format!("DELETE FROM audit_subjects {keyed}");
                exec_with(&mut raw, &sql, &[tenant], &[k]).await;
                expect_broken_at(
                    &store,
                    &AuditChain::Legacy,
                    k,
                    "a child removed from a legacy entry",
                )
                .await;
                restore(&mut raw).await;
                expect_intact(&store, entries, "a child removed from a legacy entry").await;
                trials += 1;
            }
        }

        // The legacy head rewound: the newest legacy entry looks added afterwards.
        raw.exec(
            "UPDATE audit_head SET seq = $1, hash = (SELECT hash FROM audit WHERE legacy AND seq = $1)",
            &[legacy - 1],
        )
        .await;
        expect_broken_at(
            &store,
            &AuditChain::Legacy,
            legacy,
            "the legacy head rewound",
        )
        .await;
        raw.exec(
            "UPDATE audit_head SET seq = $1, hash = (SELECT hash FROM audit WHERE legacy AND seq = $1)",
            &[legacy],
        )
        .await;
        expect_intact(&store, entries, "the legacy head rewound").await;
        trials += 1;

        // A tenant's first entry after the split: deleted, or re-linked to start afresh.
        let first = chain_of(&mut raw, "846")
            .await
            .into_iter()
            .find(|e| !e.3)
            .unwrap();
        let chain = AuditChain::Tenant("846".into());
        delete_entry(&mut raw, "846", first.0).await;
        expect_broken_at(
            &store,
            &chain,
            first.0,
            "a first entry after the split deleted",
        )
        .await;
        restore(&mut raw).await;
        expect_intact(&store, entries, "a first entry after the split deleted").await;
        let relink = "UPDATE audit SET prev_hash = $1 WHERE tenant_code = $2 AND seq = $3";
        exec_with(&mut raw, relink, &[GENESIS, "846"], &[first.0]).await;
        expect_broken_at(
            &store,
            &chain,
            first.0,
            "a first entry after the split re-linked",
        )
        .await;
        exec_with(&mut raw, relink, &[&first.1, "846"], &[first.0]).await;
        expect_intact(&store, entries, "a first entry after the split re-linked").await;
        trials += 2;
        println!(
            "{trials} trials on a store migrated from the global chain detected at the right entry"
        );
    }
}
