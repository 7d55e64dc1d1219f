//! Reading agency feeds, pure: no I/O beyond the reader it is given, and no database.
//!
//! [`row`] turns one CSV row of a known feed into an [`ImportRow`] (an identity and an event)
//! or a [`QuarantineRow`] that names the line, the field, the value and the rule broken;
//! [`ctf`] does the same for each pupil of a Common Transfer File. Every rule is tested
//! directly, and the fuzz targets (`fuzz/`) build against this crate alone. The row types
//! live in [`rows`]; the store takes them as they are. Streaming whole files into the store
//! is `harbour-ingest`'s job.

pub mod ctf;
mod details;
pub mod export;
pub mod people;
pub mod row;
pub mod rows;
mod values;

pub use row::{Fields, Header, parse_fields, parse_row};
pub use rows::{FeedEvent, FeedIdentity, ImportCounts, ImportRow, QuarantineEntry, QuarantineRow};
