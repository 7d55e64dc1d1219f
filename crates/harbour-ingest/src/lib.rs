//! Harbour's ingest pipeline, above the store: feed files streamed into it in batches
//! ([`file`]), each batch parsed by the pure `harbour-import` and stored in one transaction.

pub mod file;

pub use file::{FeedFile, FileError, Progress, import_file, import_files};
