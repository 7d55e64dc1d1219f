use crate::StoreError;
use std::path::{Path, PathBuf};

/// Where the data lives: a SQLite file in the data directory, or a PostgreSQL server.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The database file inside a data directory.
pub const SQLITE_FILE_NAME: &str = "harbour.sqlite3";

impl StoreLocation {
    /// A `postgres://` URL if one is given, otherwise the SQLite file in `data_dir`.
    pub fn choose(database_url: Option<&str>, data_dir: &Path) -> Result<Self, StoreError> {
        match database_url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres(url.to_owned()))
            }
            Some(url) if url.starts_with("sqlite:") => Err(StoreError::InvalidLocation(
                "for SQLite, leave the database URL unset and use --data-dir instead".into(),
            )),
            Some(_) => Err(StoreError::InvalidLocation(
                "the database URL must start with postgres:// or postgresql://".into(),
            )),
            None => Ok(Self::Sqlite(data_dir.join(SQLITE_FILE_NAME))),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Never prints a PostgreSQL password: only the backend and the host part.
impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => {
                let host = url.rsplit('@').next().unwrap_or("?");
                let host = if url.contains('@') {
                    host
                } else {
                    url.split("://").nth(1).unwrap_or("?")
                };
                write!(f, "postgres://…@{host}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_by_url_and_refuses_others() {
        let dir = Path::new("/tmp/h");
        assert_eq!(
            StoreLocation::choose(None, dir).unwrap(),
            StoreLocation::Sqlite(dir.join(SQLITE_FILE_NAME))
        );
        assert_eq!(
            StoreLocation::choose(Some("  "), dir).unwrap(),
            StoreLocation::Sqlite(dir.join(SQLITE_FILE_NAME))
        );
        assert!(matches!(
            StoreLocation::choose(Some("postgres://u@h/db"), dir).unwrap(),
            StoreLocation::Postgres(_)
        ));
        let error = StoreLocation::choose(Some("mysql://x"), dir)
            .unwrap_err()
            .to_string();
        assert!(error.contains("postgres://"), "{error}");
    }

    #[test]
    fn debug_hides_the_password() {
        let location =
            StoreLocation::Postgres("postgres://harbour:s3cret@db.example:5432/h".into());
        let shown = format!("{location:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.example"), "{shown}");
    }
}
