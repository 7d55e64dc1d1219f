use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Harbour: a multi-agency safeguarding hub for children.
///
/// Schools, the council, police, health and youth justice each hold part of a child's story.
/// Harbour brings those parts together, shows each professional only what they are allowed
/// to see, and records every look in a tamper-evident audit.
///
/// New here? Run `harbour demo` and open the address it prints.
#[derive(Debug, Parser)]
#[command(name = "harbour", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (pages and JSON API) on your own data.
    Serve(ServeArgs),
    /// Start a demonstration with a fictional county and one sign-in per role.
    ///
    /// Creates a fresh demo data directory (replacing an earlier demo's, never anything
    /// else), loads fictional agencies, staff and children, prints the address and the
    /// demo sign-ins, and serves until you press Ctrl-C.
    Demo(DemoArgs),
    /// Create the database if needed and bring its schema up to date, then exit.
    Migrate(StoreArgs),
    /// Write a consistent, checked copy of the database (SQLite), or print the pg_dump command to use (PostgreSQL).
    Backup(BackupArgs),
    /// Work with the audit log.
    Audit(AuditArgs),
    /// Print the OpenAPI document of the JSON API.
    Openapi,
    /// Print the version.
    Version,
}

/// Where the data lives.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The data directory; the SQLite database is a file inside it.
    #[arg(long, env = "HARBOUR_DATA_DIR", default_value = "harbour-data")]
    pub data_dir: PathBuf,
    /// Use PostgreSQL instead of SQLite, e.g. postgres://harbour@db.internal/harbour.
    #[arg(long, env = "HARBOUR_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// An access-policy file to use instead of the built-in policy/access.toml.
    #[arg(long, env = "HARBOUR_POLICY")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The address and port to listen on.
    #[arg(long, env = "HARBOUR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Mark session cookies Secure (and __Host- prefixed). Set this when Harbour is served over HTTPS, as it must be in production.
    #[arg(long, env = "HARBOUR_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Sign a user out after this many minutes without activity.
    #[arg(long, env = "HARBOUR_IDLE_TIMEOUT_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub idle_timeout_minutes: u32,
    /// Sign a user out this many hours after they signed in, however active.
    #[arg(long, env = "HARBOUR_ABSOLUTE_TIMEOUT_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=72))]
    pub absolute_timeout_hours: u32,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The address and port to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The demo data directory. It is created afresh each time.
    #[arg(long, default_value = "harbour-demo")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The file to write. It must not exist yet.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit chain; exit 0 if intact, 1 naming the first entry that was altered, removed, inserted or reordered.
    Verify(StoreArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
