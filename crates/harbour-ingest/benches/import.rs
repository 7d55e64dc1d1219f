//! Import throughput against the physical limit, in the same run on the same machine.
//!
//! `cargo bench -p harbour-ingest --bench import` generates a synthetic county
//! (`HARBOUR_BENCH_CHILDREN`, default 140,000: about 37 events a child, so over the goal's
//! 5,000,000 events), imports every feed into a fresh SQLite store,
//! then inserts the same rows' event columns into a bare table with one prepared statement in
//! transactions of the same size (the SQLite limit). With `HARBOUR_TEST_POSTGRES_URL` set it
//! does the same on PostgreSQL, with `COPY` as the limit. Prints rows/s, the ratio to the
//! limit and the process's peak memory. `HARBOUR_BENCH_SQLITE=0` measures PostgreSQL alone.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // benchmark code

use harbour_ingest::{Placement, import_files, set_up_agencies};
use harbour_policy::Policy;
use harbour_store::{ImportCounts, Store, StoreLocation};
use harbour_synth::county::{self, Manifest};
use std::path::Path;
use std::time::Instant;
use time::macros::datetime;

fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

async fn import_all(store: &Store, dir: &Path, manifest: &Manifest) -> ImportCounts {
    let now = datetime!(2026-09-01 09:00 UTC);
    let (tenant, files) = set_up_agencies(store, manifest, dir, Placement::AsNamed, now)
        .await
        .unwrap();
    import_files(store, &tenant, &files, now, |_| {})
        .await
        .unwrap()
}

/// A Common Transfer File's events, read with the same parser the import uses (a CTF is not
/// rows, so the reference gets the events a pupil's XML yields).
fn ctf_rows(path: &Path, agency: &str) -> Vec<[String; 5]> {
    use harbour_import::ctf::{CtfReader, Next};
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = CtfReader::new(file, datetime!(2026-09-01 09:00 UTC).date());
    let mut rows = Vec::new();
    while let Next::Pupil(pupil) = reader.next_pupil().unwrap() {
        for row in pupil.into_iter().flatten() {
            rows.push([
                agency.to_owned(),
                row.identity.record_key.clone(),
                row.event.event_key.clone(),
                "school_ctf".to_owned(),
                format!("{} {}", row.event.occurred_on, row.event.summary),
            ]);
        }
    }
    rows
}

/// Every row's event columns, as the bare reference inserts them.
fn bare_rows<'a>(dir: &'a Path, manifest: &'a Manifest) -> impl Iterator<Item = [String; 5]> + 'a {
    manifest
        .feeds
        .iter()
        .flat_map(move |feed| -> Box<dyn Iterator<Item = [String; 5]>> {
            if feed.feed.is_xml() {
                return Box::new(ctf_rows(&dir.join(&feed.file), &feed.agency).into_iter());
            }
            let mut reader = csv::Reader::from_path(dir.join(&feed.file)).unwrap();
            let headers = reader.headers().unwrap().clone();
            let key = headers.iter().position(|h| h == "event_key").unwrap();
            let agency = feed.agency.clone();
            let kind = feed.feed.as_str().to_owned();
            Box::new(reader.into_records().map(move |row| {
                let row = row.unwrap();
                let rest: Vec<&str> = row.iter().skip(key + 1).collect();
                [
                    agency.clone(),
                    row[0].to_owned(),
                    row[key].to_owned(),
                    kind.clone(),
                    rest.join(" "),
                ]
            }))
        })
}

const BARE_TABLE: &str = "CREATE TABLE bare (agency TEXT NOT NULL, record_key TEXT NOT NULL, event_key TEXT NOT NULL, \
     kind TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (agency, event_key))";

