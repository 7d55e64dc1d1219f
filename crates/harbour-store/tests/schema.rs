//! The two migration folders build the same schema: a fresh SQLite database and (when
//! `HARBOUR_TEST_POSTGRES_URL` is set) a fresh PostgreSQL database, each migrated by the
//! store, define the same tables, the same columns per table (name and nullability), the
//! same primary keys and unique constraints (by table and columns), and the same indexes
//! (by name, table, indexed columns, uniqueness and predicate), and the same foreign keys
//! (by table, columns and the table and columns they refer to).
//!
//! Each schema is described as a set of lines, and the test prints the lines only one side
//! has. How the two are made comparable:
//! - Primary keys are compared as a property of the table (`primary key (a, b)`), not as
//!   indexes: SQLite keeps an `INTEGER PRIMARY KEY` in the rowid, with no index at all, and
//!   names the others `sqlite_autoindex_*`; PostgreSQL names its index `<table>_pkey`. So
//!   SQLite's `pk`-origin indexes and PostgreSQL's `indisprimary` ones are left out.
//! - Unique constraints (`UNIQUE (a, b)` in a table) are compared by table and columns:
//!   SQLite's `u`-origin `sqlite_autoindex_*` indexes against PostgreSQL's indexes that back
//!   a unique constraint, whose names differ by nature.
//! - Every other index was made by `CREATE [UNIQUE] INDEX name` and is compared by name.
//! - A column's nullability is compared except on primary-key columns: SQLite lets NULL into
//!   a primary-key column not declared NOT NULL (a documented quirk it keeps for
//!   compatibility), PostgreSQL never does. Those columns are listed separately, so a
//!   difference there shows too, as its own line.
//!
//! Differences known and accepted are listed in [`ALLOWED`] with the reason; a listed
//! difference that no longer occurs fails the test too, so the list stays true.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

mod migrated;

use std::collections::BTreeSet;

/// `(the backend that has the line, the line, why the other does not)`.
const ALLOWED: &[(&str, &str, &str)] = &[
    // -- migration 0007: PostgreSQL merged the events' two foreign keys into one; SQLite cannot
    //    change a table's constraints without rebuilding it, so it kept both (the migration
    //    says so). Every event an import writes satisfies both forms.
    (
        "postgres",
        "source_records: unique (tenant_code, id, agency_id)",
        "0007: the target of PostgreSQL's merged events foreign key",
    ),
    (
        "postgres",
        "events: foreign key (tenant_code, source_record_id, agency_id) references source_records (tenant_code, id, agency_id)",
        "0007: PostgreSQL's merged key",
    ),
    (
        "sqlite",
        "events: foreign key (agency_id) references agencies (id)",
        "0007: SQLite keeps the two keys PostgreSQL merged",
    ),
    (
        "sqlite",
        "events: foreign key (tenant_code, source_record_id) references source_records (tenant_code, id)",
        "0007: SQLite keeps the two keys PostgreSQL merged",
    ),
    // -- SQLite lets NULL into a single-column TEXT or BLOB primary key declared without NOT
    //    NULL; PostgreSQL refuses it. The store always binds a value there (the Rust types
    //    are not optional), so no NULL is written; closing the gap in the schema needs a
    //    migration that rebuilds each table (SQLite cannot add NOT NULL to a column).
    (
        "sqlite",
        "tenants.code: primary-key column accepts NULL",
        "SQLite primary-key quirk; 0001 declares TEXT PRIMARY KEY without NOT NULL",
    ),
    (
        "sqlite",
        "roles.code: primary-key column accepts NULL",
        "SQLite primary-key quirk (0001)",
    ),
    (
        "sqlite",
        "agencies.id: primary-key column accepts NULL",
        "SQLite primary-key quirk (0001)",
    ),
    (
        "sqlite",
        "users.id: primary-key column accepts NULL",
        "SQLite primary-key quirk (0001)",
    ),
    (
        "sqlite",
        "sessions.token_hash: primary-key column accepts NULL",
        "SQLite primary-key quirk (0001)",
    ),
    (
        "sqlite",
        "api_tokens.id: primary-key column accepts NULL",
        "SQLite primary-key quirk (0002)",
    ),
    (
        "sqlite",
        "link_models.tenant_code: primary-key column accepts NULL",
        "SQLite primary-key quirk (0006)",
    ),
    (
        "sqlite",
        "_sqlx_migrations.version: primary-key column accepts NULL",
        "sqlx's own table (BIGINT PRIMARY KEY is not the rowid); sqlx writes it",
    ),
];

