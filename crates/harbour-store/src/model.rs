//! The plain data the store takes and returns.

use harbour_domain::{
    AgencyId, AgencyKind, EventId, EventKind, Handling, NhsNumber, PersonId, Postcode, Role,
    SourceRecordId, TenantCode, Upn, UserId,
};
use serde::Serialize;
use std::collections::BTreeSet;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone)]
pub struct NewAgency {
    pub id: AgencyId,
    pub tenant: TenantCode,
    /// A short code the agency is known by in feeds and on the command line (`police`).
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agency {
    pub id: AgencyId,
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub tenant: TenantCode,
    pub agency: AgencyId,
    pub email: String,
    pub display_name: String,
    pub roles: BTreeSet<Role>,
    /// Demo accounts can be chosen on the demo sign-in page; real accounts cannot.
    pub is_demo: bool,
}

/// A demo account as the sign-in chooser lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub id: UserId,
    pub display_name: String,
    pub email: String,
    pub agency_name: String,
    pub roles: BTreeSet<Role>,
}

/// The member of staff behind a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub principal: harbour_policy::Principal,
    pub display_name: String,
    pub agency_name: String,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub id: PersonId,
}

#[derive(Debug, Clone)]
pub struct NewSourceRecord {
    pub id: SourceRecordId,
    pub agency: AgencyId,
    pub record_key: String,
    pub person: PersonId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    pub upn: Option<Upn>,
    pub nhs_number: Option<NhsNumber>,
    pub postcode: Option<Postcode>,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub source_record: SourceRecordId,
    pub agency: AgencyId,
    pub record_key: String,
    pub kind: EventKind,
    pub occurred_on: Date,
    pub handling: Handling,
    pub summary: String,
    /// Kind-specific fields as a JSON object (reason codes, attendance figures…).
    pub details: serde_json::Value,
}

/// Persons, their source records and events, written together in one transaction.
#[derive(Debug, Clone)]
pub struct Batch {
    pub tenant: TenantCode,
    pub persons: Vec<NewPerson>,
    pub source_records: Vec<NewSourceRecord>,
    pub events: Vec<NewEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub persons: u64,
    pub source_records: u64,
    pub events: u64,
}

/// One person in a search result, described only by records the viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonSummary {
    pub id: PersonId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    /// The agencies whose records matched, by name.
    pub agencies: Vec<String>,
    /// The child's current school as the viewer may see it: the school that recorded the
    /// latest event the viewer may see (as the alert queue says), if any.
    pub school: Option<String>,
}

/// What narrows a search, and which page of it: the date-of-birth bounds (inclusive; an
/// exact date of birth is both, an age is the range of birth dates that give it), the
/// current school (see [`PersonSummary::school`]: judged only from events the viewer may
/// see) and the page as an offset and a limit. The total counts only children the viewer
/// may see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    pub born_from: Option<Date>,
    pub born_to: Option<Date>,
    pub school: Option<AgencyId>,
    pub offset: usize,
    pub limit: usize,
}

/// One page of a search: the children on it, and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchResults {
    pub total: u64,
    pub people: Vec<PersonSummary>,
}

/// One agency's view of a person's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRecord {
    pub source_record: SourceRecordId,
    pub agency: AgencyId,
    pub agency_name: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    pub upn: Option<String>,
    pub nhs_number: Option<String>,
    pub postcode: Option<String>,
}

/// One row of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub event: EventId,
    pub kind: EventKind,
    pub occurred_on: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub handling: Handling,
    pub summary: String,
    /// The agency that recorded it (for a report about another school, the school that
    /// reported it).
    pub agency: AgencyId,
    pub agency_name: String,
    /// For history a school's transfer file reported about another school, the DfE number
    /// (LA/ESTAB) of the school it describes: shown as reported by `agency_name` in its
    /// transfer file, not as its own record.
    pub reported_about: Option<String>,
    /// The name of the school `reported_about` names, when Harbour holds it.
    pub reported_about_name: Option<String>,
    /// The event's structured details as stored (a JSON object), for views that read them
    /// (the education journey); the API gives each field its own place instead.
    #[serde(skip)]
    pub details: String,
}

/// The single view of a person: only what the viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonView {
    pub id: PersonId,
    pub identities: Vec<IdentityRecord>,
    pub timeline: Vec<TimelineEntry>,
    /// Set while the viewer sees this child through an emergency-access grant.
    #[serde(with = "time::serde::rfc3339::option")]
    pub emergency_access_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub backend: &'static str,
    pub schema_version: i64,
}

/// A member of staff as administrators see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub id: UserId,
    pub tenant: TenantCode,
    pub agency: AgencyId,
    pub agency_name: String,
    pub email: String,
    pub display_name: String,
    pub roles: BTreeSet<Role>,
    pub disabled: bool,
    pub has_password: bool,
    pub has_second_factor: bool,
}

/// What sign-in needs to know about an account. Never shown to anyone.
#[derive(Clone, PartialEq, Eq)]
pub struct SignInAccount {
    pub staff: StaffMember,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<u64>,
}

/// Hides the secrets.
impl std::fmt::Debug for SignInAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInAccount")
            .field("staff", &self.staff)
            .finish_non_exhaustive()
    }
}

/// An agency system's API token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: uuid::Uuid,
    pub tenant: TenantCode,
    pub agency: AgencyId,
    pub agency_name: String,
    pub label: String,
    /// What the token may do; today only `feed_submission`.
    pub scope: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// One emergency-access grant, as the data-protection officer reviews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassGrant {
    pub id: uuid::Uuid,
    pub user: UserId,
    pub user_name: String,
    pub agency_name: String,
    pub person: PersonId,
    pub reason: String,
    pub granted_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub reviewed_at: Option<OffsetDateTime>,
    pub reviewer_name: Option<String>,
    pub review_outcome: Option<String>,
    pub review_note: Option<String>,
}

/// One audit entry as the data-protection officer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub user_name: Option<String>,
    pub agency_name: Option<String>,
    pub action: String,
    pub purpose: String,
    pub outcome: String,
    pub detail: String,
}

/// The audit review of one child: their name (for the reviewer, audited), one page of the
/// entries and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOfPerson {
    pub name: Option<String>,
    pub lines: AuditLines,
}

/// Which page of an audit list to read, newest entry first: skip `offset`, give `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPage {
    pub offset: usize,
    pub limit: usize,
}

/// One page of an audit list, and how many entries the whole list has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLines {
    pub total: u64,
    pub lines: Vec<AuditLine>,
}

/// The rows a feed import stores and the counts it gives are defined beside the parser that
/// makes them (`harbour-import`, which links no database driver); they are the store's input.
pub use harbour_import::{
    FeedEvent, FeedIdentity, ImportCounts, ImportRow, QuarantineEntry, QuarantineRow,
};
