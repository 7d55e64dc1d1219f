use thiserror::Error;

/// What can go wrong in the store. The messages are for operators and logs; the web layer
/// shows users a plain message and never these details.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    InvalidLocation(String),
    #[error("the SQLite database did not accept a required setting: {0}")]
    Settings(String),
    #[error("a stored value is not valid ({0}); the database may have been edited by hand")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
    #[error("could not read timelines from the SQLite file: {0}")]
    Reader(String),
    #[error("backup failed: {0}")]
    Backup(String),
    /// The registers' settings given with the rules (`registers.toml`) cannot be read, so
    /// the register clocks the rules see cannot be worked out.
    #[error("the registers' settings given with the rules are not valid: {0}")]
    RegisterSettings(String),
    /// The access policy refused the work; the refusal is in the audit.
    #[error("the access policy does not allow this")]
    Refused,
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}