type Schema = BTreeSet<String>;

/// A foreign key being gathered: the table it refers to, its columns, and theirs.
type ForeignKey = (String, Vec<String>, Vec<Option<String>>);

/// Name, table, key columns, unique, primary, backs a unique constraint, predicate.
type PgIndex = (
    String,
    String,
    Vec<String>,
    bool,
    bool,
    bool,
    Option<String>,
);

/// Lower case, single spaces, no parentheses: how a predicate compares across the two
/// (PostgreSQL re-prints `WHERE x IS NULL` as `(x IS NULL)`).
fn normalise(sql: &str) -> String {
    sql.replace(['(', ')'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> Schema {
    let mut lines = Schema::new();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table,) in tables {
        lines.insert(format!("table {table}"));
        let columns: Vec<(String, bool, i64)> =
            sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(&table)
                .fetch_all(pool)
                .await
                .unwrap();
        let mut key: Vec<(i64, String)> = Vec::new();
        for (column, not_null, pk) in columns {
            if pk > 0 {
                key.push((pk, column.clone()));
                lines.insert(format!("{table}.{column}: in the primary key"));
                if !not_null {
                    // Only an INTEGER PRIMARY KEY (the rowid) refuses NULL without saying so.
                    let integer_key: Option<(String,)> = sqlx::query_as(
                        "SELECT type FROM pragma_table_info($1) WHERE name = $2 AND upper(type) = 'INTEGER'",
                    )
                    .bind(&table)
                    .bind(&column)
                    .fetch_optional(pool)
                    .await
                    .unwrap();
                    if integer_key.is_none() {
                        lines.insert(format!("{table}.{column}: primary-key column accepts NULL"));
                    }
                }
            } else {
                let null = if not_null { "not null" } else { "null" };
                lines.insert(format!("{table}.{column}: {null}"));
            }
        }
        key.sort();
        if !key.is_empty() {
            let key: Vec<String> = key.into_iter().map(|(_, c)| c).collect();
            lines.insert(format!("{table}: primary key ({})", key.join(", ")));
        }
        let keys: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut by_id: std::collections::BTreeMap<i64, ForeignKey> = Default::default();
        for (id, target, from, to) in keys {
            let entry = by_id
                .entry(id)
                .or_insert_with(|| (target, Vec::new(), Vec::new()));
            entry.1.push(from);
            entry.2.push(to);
        }
        for (target, from, to) in by_id.into_values() {
            // A key that names no columns refers to the target's primary key.
            let to: Vec<String> = if to.iter().all(Option::is_none) {
                let key: Vec<(String,)> = sqlx::query_as(
                    "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
                )
                .bind(&target)
                .fetch_all(pool)
                .await
                .unwrap();
                key.into_iter().map(|(c,)| c).collect()
            } else {
                to.into_iter().map(Option::unwrap_or_default).collect()
            };
            lines.insert(format!(
                "{table}: foreign key ({}) references {target} ({})",
                from.join(", "),
                to.join(", ")
            ));
        }
        let indexes: Vec<(String, String, bool, bool)> = sqlx::query_as(
            "SELECT name, origin, \"unique\", partial FROM pragma_index_list($1) ORDER BY name",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for (index, origin, unique, partial) in indexes {
            let columns: Vec<(i64, Option<String>)> =
                sqlx::query_as("SELECT cid, name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let columns: Vec<String> = columns
                .into_iter()
                .map(|(cid, name)| name.unwrap_or_else(|| format!("<expression {cid}>")))
                .collect();
            let columns = columns.join(", ");
            match origin.as_str() {
                "pk" => {}
                "u" => {
                    lines.insert(format!("{table}: unique ({columns})"));
                }
                _ => {
                    let predicate = if partial {
                        let (sql,): (String,) =
                            sqlx::query_as("SELECT sql FROM sqlite_schema WHERE name = $1")
                                .bind(&index)
                                .fetch_one(pool)
                                .await
                                .unwrap();
                        let at = sql.to_uppercase().rfind(" WHERE ").unwrap();
                        format!(" where {}", normalise(&sql[at + 7..]))
                    } else {
                        String::new()
                    };
                    let unique = if unique { "unique " } else { "" };
                    lines.insert(format!(
                        "{unique}index {index} on {table} ({columns}){predicate}"
                    ));
                }
            }
        }
    }
    lines
}

async fn postgres_schema(pool: &sqlx::PgPool) -> Schema {
    let mut lines = Schema::new();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table,) in tables {
        lines.insert(format!("table {table}"));
    }
    let columns: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.is_nullable = 'NO', \
         EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage k \
                   ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema \
                 WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema \
                   AND tc.table_name = c.table_name AND k.column_name = c.column_name) \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column, not_null, in_key) in columns {
        if in_key {
            lines.insert(format!("{table}.{column}: in the primary key"));
        } else {
            let null = if not_null { "not null" } else { "null" };
            lines.insert(format!("{table}.{column}: {null}"));
        }
    }
    let keys: Vec<(String, String, Vec<String>, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, r.relname::text, \
         ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) \
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n), \
         ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n) \
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n) \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace s ON s.oid = t.relnamespace \
         WHERE c.contype = 'f' AND s.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, target, from, to) in keys {
        lines.insert(format!(
            "{table}: foreign key ({}) references {target} ({})",
            from.join(", "),
            to.join(", ")
        ));
    }
    // Each index: its name, table, key columns in order (an expression by its text),
    // uniqueness, whether it is the primary key or backs a unique constraint, and predicate.
    let indexes: Vec<PgIndex> =
        sqlx::query_as(
            "SELECT i.relname::text, t.relname::text, \
             ARRAY(SELECT COALESCE(a.attname::text, '<expression ' || k.n || '>') \
                   FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) \
                   LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                   WHERE k.n <= ix.indnkeyatts ORDER BY k.n), \
             ix.indisunique, ix.indisprimary, \
             EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype = 'u'), \
             pg_get_expr(ix.indpred, ix.indrelid) \
             FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace \
             WHERE s.nspname = current_schema()",
        )
        .fetch_all(pool)
        .await
        .unwrap();
    for (index, table, columns, unique, primary, unique_constraint, predicate) in indexes {
        let columns = columns.join(", ");
        if primary {
            lines.insert(format!("{table}: primary key ({columns})"));
        } else if unique_constraint {
            lines.insert(format!("{table}: unique ({columns})"));
        } else {
            let predicate =
                predicate.map_or_else(String::new, |p| format!(" where {}", normalise(&p)));
            let unique = if unique { "unique " } else { "" };
            lines.insert(format!(
                "{unique}index {index} on {table} ({columns}){predicate}"
            ));
        }
    }
    lines
}

