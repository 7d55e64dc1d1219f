//! Every fixed SQL statement the store runs is prepared on a migrated SQLite database and
//! (when `HARBOUR_TEST_POSTGRES_URL` is set) on a migrated PostgreSQL database, so a typo, a
//! wrong table or column, or a type error either database finds when it parses the
//! statement fails here. The SQL is written once as runtime query strings, so nothing else
//! checks it before it runs.
//!
//! The statements are found by reading the store's source (`src/**/*.rs`) at test time:
//! the string literal passed to `sqlx::query`, `query_as`, `query_scalar`, rusqlite's
//! `prepare`, `begin_with`, or held in a `let` that such a call is given (`"…\` continuation
//! lines and `concat!` are joined as the compiler joins them). `COPY t (columns) FROM STDIN`
//! literals are checked as `SELECT columns FROM t`, because PostgreSQL does not analyse a
//! `COPY` until it runs.
//!
//! A `format!` of one literal whose every `{name}` is a `const` string (the file's, or the
//! backend's own, such as `ROLES_AGGREGATE`), or the parameter of a one-line helper given a
//! literal, is filled in and prepared once per backend with that backend's constants.
//! Other statements assembled at run time (`QueryBuilder`, other `format!`s) cannot be
//! prepared whole. Each such call site is listed in [`DYNAMIC`] with the reason, and the test
//! fails when the sites found differ from the list, so it cannot grow unseen. Any other
//! literal that reads like a statement (`SELECT …`, `INSERT …`) must be reached by one of the
//! two, or the test fails: a statement run some other way would otherwise be missed.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

mod migrated;

use sqlx::postgres::PgTypeInfo;
use sqlx::postgres::types::Oid;
use sqlx::{AssertSqlSafe, Executor, SqlSafeStr};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Statements built at run time, by file, function (or constant) and call: `(file, item,
/// call, how many such calls, why it cannot be prepared whole)`.
#[rustfmt::skip]
const DYNAMIC: &[(&str, &str, &str, usize, &str)] = &[
    // -- the gate: the matcher and the viewer's scope are pushed per search -----------------
    ("backend/queries.rs", "search_persons", "QueryBuilder::new", 4, "the total, the page, its records and their current schools: the matcher, the birth-date and school filters and the viewer's scope (push_search_match, push_current_school, push_scope) are pushed at run time"),
    ("backend/queries.rs", "visible_identities", "QueryBuilder::new", 1, "the viewer's scope (push_scope) is pushed at run time"),
    ("backend/queries.rs", "insert_audit_subjects", "QueryBuilder::new", 1, "multi-row INSERT: one bound row per child an audit entry names"),
    ("backend/queries.rs", "visible_persons", "QueryBuilder::new", 1, "the children asked about and the viewer's scope (push_scope) are pushed at run time"),
    ("backend/queries.rs", "visible_timeline", "QueryBuilder::new", 1, "the viewer's scope (push_scope) is pushed at run time"),
    // -- imports and linking: one bound value (or row) per item of a chunk --------------------
    ("backend/imports.rs", "store_rows", "QueryBuilder::new", 1, "UPDATE quarantine … IN (one bound key per resolved row)"),
    ("backend/linking.rs", "records", "QueryBuilder::new", 1, "format!: COLUMNS, then an optional unlinked-only condition"),
    ("backend/linking.rs", "records_by_keys", "QueryBuilder::new", 1, "format!: COLUMNS, then (rule, key) IN (one pair per key)"),
    ("backend/linking.rs", "fetch_in", "QueryBuilder::new", 1, "the caller's SELECT and column, then IN (one bound id per record)"),
    ("backend/linking.rs", "write", "QueryBuilder::new", 5, "multi-row INSERTs (persons, moves, link keys, reviews) and UPDATE … IN: one bound row per item"),
    // -- alerts --------------------------------------------------------------------------
    ("backend/alerts.rs", "each_timeline_chunk", "sqlx::query_as", 1, "format!: event_columns() with or without the summary, and EVENT_JOIN"),
    ("backend/alerts.rs", "insert_alerts", "QueryBuilder::new", 1, "multi-row INSERT: one bound row per alert"),
    ("backend/case_events.rs", "append", "QueryBuilder::new", 1, "multi-row INSERT: one bound row per fact"),
    ("backend/registers.rs", "insert_entries", "QueryBuilder::new", 1, "multi-row INSERT: one bound row per entry the register step opens"),
    ("backend/registers.rs", "insert_facts", "QueryBuilder::new", 1, "multi-row INSERT: one bound row per fact the register step records"),
    ("backend/registers.rs", "names_of", "QueryBuilder::new", 1, "the children asked about are pushed as an IN list"),
    ("backend/registers.rs", "apply_lifecycles", "QueryBuilder::new", 1, "UPDATE … IN (one bound id per entry the facts just written close or reopen)"),
    ("backend/alerts.rs", "queue", "QueryBuilder::new", 1, "ALERT_COLUMNS, then IN lists of the viewer's roles and agencies"),
    ("backend/alerts.rs", "alert", "QueryBuilder::new", 1, "ALERT_COLUMNS, then the alert's id"),
    ("backend/alerts.rs", "alerts_of", "QueryBuilder::new", 1, "ALERT_COLUMNS, then the person's id"),
    ("backend/alerts.rs", "set_status", "QueryBuilder::new", 1, "the new status and the columns it sets are pushed per action"),
    ("backend/alerts.rs", "sibling", "QueryBuilder::new", 1, "IN (one bound id per rule of the family)"),
    // -- bulk writers and readers, one per backend ------------------------------------------
    ("backend/bulk_postgres.rs", "lookup", "QueryBuilder::new", 1, "the caller's SELECT and column, then = ANY($n)"),
    ("backend/bulk_postgres.rs", "copy_rows", ".copy_in_raw", 1, "the caller's COPY statement; each COPY literal is prepared as a SELECT of its columns"),
    ("backend/bulk_sqlite.rs", "lookup", "QueryBuilder::new", 1, "the caller's SELECT and column, then IN (one bound value per key)"),
    ("backend/bulk_sqlite.rs", "persons", "QueryBuilder::new", 1, "multi-row INSERT"),
    ("backend/bulk_sqlite.rs", "records", "QueryBuilder::new", 1, "multi-row INSERT"),
    ("backend/bulk_sqlite.rs", "events", "QueryBuilder::new", 1, "multi-row INSERT"),
    ("backend/sqlite_timelines.rs", "read", ".prepare", 1, "format! (rusqlite) with a chosen summary column"),
    // -- outside the backends -------------------------------------------------------------
    ("imports.rs", "refresh_statistics", "sqlx::query", 1, "format!: ANALYZE of each table an import grows (a fixed list)"),
    ("testing.rs", "fresh_postgres_database", "sqlx::query", 1, "test support only: CREATE DATABASE with a generated name"),
];

