//! Harbour's ingest pipeline, above the store. One way in for every caller (`harbour import`,
//! the feed API, `harbour demo`):
//!
//! 1. **import** ([`file`], [`Pipeline::import_files`], [`Pipeline::import_rows`]): rows are
//!    parsed by the pure `harbour-import` and stored in batches, each in one transaction;
//!    then a job is queued durably in the store for what follows;
//! 2. **incremental linking** (`Store::link_new`): new records join the people already known;
//! 3. **workflow reactions** ([`Reaction`]): the place later workflows react to what arrived
//!    (today [`registers`]: a permanent exclusion opens a register entry);
//! 4. **rules** (`Store::run_rules` over the timelines that changed): alerts are raised.
//!
//! Steps 2–4 run from the queue: in the background by a [`Worker`] (started by `harbour
//! serve`), or drained in-process ([`Pipeline::drain`]) by the command line before it exits.
//! [`agencies`] sets up a manifest's agencies, for every caller that imports one.

pub mod agencies;
mod error;
pub mod file;
mod pipeline;
pub mod registers;
mod worker;

pub use agencies::{Placement, set_up_agencies};
pub use error::IngestError;
pub use file::{FeedFile, FileError, Progress, import_file, import_files};
pub use pipeline::{Imported, Pipeline, Ran, Reaction, ReactionFuture};
pub use worker::Worker;