fn report(backend: &str, rows: u64, harbour: f64, limit_name: &str, limit: f64) {
    println!("{backend}: {rows} rows");
    println!(
        "  harbour import (validate, link, version, audit): {harbour:>7.1} s  {:>9.0} rows/s",
        rows as f64 / harbour
    );
    println!(
        "  {limit_name:<47} {limit:>7.1} s  {:>9.0} rows/s",
        rows as f64 / limit
    );
    println!("  ratio harbour/limit: {:.2}", limit / harbour);
}

/// The tables an import writes, the columns it writes, and the foreign keys between them.
const SHAPED: [(&str, &str, &str); 3] = [
    (
        "persons",
        "tenant_code, id, created_at",
        "FOREIGN KEY (tenant_code) REFERENCES tenants (code)",
    ),
    (
        "source_records",
        "tenant_code, id, agency_id, record_key, person_id, given_name, family_name, \
         date_of_birth, sex, upn, nhs_number, postcode, recorded_at",
        "FOREIGN KEY (agency_id) REFERENCES agencies (id), \
         FOREIGN KEY (tenant_code, person_id) REFERENCES limit_persons (tenant_code, id)",
    ),
    (
        "events",
        "tenant_code, id, source_record_id, agency_id, record_key, version, kind, \
         occurred_on, recorded_at, handling, summary, details, content_hash",
        "FOREIGN KEY (tenant_code, source_record_id, agency_id) \
         REFERENCES limit_source_records (tenant_code, id, agency_id)",
    ),
];