/// PostgreSQL cannot infer a parameter's type from `$n IS NULL` alone; at run time the bound
/// value gives it, so the test gives it too: `(text of the statement, the types of $1, $2, …,
/// with "" where PostgreSQL infers the type)`.
const PG_PARAMETER_TYPES: &[(&str, &[&str])] = &[
    // backend/imports.rs, quarantine: $2 is the optional agency's id.
    ("($2 IS NULL OR q.agency_id = $2)", &["", "uuid"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Backend {
    Sqlite,
    Postgres,
}

const BOTH: &[Backend] = &[Backend::Sqlite, Backend::Postgres];

/// Which backend runs the SQL in each file under `src/backend/` (see `backend/sqlite.rs` and
/// `backend/postgres.rs`: the shared files are compiled once for each).
fn backends_of_file(file: &str) -> Option<&'static [Backend]> {
    Some(match file {
        "backend/queries.rs"
        | "backend/accounts.rs"
        | "backend/imports.rs"
        | "backend/linking.rs"
        | "backend/alerts.rs"
        | "backend/case_events.rs"
        | "backend/jobs.rs"
        | "backend/registers.rs"
        | "backend/work.rs" => BOTH,
        "backend/not_in_school.rs" | "backend/fair_access.rs" => BOTH,
        "backend/sqlite.rs" | "backend/bulk_sqlite.rs" | "backend/sqlite_timelines.rs" => {
            &[Backend::Sqlite]
        }
        "backend/postgres.rs" | "backend/bulk_postgres.rs" | "backend/postgres_nodelay.rs" => {
            &[Backend::Postgres]
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// A small Rust lexer: enough to find string literals and the calls they are passed to.
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if at(i) == '\n' {
                        line += 1;
                    }
                    assert!(i < c.len(), "unterminated comment");
                    i += 1;
                }
            }
        } else if ch == '"' {
            let start = line;
            let (s, next) = cooked_string(&c, i + 1, &mut line);
            out.push(Token {
                tok: Tok::Str(s),
                line: start,
            });
            i = next;
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\'') or a lifetime ('a), which is skipped.
            if at(i + 1) == '\\' {
                i += 3;
                while at(i) != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let begin = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let word: String = c[begin..i].iter().collect();
            let hashes = (i..).take_while(|&j| at(j) == '#').count();
            if matches!(word.as_str(), "r" | "br" | "cr") && at(i + hashes) == '"' {
                // A raw string: no escapes, ends at a quote followed by as many hashes.
                let start = line;
                let mut j = i + hashes + 1;
                let mut s = String::new();
                while !(at(j) == '"' && (1..=hashes).all(|k| at(j + k) == '#')) {
                    assert!(j < c.len(), "unterminated raw string");
                    if at(j) == '\n' {
                        line += 1;
                    }
                    s.push(at(j));
                    j += 1;
                }
                out.push(Token {
                    tok: Tok::Str(s),
                    line: start,
                });
                i = j + 1 + hashes;
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                let start = line;
                let (s, next) = cooked_string(&c, i + 1, &mut line);
                out.push(Token {
                    tok: Tok::Str(s),
                    line: start,
                });
                i = next;
            } else if word == "b" && at(i) == '\'' {
                i += if at(i + 1) == '\\' { 4 } else { 3 };
                while at(i - 1) != '\'' {
                    i += 1;
                }
            } else {
                out.push(Token {
                    tok: Tok::Ident(word),
                    line,
                });
            }
        } else if ch.is_ascii_digit() {
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
        } else {
            out.push(Token {
                tok: Tok::Punct(ch),
                line,
            });
            i += 1;
        }
    }
    out
}

/// A `"…"` literal's value, from just after the opening quote; returns the index after the
/// closing quote. A backslash before a line break drops the break and the next line's
/// leading whitespace, as the compiler does.
fn cooked_string(c: &[char], mut i: usize, line: &mut usize) -> (String, usize) {
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut s = String::new();
    loop {
        assert!(i < c.len(), "unterminated string");
        match at(i) {
            '"' => return (s, i + 1),
            '\\' => {
                let e = at(i + 1);
                i += 2;
                match e {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    '0' => s.push('\0'),
                    '\\' | '\'' | '"' => s.push(e),
                    'x' => {
                        let hex: String = c[i..i + 2].iter().collect();
                        s.push(char::from(u8::from_str_radix(&hex, 16).unwrap()));
                        i += 2;
                    }
                    'u' => {
                        let close = (i..).find(|&j| at(j) == '}').unwrap();
                        let hex: String = c[i + 1..close].iter().collect();
                        s.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                        i = close + 1;
                    }
                    '\n' => {
                        *line += 1;
                        while at(i).is_whitespace() {
                            if at(i) == '\n' {
                                *line += 1;
                            }
                            i += 1;
                        }
                    }
                    other => panic!("unknown escape \\{other}"),
                }
            }
            ch => {
                if ch == '\n' {
                    *line += 1;
                }
                s.push(ch);
                i += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Finding the statements
// ---------------------------------------------------------------------------------------

/// One fixed statement: where it is, and the SQL to prepare on each backend.
#[derive(Debug)]
struct Statement {
    place: String,
    sql: String,
    backends: &'static [Backend],
}

#[derive(Debug, Default)]
struct Found {
    fixed: Vec<Statement>,
    /// (file, item, call) → the lines of each dynamic call site.
    dynamic: BTreeMap<(String, String, String), Vec<usize>>,
    /// Literals that read like a statement but that no call site reaches.
    unreached: Vec<String>,
}

/// Does this literal read like a whole statement (rather than a fragment or a message)?
fn reads_like_sql(s: &str) -> bool {
    let first = s.split_whitespace().next().unwrap_or("");
    matches!(
        first,
        "SELECT"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
            | "WITH"
            | "COPY"
            | "PRAGMA"
            | "VACUUM"
            | "ANALYZE"
            | "BEGIN"
            | "CREATE"
            | "DROP"
            | "ALTER"
    )
}

const QUERY_FNS: &[&str] = &[
    "query",
    "query_as",
    "query_scalar",
    "query_with",
    "query_as_with",
    "query_scalar_with",
    "raw_sql",
];
/// Methods whose first argument is always a statement.
const STATEMENT_METHODS: &[&str] = &[
    "prepare",
    "prepare_cached",
    "begin_with",
    "copy_in_raw",
    "execute_batch",
];
/// rusqlite methods whose first argument is a statement when it is a literal (sqlx's
/// methods of the same name take an executor).
const LITERAL_METHODS: &[&str] = &["execute", "query_row"];

fn is_punct(t: Option<&Token>, p: char) -> bool {
    matches!(t, Some(Token { tok: Tok::Punct(q), .. }) if *q == p)
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token {
            tok: Tok::Ident(s), ..
        }) => Some(s),
        _ => None,
    }
}

/// Skips a turbofish `::<…>` starting at `j`, returning the index after it.
fn skip_turbofish(t: &[Token], mut j: usize) -> usize {
    if is_punct(t.get(j), ':') && is_punct(t.get(j + 1), ':') && is_punct(t.get(j + 2), '<') {
        j += 3;
        let mut depth = 1;
        while depth > 0 {
            if is_punct(t.get(j), '<') {
                depth += 1;
            } else if is_punct(t.get(j), '>') {
                depth -= 1;
            }
            j += 1;
        }
    }
    j
}

/// The tokens of the argument starting at `j` (just after the opening parenthesis).
fn first_argument(t: &[Token], j: usize) -> std::ops::Range<usize> {
    let mut depth = 0i32;
    let mut k = j;
    while k < t.len() {
        match t[k].tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') if depth == 0 => break,
            Tok::Punct(')' | ']' | '}') => depth -= 1,
            Tok::Punct(',') if depth == 0 => break,
            _ => {}
        }
        k += 1;
    }
    j..k
}

/// The tokens after `=` of the `let` that binds `name` in the item, before `before`.
fn let_initialiser(
    t: &[Token],
    item_start: usize,
    before: usize,
    name: &str,
) -> Option<std::ops::Range<usize>> {
    let mut found = None;
    let mut k = item_start;
    while k < before {
        if ident(t.get(k)) == Some("let") {
            let eq = (k..before).find(|&j| is_punct(t.get(j), '='))?;
            if t[k..eq]
                .iter()
                .any(|x| x.tok == Tok::Ident(name.to_owned()))
            {
                let mut depth = 0i32;
                let mut end = eq + 1;
                while end < t.len() {
                    match t[end].tok {
                        Tok::Punct('(' | '[' | '{') => depth += 1,
                        Tok::Punct(')' | ']' | '}') => depth -= 1,
                        Tok::Punct(';') if depth == 0 => break,
                        _ => {}
                    }
                    end += 1;
                }
                found = Some(eq + 1..end);
            }
            k = eq;
        }
        k += 1;
    }
    found
}

fn is_dynamic(t: &[Token], range: std::ops::Range<usize>) -> bool {
    t[range.clone()]
        .iter()
        .enumerate()
        .any(|(n, x)| match &x.tok {
            Tok::Ident(s) if s == "AssertSqlSafe" => true,
            Tok::Ident(s) if s == "format" => is_punct(t.get(range.start + n + 1), '!'),
            _ => false,
        })
}

/// The literals of an argument that is a literal, `&` a literal, or `concat!(literals)`.
fn literal_argument(t: &[Token], range: std::ops::Range<usize>) -> Option<(String, Vec<usize>)> {
    let mut toks: Vec<usize> = range.collect();
    if toks.first().is_some_and(|&k| is_punct(t.get(k), '&')) {
        toks.remove(0);
    }
    match toks.as_slice() {
        [k] => match &t[*k].tok {
            Tok::Str(s) => Some((s.clone(), vec![*k])),
            _ => None,
        },
        [k, bang, open, inner @ .., close]
            if ident(t.get(*k)) == Some("concat")
                && is_punct(t.get(*bang), '!')
                && is_punct(t.get(*open), '(')
                && is_punct(t.get(*close), ')') =>
        {
            let mut s = String::new();
            let mut used = Vec::new();
            for &j in inner {
                match &t[j].tok {
                    Tok::Str(part) => {
                        s.push_str(part);
                        used.push(j);
                    }
                    Tok::Punct(',') => {}
                    _ => return None,
                }
            }
            Some((s, used))
        }
        _ => None,
    }
}

/// `COPY table (columns) FROM STDIN` as `SELECT columns FROM table`.
fn copy_as_select(sql: &str) -> Option<String> {
    let rest = sql.trim().strip_prefix("COPY ")?;
    let (table, rest) = rest.split_once('(')?;
    let (columns, rest) = rest.split_once(')')?;
    (rest.trim() == "FROM STDIN").then(|| format!("SELECT {columns} FROM {}", table.trim()))
}

/// One file's tokens, the item each token belongs to, and the literals a call site reached.
struct FileScan {
    file: String,
    tokens: Vec<Token>,
    items: Vec<(String, usize)>,
    reached: BTreeSet<usize>,
}

/// Statements outside `src/backend/`, where the file does not say the backend: `(file,
/// item, how the statement starts, the backend that runs it)`.
const OUTSIDE_BACKEND: &[(&str, &str, &str, Backend)] = &[
    ("store.rs", "backup", "VACUUM INTO", Backend::Sqlite),
    (
        "store.rs",
        "backup",
        "PRAGMA integrity_check",
        Backend::Sqlite,
    ),
    (
        "store.rs",
        "check_sqlite_settings",
        "PRAGMA ",
        Backend::Sqlite,
    ),
    (
        "imports.rs",
        "refresh_statistics",
        "SELECT reltuples FROM pg_class",
        Backend::Postgres,
    ),
    (
        "imports.rs",
        "refresh_statistics",
        "PRAGMA optimize",
        Backend::Sqlite,
    ),
    (
        "gate.rs",
        "begin",
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        Backend::Postgres,
    ),
];

fn backends_of(file: &str, item: &str, sql: &str, place: &str) -> &'static [Backend] {
    if let Some(b) = backends_of_file(file) {
        return b;
    }
    match OUTSIDE_BACKEND
        .iter()
        .find(|(f, i, start, _)| *f == file && *i == item && sql.starts_with(start))
    {
        Some((.., Backend::Sqlite)) => &[Backend::Sqlite],
        Some((.., Backend::Postgres)) => &[Backend::Postgres],
        None => panic!("{place}: say which backend runs this statement in OUTSIDE_BACKEND"),
    }
}

/// Each `const NAME: &str = "…";` in a file.
fn constants_of(t: &[Token]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for k in 0..t.len() {
        if ident(t.get(k)) == Some("const")
            && let Some(name) = ident(t.get(k + 1))
            && is_punct(t.get(k + 2), ':')
            && is_punct(t.get(k + 3), '&')
            && ident(t.get(k + 4)) == Some("str")
            && is_punct(t.get(k + 5), '=')
            && let Some(Token {
                tok: Tok::Str(value),
                ..
            }) = t.get(k + 6)
            && is_punct(t.get(k + 7), ';')
        {
            out.insert(name.to_owned(), value.clone());
        }
    }
    out
}

/// The template of `AssertSqlSafe(format!("…"))`, of `AssertSqlSafe(sql)` after
/// `let sql = format!("…")`, or of `AssertSqlSafe(helper("…"))` where the same file has
/// `fn helper(p: &str) -> String { format!("…") }`: the template, the helper's parameter
/// bound to the literal it was given, and the literals used.
type Template = (String, BTreeMap<String, String>, Vec<usize>);

fn template(
    t: &[Token],
    arg: std::ops::Range<usize>,
    item_start: usize,
    call: usize,
) -> Option<Template> {
    let mut inner: Vec<usize> = arg.collect();
    if ident(t.get(*inner.first()?)) == Some("sqlx") && inner.len() > 3 {
        inner.drain(..3);
    }
    if ident(t.get(*inner.first()?)) != Some("AssertSqlSafe")
        || !is_punct(t.get(*inner.get(1)?), '(')
        || !is_punct(t.get(*inner.last()?), ')')
    {
        return None;
    }
    let inner = &inner[2..inner.len() - 1];
    let format_of = |toks: &[usize]| -> Option<(String, usize)> {
        match toks {
            [f, bang, open, lit, close]
                if ident(t.get(*f)) == Some("format")
                    && is_punct(t.get(*bang), '!')
                    && is_punct(t.get(*open), '(')
                    && is_punct(t.get(*close), ')') =>
            {
                match &t[*lit].tok {
                    Tok::Str(s) => Some((s.clone(), *lit)),
                    _ => None,
                }
            }
            _ => None,
        }
    };
    if let Some((s, j)) = format_of(inner) {
        return Some((s, BTreeMap::new(), vec![j]));
    }
    match inner {
        [var] => {
            let init = let_initialiser(t, item_start, call, ident(t.get(*var))?)?;
            let (s, j) = format_of(&init.collect::<Vec<_>>())?;
            Some((s, BTreeMap::new(), vec![j]))
        }
        [f, open, lit, close] if is_punct(t.get(*open), '(') && is_punct(t.get(*close), ')') => {
            let helper = ident(t.get(*f))?;
            let Tok::Str(value) = &t[*lit].tok else {
                return None;
            };
            let k = (0..t.len())
                .find(|&k| ident(t.get(k)) == Some("fn") && ident(t.get(k + 1)) == Some(helper))?;
            let param = ident(t.get(k + 3))?;
            let shape = is_punct(t.get(k + 2), '(')
                && is_punct(t.get(k + 4), ':')
                && is_punct(t.get(k + 5), '&')
                && ident(t.get(k + 6)) == Some("str")
                && is_punct(t.get(k + 7), ')')
                && is_punct(t.get(k + 8), '-')
                && is_punct(t.get(k + 9), '>')
                && ident(t.get(k + 10)) == Some("String")
                && is_punct(t.get(k + 11), '{')
                && is_punct(t.get(k + 17), '}');
            if !shape {
                return None;
            }
            let (s, j) = format_of(&(k + 12..k + 17).collect::<Vec<_>>())?;
            Some((
                s,
                BTreeMap::from([(param.to_owned(), value.clone())]),
                vec![j, *lit],
            ))
        }
        _ => None,
    }
}

/// Fills each `{name}` of a `format!` template; `None` if one is not known.
fn fill(template: &str, value_of: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let brace = &rest[i..=i];
        if rest[i + 1..].starts_with(brace) {
            out.push_str(brace);
            rest = &rest[i + 2..];
            continue;
        }
        if brace == "}" {
            return None;
        }
        let close = i + rest[i..].find('}')?;
        out.push_str(&value_of(&rest[i + 1..close])?);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn only(backend: Backend) -> &'static [Backend] {
    match backend {
        Backend::Sqlite => &[Backend::Sqlite],
        Backend::Postgres => &[Backend::Postgres],
    }
}

/// Constants by file (`backend/queries.rs` → its consts).
type Constants = BTreeMap<String, BTreeMap<String, String>>;

/// Finds the call sites in one file: fixed statements into `found.fixed`, dynamic ones into
/// `found.dynamic` (with the names they reach into `reach`).
fn scan_file(
    file: &str,
    t: Vec<Token>,
    constants: &Constants,
    found: &mut Found,
    reach: &mut BTreeSet<String>,
) -> FileScan {
    // The item (fn, const or static) each token belongs to, and where that item starts.
    let mut items = Vec::with_capacity(t.len());
    let mut current = (String::from("<top>"), 0usize);
    for k in 0..t.len() {
        if matches!(ident(t.get(k)), Some("fn" | "const" | "static"))
            && let Some(name) = ident(t.get(k + 1))
            && name != "fn"
            && name != "mut"
        {
            current = (name.to_owned(), k);
        }
        items.push(current.clone());
    }

    let mut reached: BTreeSet<usize> = BTreeSet::new();
    for k in 0..t.len() {
        let Some(name) = ident(t.get(k)) else {
            continue;
        };
        let after_path = k >= 2 && is_punct(t.get(k - 1), ':') && is_punct(t.get(k - 2), ':');
        let after_dot = k >= 1 && is_punct(t.get(k - 1), '.');
        let (call, open) = if QUERY_FNS.contains(&name)
            && (!after_path || ident(t.get(k.wrapping_sub(3))) == Some("sqlx"))
            && !after_dot
            && ident(t.get(k.wrapping_sub(1))) != Some("fn")
        {
            (format!("sqlx::{name}"), skip_turbofish(&t, k + 1))
        } else if name == "QueryBuilder" {
            let j = skip_turbofish(&t, k + 1);
            if !(is_punct(t.get(j), ':') && ident(t.get(j + 2)) == Some("new")) {
                continue;
            }
            ("QueryBuilder::new".to_owned(), j + 3)
        } else if after_dot
            && (STATEMENT_METHODS.contains(&name) || LITERAL_METHODS.contains(&name))
        {
            (format!(".{name}"), k + 1)
        } else {
            continue;
        };
        if !is_punct(t.get(open), '(') {
            continue;
        }
        let arg = first_argument(&t, open + 1);
        let (item, item_start) = (&items[k].0, items[k].1);
        let literal = literal_argument(&t, arg.clone());
        if LITERAL_METHODS.contains(&name) && literal.is_none() {
            continue;
        }
        // A bare name: the `let` that gave it its value, when that value is made of literals.
        let via_let = match (literal.is_none(), arg.len(), ident(t.get(arg.start))) {
            (true, 1, Some(var)) => let_initialiser(&t, item_start, k, var)
                .filter(|init| !is_dynamic(&t, init.clone()))
                .map(|init| {
                    init.filter(|&j| matches!(&t[j].tok, Tok::Str(s) if reads_like_sql(s)))
                        .collect::<Vec<_>>()
                })
                .filter(|strs| !strs.is_empty()),
            _ => None,
        };
        let fixed: Option<Vec<(String, usize)>> =
            if call == "QueryBuilder::new" || call == ".copy_in_raw" {
                None
            } else if let Some((sql, toks)) = literal {
                Some(vec![(sql, toks.first().copied().unwrap_or(k))])
            } else {
                via_let.map(|strs| {
                    strs.into_iter()
                        .map(|j| match &t[j].tok {
                            Tok::Str(s) => (s.clone(), j),
                            _ => unreachable!(),
                        })
                        .collect()
                })
            };
        // A `format!` of one literal whose every `{name}` is a constant (the file's, or the
        // backend's own such as ROLES_AGGREGATE) or a helper's parameter: fixed after all,
        // and prepared with each backend's constants.
        let expanded = match (&fixed, call.starts_with("sqlx::"), backends_of_file(file)) {
            (None, true, Some(backends)) => {
                template(&t, arg.clone(), item_start, k).and_then(|(template, params, used)| {
                    let place = format!("{file}:{} ({item}, format! of constants)", t[k].line);
                    let mut statements = Vec::new();
                    for &backend in backends {
                        let own = match backend {
                            Backend::Sqlite => "backend/sqlite.rs",
                            Backend::Postgres => "backend/postgres.rs",
                        };
                        let value_of = |name: &str| {
                            params
                                .get(name)
                                .or_else(|| constants.get(file)?.get(name))
                                .or_else(|| constants.get(own)?.get(name))
                                .cloned()
                        };
                        statements.push(Statement {
                            place: place.clone(),
                            sql: fill(&template, &value_of)?,
                            backends: only(backend),
                        });
                    }
                    Some((statements, used))
                })
            }
            _ => None,
        };
        if let Some((statements, used)) = expanded {
            found.fixed.extend(statements);
            reached.extend(used);
            reached.extend(arg.clone());
            continue;
        }
        match fixed {
            Some(statements) => {
                for (sql, j) in statements {
                    reached.insert(j);
                    let place = format!("{file}:{} ({item})", t[j].line);
                    found.fixed.push(Statement {
                        backends: backends_of(file, item, &sql, &place),
                        place,
                        sql,
                    });
                }
                // The `concat!` pieces after the first are reached too.
                reached.extend(arg.clone());
            }
            None => {
                found
                    .dynamic
                    .entry((file.to_owned(), item.clone(), call))
                    .or_default()
                    .push(t[k].line);
                reach.insert(item.clone());
                // What the dynamic statement is made of: its argument, and the value of each
                // `let` the argument names.
                let mut parts: Vec<usize> = arg.clone().collect();
                for j in arg.clone() {
                    if let Some(var) = ident(t.get(j))
                        && let Some(init) = let_initialiser(&t, item_start, k, var)
                    {
                        parts.extend(init);
                    }
                }
                for j in parts {
                    reached.insert(j);
                    if let Some(name) = ident(t.get(j)) {
                        reach.insert(name.to_owned());
                    }
                }
            }
        }
    }

    // COPY literals, wherever they are: checked as a SELECT of the same columns.
    for (k, x) in t.iter().enumerate() {
        if let Tok::Str(s) = &x.tok
            && s.trim_start().starts_with("COPY ")
        {
            let sql = copy_as_select(s)
                .unwrap_or_else(|| panic!("{file}:{}: a COPY this test cannot read: {s}", x.line));
            reached.insert(k);
            found.fixed.push(Statement {
                place: format!("{file}:{} ({}, as a SELECT)", x.line, items[k].0),
                sql,
                backends: &[Backend::Postgres],
            });
        }
    }
    FileScan {
        file: file.to_owned(),
        tokens: t,
        items,
        reached,
    }
}

/// Every literal that reads like a statement and that no call site took as a whole must
/// belong to a dynamic site: inside its argument or a `let` it names, in the item holding
/// it, in an item it names (`ALERT_COLUMNS`, `staff_sql`), or passed to a function holding
/// one (a helper given its SELECT).
fn unreached(scan: &FileScan, reach: &BTreeSet<String>) -> Vec<String> {
    let t = &scan.tokens;
    let mut out = Vec::new();
    let mut callees: Vec<Option<String>> = Vec::new();
    for (k, x) in t.iter().enumerate() {
        match &x.tok {
            Tok::Punct('(') => callees.push(ident(t.get(k.wrapping_sub(1))).map(str::to_owned)),
            Tok::Punct(')') => {
                callees.pop();
            }
            Tok::Str(s) if reads_like_sql(s) && !scan.reached.contains(&k) => {
                let item = &scan.items[k].0;
                let passed_to_dynamic = callees.iter().flatten().any(|c| reach.contains(c));
                if !(reach.contains(item) || passed_to_dynamic) {
                    out.push(format!("{}:{} ({item}): {s}", scan.file, x.line));
                }
            }
            _ => {}
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn scan_store_source() -> Found {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Found::default();
    let mut reach = BTreeSet::new();
    let lexed: Vec<(String, Vec<Token>)> = files
        .iter()
        .map(|path| {
            let file = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (file, lex(&std::fs::read_to_string(path).unwrap()))
        })
        .collect();
    let constants: Constants = lexed
        .iter()
        .map(|(file, t)| (file.clone(), constants_of(t)))
        .collect();
    let mut scans = Vec::new();
    for (file, t) in lexed {
        scans.push(scan_file(&file, t, &constants, &mut found, &mut reach));
    }
    for scan in &scans {
        found.unreached.extend(unreached(scan, &reach));
    }
    found
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[test]
fn the_lexer_joins_continuation_lines_and_reads_raw_strings() {
    let src = "fn f<'a>(_: &'static str) { let _ = 'x'; sqlx::query(\"SELECT a, \\\n        b FROM t\"); \
               sqlx::query_as::<_, (i64,)>(r#\"SELECT \"q\" FROM t\"#); // sqlx::query(\"no\")\n }";
    let mut found = Found::default();
    scan_file(
        "backend/queries.rs",
        lex(src),
        &Constants::new(),
        &mut found,
        &mut BTreeSet::new(),
    );
    let sql: Vec<&str> = found.fixed.iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(sql, ["SELECT a, b FROM t", "SELECT \"q\" FROM t"]);
}

#[test]
fn a_format_of_constants_is_prepared_with_each_backends_constants() {
    let src = "fn staff(f: &str) -> String { format!(\"SELECT {C}, {A} FROM t WHERE {f}\") } \
               fn g() { sqlx::query(AssertSqlSafe(staff(\"x = $1\"))); }";
    let constants = Constants::from([
        (
            "backend/queries.rs".into(),
            BTreeMap::from([("C".into(), "c".into())]),
        ),
        (
            "backend/sqlite.rs".into(),
            BTreeMap::from([("A".into(), "group_concat(r)".into())]),
        ),
        (
            "backend/postgres.rs".into(),
            BTreeMap::from([("A".into(), "string_agg(r, ',')".into())]),
        ),
    ]);
    let mut found = Found::default();
    scan_file(
        "backend/queries.rs",
        lex(src),
        &constants,
        &mut found,
        &mut BTreeSet::new(),
    );
    let sql: Vec<&str> = found.fixed.iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(
        sql,
        [
            "SELECT c, group_concat(r) FROM t WHERE x = $1",
            "SELECT c, string_agg(r, ',') FROM t WHERE x = $1"
        ]
    );
    assert!(found.dynamic.is_empty());
}

#[test]
fn dynamic_statements_are_the_listed_ones() {
    let found = scan_store_source();
    assert!(
        found.unreached.is_empty(),
        "literals that read like SQL but that no query call reaches \
        (run them through sqlx::query* so this test finds them, or list their call in DYNAMIC):\n{}",
        found.unreached.join("\n")
    );
    let listed: BTreeMap<(String, String, String), usize> = DYNAMIC
        .iter()
        .map(|(file, item, call, count, _)| {
            (
                ((*file).to_owned(), (*item).to_owned(), (*call).to_owned()),
                *count,
            )
        })
        .collect();
    assert_eq!(
        listed.len(),
        DYNAMIC.len(),
        "DYNAMIC names a call site twice"
    );
    let mut problems = Vec::new();
    for (key, lines) in &found.dynamic {
        match listed.get(key) {
            None => problems.push(format!(
                "new dynamic SQL at {}:{lines:?} ({}, {}): prepare it whole, or add it to DYNAMIC with the reason",
                key.0, key.1, key.2
            )),
            Some(&count) if count != lines.len() => problems.push(format!(
                "{} ({}, {}): DYNAMIC says {count}, the source has {} (lines {lines:?})",
                key.0, key.1, key.2, lines.len()
            )),
            Some(_) => {}
        }
    }
    for key in listed.keys() {
        if !found.dynamic.contains_key(key) {
            problems.push(format!(
                "DYNAMIC lists {} ({}, {}) but the source has no such call: remove it",
                key.0, key.1, key.2
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let sites: usize = found.dynamic.values().map(Vec::len).sum();
    println!("{sites} dynamic call sites, all listed");
}

#[tokio::test]
async fn every_fixed_statement_prepares_on_both_schemas() {
    let found = scan_store_source();
    assert!(
        found.fixed.len() > 50,
        "the scan found only {} statements",
        found.fixed.len()
    );
    let sqlite = migrated::sqlite().await;
    let postgres = migrated::postgres().await;
    let mut failures = Vec::new();
    let mut hints_used = BTreeSet::new();
    let mut prepared: BTreeMap<Backend, BTreeSet<&str>> = BTreeMap::new();
    for statement in &found.fixed {
        for backend in statement.backends {
            let sql = AssertSqlSafe(statement.sql.clone()).into_sql_str();
            let result = match backend {
                Backend::Sqlite => sqlite.pool.prepare(sql).await.map(drop),
                Backend::Postgres => match &postgres {
                    Some((pool, _)) => {
                        let types = PG_PARAMETER_TYPES
                            .iter()
                            .find(|(text, _)| statement.sql.contains(text))
                            .map_or(&[][..], |(text, types)| {
                                hints_used.insert(*text);
                                types
                            });
                        let types: Vec<PgTypeInfo> = types
                            .iter()
                            .map(|name| match *name {
                                "" => PgTypeInfo::with_oid(Oid(0)),
                                name => PgTypeInfo::with_name(name),
                            })
                            .collect();
                        pool.prepare_with(sql, &types).await.map(drop)
                    }
                    None => continue,
                },
            };
            match result {
                Ok(()) => {
                    prepared.entry(*backend).or_default().insert(&statement.sql);
                }
                Err(error) => failures.push(format!(
                    "{} on {backend:?}: {error}\n    {}",
                    statement.place, statement.sql
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} statement(s) do not prepare:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if postgres.is_some() {
        for (text, _) in PG_PARAMETER_TYPES {
            assert!(
                hints_used.contains(text),
                "PG_PARAMETER_TYPES: no statement reads {text:?}: remove it"
            );
        }
    }
    println!(
        "{} fixed statements found; distinct statements prepared: {}",
        found.fixed.len(),
        prepared
            .iter()
            .map(|(b, s)| format!("{b:?} {}", s.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if postgres.is_none() {
        println!("PostgreSQL skipped: HARBOUR_TEST_POSTGRES_URL is not set");
    }
}
