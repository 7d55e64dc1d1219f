//! Reading agency feeds.
//!
//! [`row`] turns one CSV row of a known feed into an [`ImportRow`] (an identity and an event)
//! or a [`QuarantineRow`] that names the line, the field, the value and the rule broken. It
//! is pure: no I/O, so every rule is tested directly. [`file`] streams a whole file through
//! it in batches.
//!
//! [`ImportRow`]: harbour_store::ImportRow
//! [`QuarantineRow`]: harbour_store::QuarantineRow

pub mod ctf;
pub mod export;
pub mod file;
pub mod people;
pub mod row;
mod values;

pub use file::{FeedFile, FileError, Progress, import_file, import_files};
pub use row::{Header, parse_fields, parse_row};