/// The physical limit for Harbour's own storage: the persons, source records and events the
/// import just wrote are copied out to files, then `COPY`ed into fresh tables with the same
/// columns, defaults, indexes and foreign keys, in one transaction. Gives the seconds taken.
async fn copy_into_harbour_shape(conn: &mut sqlx::PgConnection, dir: &Path) -> f64 {
    use futures_util::StreamExt;
    use sqlx::Connection;
    use std::io::{Read, Write};
    for (table, columns, keys) in SHAPED {
        let path = dir.join(format!("{table}.copy"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut out = conn
            .copy_out_raw(&format!("COPY (SELECT {columns} FROM {table}) TO STDOUT"))
            .await
            .unwrap();
        while let Some(chunk) = out.next().await {
            file.write_all(&chunk.unwrap()).unwrap();
        }
        drop(out);
        file.into_inner().unwrap().sync_all().unwrap();
        let create = format!(
            "CREATE TABLE limit_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)"
        );
        sqlx::query(sqlx::AssertSqlSafe(create))
            .execute(&mut *conn)
            .await
            .unwrap();
        if !keys.is_empty() {
            let alter = format!(
                "ALTER TABLE limit_{table} ADD {}",
                keys.replace(", FOREIGN", ", ADD FOREIGN")
            );
            sqlx::query(sqlx::AssertSqlSafe(alter))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    let started = Instant::now();
    let mut tx = conn.begin().await.unwrap();
    for (table, columns, _) in SHAPED {
        let mut copy = tx
            .copy_in_raw(&format!("COPY limit_{table} ({columns}) FROM STDIN"))
            .await
            .unwrap();
        let mut file = std::fs::File::open(dir.join(format!("{table}.copy"))).unwrap();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            copy.send(&buffer[..n]).await.unwrap();
        }
        copy.finish().await.unwrap();
    }
    tx.commit().await.unwrap();
    started.elapsed().as_secs_f64()
}

fn main() {
    let children: u64 = std::env::var("HARBOUR_BENCH_CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(140_000);
    // `HARBOUR_BENCH_SQLITE=0` skips SQLite, to measure PostgreSQL alone.
    let sqlite = std::env::var("HARBOUR_BENCH_SQLITE").map_or(true, |v| v != "0");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let county_dir = work.path().join("county");
    let started = Instant::now();
    let summary = county::generate(&county::Config::new(children, 1), &county_dir, |_| {}).unwrap();
    println!(
        "synthetic county: {children} children, {} events, generated in {:.1} s",
        summary.events,
        started.elapsed().as_secs_f64()
    );
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(county_dir.join("manifest.json")).unwrap())
            .unwrap();

    runtime.block_on(async {
        // SQLite: Harbour's import, then a bare prepared-statement loop on the same settings.
        if sqlite {
            let sqlite_dir = work.path().join("sqlite");
            let store = Store::open_for_import(StoreLocation::choose(None, &sqlite_dir).unwrap(), Policy::default_policy().unwrap()).await.unwrap();
            let started = Instant::now();
            let counts = import_all(&store, &county_dir, &manifest).await;
            let harbour = started.elapsed().as_secs_f64();
            store.close().await;
            println!("  counts: {counts:?}; peak memory so far {:.0} MB", peak_memory_mb());

            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(work.path().join("bare.sqlite3"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            sqlx::query(BARE_TABLE).execute(&pool).await.unwrap();
            let started = Instant::now();
            let mut tx = pool.begin().await.unwrap();
            let mut rows = 0u64;
            for row in bare_rows(&county_dir, &manifest) {
                sqlx::query("INSERT INTO bare (agency, record_key, event_key, kind, detail) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                    .bind(&row[0]).bind(&row[1]).bind(&row[2]).bind(&row[3]).bind(&row[4])
                    .execute(&mut *tx).await.unwrap();
                rows += 1;
                if rows.is_multiple_of(harbour_ingest::file::BATCH_ROWS as u64) {
                    tx.commit().await.unwrap();
                    tx = pool.begin().await.unwrap();
                }
            }
            tx.commit().await.unwrap();
            let limit = started.elapsed().as_secs_f64();
            report("SQLite", rows, harbour, "bare prepared-statement loop (same pragmas):", limit);
        }

        // PostgreSQL, when a server is named: Harbour's import, then COPY.
        if let Some(url) = std::env::var("HARBOUR_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            let name = format!("harbour_bench_{}", uuid::Uuid::now_v7().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
            let (base, _) = url.split_once('?').unwrap_or((url.as_str(), ""));
            let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
            let db_url = format!("{server}/{name}");
            let store = Store::open(StoreLocation::choose(Some(&db_url), work.path()).unwrap(), Policy::default_policy().unwrap()).await.unwrap();
            let started = Instant::now();
            import_all(&store, &county_dir, &manifest).await;
            let harbour = started.elapsed().as_secs_f64();
            store.close().await;

            let mut conn = sqlx::PgConnection::connect(&db_url).await.unwrap();
            // The same socket option the store's own connections have.
            assert!(harbour_store::testing::set_nodelay_on_postgres_connections(&db_url).unwrap() > 0);
            sqlx::query(BARE_TABLE).execute(&mut conn).await.unwrap();
            let started = Instant::now();
            let mut copy = conn.copy_in_raw("COPY bare (agency, record_key, event_key, kind, detail) FROM STDIN WITH (FORMAT csv)").await.unwrap();
            let mut buffer = csv::Writer::from_writer(Vec::with_capacity(1 << 20));
            let mut rows = 0u64;
            for row in bare_rows(&county_dir, &manifest) {
                buffer.write_record(&row).unwrap();
                rows += 1;
                if rows.is_multiple_of(50_000) {
                    copy.send(buffer.into_inner().unwrap()).await.unwrap();
                    buffer = csv::Writer::from_writer(Vec::with_capacity(1 << 20));
                }
            }
            copy.send(buffer.into_inner().unwrap()).await.unwrap();
            copy.finish().await.unwrap();
            let limit = started.elapsed().as_secs_f64();
            report("PostgreSQL", rows, harbour, "COPY into a bare table:", limit);

            let shaped = copy_into_harbour_shape(&mut conn, work.path()).await;
            report("PostgreSQL", rows, harbour, "COPY of what it stored, into tables shaped like Harbour's:", shaped);
            drop(conn);
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).execute(&mut admin).await;
        }
        println!("peak memory (whole run): {:.0} MB", peak_memory_mb());
    });
}
