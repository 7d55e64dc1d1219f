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
    /// Generate a synthetic county: every agency's feeds, a manifest and the ground truth.
    ///
    /// Deterministic for a seed. Writes DIR/feeds/<agency>/<feed>.csv, DIR/manifest.json,
    /// DIR/truth.csv (which record belongs to which synthetic person; never import it),
    /// DIR/registers_truth.json (the education registers' answer key), DIR/casework.json
    /// (what the county's officers recorded on the registers by hand, which `harbour demo`
    /// records after importing), DIR/calendar.toml (the county's term dates) and
    /// DIR/README.md (the base rates used and reached).
    Synth(SynthArgs),
    /// Import an agency feed file, or every feed a synthetic county's manifest lists.
    ///
    /// Bad rows go to the quarantine with their line, field and reason (see `harbour
    /// quarantine list`); nothing is half-written. Importing the same file again changes
    /// nothing; a corrected row is stored as a new version of the event it corrects.
    Import(ImportArgs),
    /// Rows waiting in the quarantine, with the reason each was refused.
    Quarantine(QuarantineArgs),
    /// Link records into people: across agencies in the store, or in any CSV list of people.
    ///
    /// `harbour link` re-links every source record in the store (imports link new records
    /// as they arrive); `--evaluate TRUTH.csv` scores the result against a synthetic county's
    /// truth. `harbour link dedupe --input FILE.csv` groups the rows of a plain list.
    Link(LinkArgs),
    /// Critical-moment rules: run them, test them, replay a child's timeline, score them.
    ///
    /// The rules are the files in rules/ (built in; --rules DIR uses a council's own). Each
    /// file is one rule with its rationale, recipients, response time and examples.
    Rules(RulesArgs),
    /// Find a person's id (for `harbour rules replay --person`) by name, UPN or NHS number.
    Person(PersonArgs),
    /// The council's registers: who is on them, where each stands, and the figures.
    Report(ReportArgs),
    /// Add a local authority (a tenant): the first step in setting up a new deployment.
    Tenant(TenantArgs),
    /// Add a partner agency (a school, the police force, a health trust…).
    Agency(AgencyArgs),
    /// Manage staff accounts: add, list, set a password or second factor, disable.
    User(UserArgs),
    /// Manage API tokens for agency systems that submit feeds.
    Token(TokenArgs),
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
    /// A directory of rule files to raise alerts by, instead of the built-in rules.
    #[arg(long, env = "HARBOUR_RULES")]
    pub rules: Option<PathBuf>,
    /// Mark session cookies Secure (and __Host- prefixed). Set this when Harbour is served over HTTPS, as it must be in production.
    #[arg(long, env = "HARBOUR_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The address of a reverse proxy in front of Harbour (repeat for each, or a comma-separated list in the environment variable). Only from these peers are X-Forwarded-For and Forwarded believed for the client's address; anyone else is known by their own.
    #[arg(
        long = "trusted-proxy",
        value_name = "ADDR",
        env = "HARBOUR_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
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

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The code of the agency that sent the file (see `harbour agency list`).
    #[arg(
        long,
        required_unless_present = "manifest",
        conflicts_with = "manifest"
    )]
    pub agency: Option<String>,
    /// The kind of feed: school_roll, school_ctf (the DfE Common Transfer File, XML),
    /// school_attendance, school_exclusions, la_education, police, social_care, health or
    /// youth_justice. docs/feeds.md describes each.
    #[arg(
        long,
        required_unless_present = "manifest",
        conflicts_with = "manifest"
    )]
    pub feed: Option<String>,
    /// The CSV file to import.
    #[arg(required_unless_present = "manifest", conflicts_with = "manifest")]
    pub file: Option<PathBuf>,
    /// Import everything a `harbour synth` manifest lists (creating its authority and agencies).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// The local authority's code. With a FILE: the authority the agency belongs to (needed
    /// when the store holds more than one). With --manifest: import the synthetic county into
    /// this existing authority instead of creating the manifest's own; its schools join the
    /// authority, and its other feeds are sent by the authority's own council, police,
    /// health and youth-justice agencies (created if it has none).
    #[arg(long)]
    pub tenant: Option<String>,
    /// A directory of rule files to run after the import instead of the built-in rules.
    #[arg(long, env = "HARBOUR_RULES")]
    pub rules: Option<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LinkArgs {
    #[command(subcommand)]
    pub command: Option<LinkCommand>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The local authority's code (needed only when the store holds more than one).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Score the linked store against a synthetic county's truth.csv (pairwise precision,
    /// recall and F1, and cluster counts).
    #[arg(long, value_name = "TRUTH.csv")]
    pub evaluate: Option<PathBuf>,
    /// With --evaluate: score the people as they stand (as imports linked them), without
    /// re-linking first.
    #[arg(long, requires = "evaluate")]
    pub as_is: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Run the rules over every child's timeline (or, with --changed, those changed since the
    /// last run); raise new alerts and escalate overdue ones.
    Run {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// A directory of rule files to use instead of the built-in rules.
        #[arg(long, env = "HARBOUR_RULES")]
        rules: Option<PathBuf>,
        /// Only timelines that changed since the last run began.
        #[arg(long)]
        changed: bool,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Check a directory of rule files and run every rule's examples; names any rule whose
    /// examples fail. Exits non-zero if any does.
    Test {
        /// The rules directory; without one, the installed rules: `HARBOUR_RULES` if set,
        /// otherwise the rules built into Harbour (those `harbour serve` raises alerts by).
        #[arg(env = "HARBOUR_RULES")]
        dir: Option<PathBuf>,
    },
    /// Show one person's timeline with every alert the rules would have raised, on the day
    /// it would have fired, and who would have been told.
    Replay {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// A directory of rule files to use instead of the built-in rules.
        #[arg(long, env = "HARBOUR_RULES")]
        rules: Option<PathBuf>,
        /// The person's id (from their page's address, or `harbour person find`).
        #[arg(long)]
        person: String,
        /// The email of the member of staff running the replay (see `harbour user list`):
        /// the audit credits the replay to them, so the data-protection officer sees who
        /// replayed which child.
        #[arg(long)]
        by: String,
        /// Print the replay as one JSON object (dates as YYYY-MM-DD).
        #[arg(long)]
        json: bool,
    },
    /// Score early identification against a synthetic county's truth.csv: the share of
    /// exploitation trajectories flagged at least 12 months before harm, the median lead
    /// time, and alerts per 1,000 children a year by rule.
    Evaluate {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// A directory of rule files to use instead of the built-in rules.
        #[arg(long, env = "HARBOUR_RULES")]
        rules: Option<PathBuf>,
        /// The synthetic county's truth.csv (written by `harbour synth`).
        #[arg(long, value_name = "TRUTH.csv")]
        truth: PathBuf,
        /// Print the scores as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Group the rows of a CSV list of people into persons.
    ///
    /// Columns: id, given_name, family_name, dob, sex, postcode (values may be empty), and
    /// optionally upn, nhs_number, address and cluster (the known truth, to score against).
    /// Writes id,cluster as CSV.
    Dedupe(DedupeArgs),
}

#[derive(Debug, Args)]
pub struct DedupeArgs {
    /// The CSV file of people.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the clusters (default: beside the input, named …-clusters.csv).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Link pairs at or above this match probability.
    #[arg(long, default_value_t = 0.99)]
    pub match_probability: f64,
    /// How many of the blocking rules may link pairs without a person (default: the
    /// engine's); pairs only later rules found go to review. For measuring, beside the default.
    #[arg(long)]
    pub linking_rules: Option<usize>,
    /// Also write every candidate pair blocking produced (id_a,id_b), for measuring it.
    #[arg(long)]
    pub candidates: Option<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    #[command(subcommand)]
    pub command: QuarantineCommand,
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List rows waiting in the quarantine.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this agency's rows.
        #[arg(long)]
        agency: Option<String>,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// Print JSON lines instead of a table.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV for a spreadsheet (cells that would run as formulas are made text).
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Args)]
pub struct PersonArgs {
    #[command(subcommand)]
    pub command: PersonCommand,
}

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Find people by part of a name, a UPN or an NHS number; prints each one's id, name,
    /// date of birth and the agencies whose records matched (at most 50). The search is
    /// audited (its kind, never its text).
    Find {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// Part of a name ("jordan", "price jor"), a UPN or an NHS number.
        #[arg(value_name = "NAME|UPN|NHS")]
        query: String,
        /// Print JSON lines, one person a line, instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The permanent exclusions register: each child with their day-6, board and review
    /// clocks and their education offer, then the figures (number on the register, share
    /// with full-time education by day 6, median school days to provision, overdue
    /// reviews). Entries open from the feeds as exclusions arrive. The report is audited,
    /// naming every child.
    Exclusions {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// A directory of rule files whose calendar.toml gives the school terms (default:
        /// the built-in rules' calendar).
        #[arg(long, env = "HARBOUR_RULES")]
        rules: Option<PathBuf>,
        /// The day to report on, YYYY-MM-DD (default: today in London).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        /// Print the register as one JSON object (dates as YYYY-MM-DD).
        #[arg(long)]
        json: bool,
    },
    /// The children not in school register: each child in elective home education (with the
    /// s.434A consent flag, the home-visit and information-request clocks) and each child
    /// missing education (days missing, the 20-school-day tracing clock, steps left), then
    /// the figures (number on each part, without consent, median days missing, share traced
    /// within the limit). Entries open from the feeds. The report is audited, naming every
    /// child.
    ChildrenNotInSchool {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// A directory of rule files whose calendar.toml gives the school terms (default:
        /// the built-in rules' calendar).
        #[arg(long, env = "HARBOUR_RULES")]
        rules: Option<PathBuf>,
        /// The day to report on, YYYY-MM-DD (default: today in London).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        /// Print the register as one JSON object (dates as YYYY-MM-DD).
        #[arg(long)]
        json: bool,
    },
    /// Alternative-provision and PRU placements: each child's provider, hours, start, the
    /// time from the exclusion it followed and the next review, then the pathway's figures
    /// (running, part-time, median wait after an exclusion, excluded children with no
    /// placement since, reviews overdue). Placements open from the authority's feed. The
    /// report is audited, naming every child.
    AlternativeProvision {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// A directory of rule files whose calendar.toml gives the school terms (default:
        /// the built-in rules' calendar).
        #[arg(long, env = "HARBOUR_RULES")]
        rules: Option<PathBuf>,
        /// The day to report on, YYYY-MM-DD (default: today in London).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        /// Print the placements as one JSON object (dates as YYYY-MM-DD).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// How many children (a county is about 120,000).
    #[arg(long, default_value_t = 120_000, value_parser = clap::value_parser!(u64).range(1..=20_000_000))]
    pub children: u64,
    /// The seed: the same seed always makes the same county.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// An empty (or new) directory to write into.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    pub command: TenantCommand,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Add a local authority by its three-digit DfE code.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// The DfE local-authority code, e.g. 845.
        #[arg(long)]
        code: String,
        /// The authority's name, e.g. "East Sussex County Council".
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct AgencyArgs {
    #[command(subcommand)]
    pub command: AgencyCommand,
}

#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Add a partner agency.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// A short code for the agency, used in feeds and on the command line (e.g. northgate).
        #[arg(long)]
        code: String,
        /// Its name as staff know it.
        #[arg(long)]
        name: String,
        /// local_authority, school, police, health or youth_justice.
        #[arg(long)]
        kind: String,
        /// A school's DfE number, LA/ESTAB (e.g. 999/4125): how other schools' Common
        /// Transfer Files name it, so that history they report about it is placed at it.
        #[arg(long)]
        school_number: Option<String>,
        /// The school is a special school (or a specially organised independent special
        /// school): a pupil on its roll may be withdrawn to home education only with the local
        /// authority's consent (Education Act 1996 s.434A), which the children not in school
        /// register then asks for.
        #[arg(long)]
        special_school: bool,
        /// The part of the county a school is in (a district or planning area, e.g. "North"):
        /// the fair-access figures give each area's placements beside each school's.
        #[arg(long)]
        area: Option<String>,
        /// The local authority (needed only when the store holds more than one).
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List the agencies.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// Print JSON lines, one a line, instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a member of staff. The password is read from standard input, or asked for twice
    /// (without echo) on a terminal; it is never taken as an argument.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// The code of the agency they work for (see `harbour agency list`).
        #[arg(long)]
        agency: String,
        /// A role they hold (repeat for more than one): school_dsl, la_inclusion_officer,
        /// la_cme_ehe_officer, social_worker, police_mace_coordinator,
        /// police_intelligence_officer, youth_justice_worker, health_safeguarding_nurse,
        /// mace_chair, partnership_analyst, data_protection_officer, system_administrator.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Their work email address; they sign in with it.
        #[arg(long)]
        email: String,
        /// Their name as colleagues see it.
        #[arg(long)]
        name: String,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List staff accounts.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// Print JSON lines, one a line, instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set a new password (read as for `add`).
    Password {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
    },
    /// Set up a second factor: prints a secret and an otpauth:// address for an authenticator app.
    Totp {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
        /// Remove the second factor instead (roles that require one then cannot sign in).
        #[arg(long)]
        remove: bool,
    },
    /// Disable an account: its sessions end at once and it cannot sign in.
    Disable {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token for an agency's system to submit feeds. It is shown once; only a hash is kept.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// The agency's code.
        #[arg(long)]
        agency: String,
        /// What the token is for, e.g. "MIS nightly export".
        #[arg(long)]
        label: String,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// The local authority's code (needed only when the store holds more than one).
        #[arg(long)]
        tenant: Option<String>,
        /// Print JSON lines, one a line, instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id: it stops working at once.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// The token's id, from `harbour token list`.
        #[arg(long)]
        id: String,
    },
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
