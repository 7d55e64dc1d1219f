//! The two backends. `queries.rs` is compiled once inside each, with `Db` naming that
//! backend, so every query is checked against both databases' types.

pub(crate) mod postgres;
pub(crate) mod sqlite;
pub(crate) mod sqlite_timelines;
