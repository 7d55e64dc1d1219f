use crate::file::FileError;
use harbour_store::StoreError;

/// What can stop the ingest pipeline. Messages are for operators and logs.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A manifest that cannot be followed (an unknown agency, a bad tenant code).
    #[error("{0}")]
    Manifest(String),
    /// A workflow reaction failed.
    #[error("the {reaction} reaction failed: {message}")]
    Reaction {
        reaction: &'static str,
        message: String,
    },
}
