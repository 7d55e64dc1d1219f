//! The two backends. `queries.rs` is compiled once inside each, with `Db` naming that
//! backend, so the Rust around every query compiles for both; `tests/statements.rs` prepares the
//! SQL itself against both schemas.

pub(crate) mod postgres;
pub(crate) mod sqlite;
pub(crate) mod sqlite_timelines;