/// The lines each side has alone, beyond those [`ALLOWED`] accepts, and the allowed
/// differences that did not occur.
fn compare(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen_allowed = BTreeSet::new();
    for (side, ours, theirs) in [("sqlite", sqlite, postgres), ("postgres", postgres, sqlite)] {
        for line in ours.difference(theirs) {
            if ALLOWED.iter().any(|(s, l, _)| *s == side && l == line) {
                seen_allowed.insert((side, line.as_str()));
            } else {
                let other = if side == "sqlite" {
                    "postgres"
                } else {
                    "sqlite"
                };
                problems.push(format!("only {side} (not {other}): {line}"));
            }
        }
    }
    for (side, line, _) in ALLOWED {
        if !seen_allowed.contains(&(*side, *line)) {
            problems.push(format!(
                "ALLOWED lists a difference that no longer occurs ({side}: {line}): remove it"
            ));
        }
    }
    problems
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let sqlite = migrated::sqlite().await;
    let sqlite = sqlite_schema(&sqlite.pool).await;
    assert!(
        sqlite.contains("table audit") && sqlite.iter().any(|l| l.starts_with("index ")),
        "the SQLite schema was not read: {sqlite:#?}"
    );
    let Some((pool, _store)) = migrated::postgres().await else {
        println!("PostgreSQL skipped: HARBOUR_TEST_POSTGRES_URL is not set");
        return;
    };
    let postgres = postgres_schema(&pool).await;
    let problems = compare(&sqlite, &postgres);
    assert!(
        problems.is_empty(),
        "the migrated schemas differ ({} lines on SQLite, {} on PostgreSQL):\n{}",
        sqlite.len(),
        postgres.len(),
        problems.join("\n")
    );
    println!(
        "{} schema lines agree ({} differences allowed)",
        sqlite.intersection(&postgres).count(),
        ALLOWED.len()
    );
}
