//! Page templates (in `templates/`) and the plain strings they show. Formatting happens here
//! so templates stay readable for people who are not Rust programmers.

use crate::assets::asset_version;
use crate::session::SignedIn;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use harbour_domain::{Handling, Role};
use harbour_policy::Function;
use harbour_store::{DemoUser, PersonSummary, PersonView};
use std::collections::BTreeSet;
use time::Date;
use time::macros::format_description;

/// The parts of every page: title, the signed-in user, the demo banner.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub title: String,
    pub has_error: bool,
    pub user: Option<UserBar>,
    pub csrf_token: String,
    pub demo: bool,
    pub asset_version: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct UserBar {
    pub name: String,
    pub agency: String,
    pub may_review_audit: bool,
    pub may_break_glass: bool,
    /// Whether the policy lets this user see any child's record at all.
    pub may_find: bool,
    pub may_review_quarantine: bool,
    pub may_review_identity: bool,
}

impl Layout {
    pub fn new(title: impl Into<String>, signed_in: Option<&SignedIn>, state: &AppState) -> Self {
        let policy = state.store.policy();
        Self {
            title: title.into(),
            has_error: false,
            user: signed_in.map(|s| UserBar {
                name: s.user.display_name.clone(),
                agency: s.user.agency_name.clone(),
                may_review_audit: policy.allows_function(&s.user.principal, Function::AuditReview),
                may_break_glass: policy.may_break_glass(&s.user.principal),
                may_find: !policy.scope(&s.user.principal).is_empty(),
                may_review_quarantine: policy
                    .allows_function(&s.user.principal, Function::QuarantineReview),
                may_review_identity: policy
                    .allows_function(&s.user.principal, Function::IdentityReview),
            }),
            csrf_token: signed_in.map(SignedIn::csrf_token).unwrap_or_default(),
            demo: state.config.demo_sign_in,
            asset_version: asset_version(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// For pages shown without a session (sign-in, errors).
    pub fn anonymous(title: impl Into<String>, demo: bool) -> Self {
        Self {
            title: title.into(),
            has_error: false,
            user: None,
            csrf_token: String::new(),
            demo,
            asset_version: asset_version(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    pub fn with_error(mut self, has_error: bool) -> Self {
        self.has_error = has_error;
        self
    }
}

/// One entry in an error summary: the message, linking to the field it is about.
#[derive(Debug, Clone)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

pub(crate) fn long_date(date: Date) -> String {
    date.format(format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_else(|_| date.to_string())
}

fn optional_date(date: Option<Date>) -> String {
    date.map(long_date)
        .unwrap_or_else(|| "Not known".to_owned())
}

pub(crate) fn role_labels(roles: &BTreeSet<Role>) -> String {
    roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub layout: Layout,
    pub name: String,
    pub agency: String,
    pub roles: String,
    pub alerts: Vec<crate::alerts::AlertRow>,
}

pub(crate) struct DemoAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    pub agency: String,
    pub roles: String,
}

impl From<DemoUser> for DemoAccount {
    fn from(user: DemoUser) -> Self {
        Self {
            id: user.id.to_string(),
            roles: role_labels(&user.roles),
            name: user.display_name,
            email: user.email,
            agency: user.agency_name,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
pub(crate) struct SignInPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    /// What was typed in the email box, to give it back after an error.
    pub email: String,
    pub demo_users: Vec<DemoAccount>,
}

pub(crate) struct SearchRow {
    pub id: String,
    pub name: String,
    pub date_of_birth: String,
    pub agencies: String,
}

impl From<PersonSummary> for SearchRow {
    fn from(person: PersonSummary) -> Self {
        Self {
            id: person.id.to_string(),
            name: format!("{} {}", person.given_name, person.family_name),
            date_of_birth: optional_date(person.date_of_birth),
            agencies: person.agencies.join(", "),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub(crate) struct SearchPage {
    pub layout: Layout,
    pub may_break_glass: bool,
    pub errors: Vec<FieldError>,
    pub query: String,
    pub searched: bool,
    pub results: Vec<SearchRow>,
}

pub(crate) struct TimelineRow {
    pub date: String,
    pub kind: &'static str,
    pub summary: String,
    pub agency: String,
    pub handling: &'static str,
    pub handling_class: &'static str,
}

pub(crate) struct IdentityRow {
    pub record: String,
    pub agency: String,
    pub name: String,
    pub date_of_birth: String,
    pub upn: String,
    pub nhs_number: String,
    pub postcode: String,
}

fn handling_class(handling: Handling) -> &'static str {
    match handling {
        Handling::Ordinary => "tag--grey",
        Handling::Restricted => "tag--orange",
        Handling::PoliceIntelligence => "tag--purple",
        Handling::HealthConfidential => "tag--red",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub(crate) struct PersonPage {
    pub layout: Layout,
    /// "14:35 on 20 November 2026" while the viewer sees the child through emergency access.
    pub emergency_until: Option<String>,
    pub person_id: String,
    pub name: String,
    pub agencies: String,
    /// Each identity field's best value, who recorded it, and what else was recorded.
    pub identity: Vec<IdentityField>,
    pub timeline: Vec<TimelineRow>,
    /// Events in the whole timeline, before filtering.
    pub timeline_total: usize,
    pub filter_agency: String,
    pub filter_kind: String,
    /// (value, label) choices for the filters: the agencies and kinds in this timeline.
    pub agency_choices: Vec<(String, String)>,
    pub kind_choices: Vec<(String, String)>,
    pub identities: Vec<IdentityRow>,
    /// For identity reviewers: merges, splits and undos that touched this person.
    pub changes: Option<Vec<ChangeRow>>,
}

/// A merge, split or undo on the person page.
pub(crate) struct ChangeRow {
    pub id: String,
    pub what: String,
    pub when: String,
    pub undoable: bool,
}

/// One line of the identity summary.
pub(crate) struct IdentityField {
    pub label: &'static str,
    pub value: String,
    /// The agencies that recorded the value shown.
    pub sources: String,
    /// Other values recorded, each with who recorded it ("" when all agree).
    pub variants: String,
}

/// The timeline filter from the address: `?agency=…&kind=…`, either may be empty.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct TimelineFilter {
    pub agency: Option<String>,
    pub kind: Option<String>,
}

/// The value most agencies recorded (ties to the first recorded), who recorded it, and the
/// other values with theirs.
fn best_value(values: &[(String, String)]) -> Option<IdentityField> {
    let mut tally: Vec<(String, Vec<String>)> = Vec::new();
    for (value, agency) in values.iter().filter(|(v, _)| !v.is_empty()) {
        match tally.iter_mut().find(|(v, _)| v == value) {
            Some((_, agencies)) => {
                if !agencies.contains(agency) {
                    agencies.push(agency.clone());
                }
            }
            None => tally.push((value.clone(), vec![agency.clone()])),
        }
    }
    let best = tally
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, agencies))| (agencies.len(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)?;
    let (value, sources) = tally.get(best)?.clone();
    let variants = tally
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, (v, agencies))| format!("{v} ({})", agencies.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    Some(IdentityField {
        label: "",
        value,
        sources: sources.join(", "),
        variants,
    })
}

impl PersonPage {
    /// The headline identity is the value most of the agencies the viewer may see recorded,
    /// with who recorded it; the agency records table shows every variant.
    pub fn new(layout: Layout, view: PersonView, filter: &TimelineFilter) -> Self {
        let field = |label: &'static str,
                     value: &dyn Fn(&harbour_store::IdentityRecord) -> String| {
            let values: Vec<(String, String)> = view
                .identities
                .iter()
                .map(|r| (value(r), r.agency_name.clone()))
                .collect();
            best_value(&values).map(|f| IdentityField { label, ..f })
        };
        let identity: Vec<IdentityField> = [
            field("Name", &|r| format!("{} {}", r.given_name, r.family_name)),
            field("Date of birth", &|r| {
                r.date_of_birth.map(long_date).unwrap_or_default()
            }),
            field("Sex", &|r| match r.sex.as_deref() {
                Some("M") => "Male".into(),
                Some("F") => "Female".into(),
                _ => String::new(),
            }),
            field("Postcode", &|r| r.postcode.clone().unwrap_or_default()),
            field("UPN", &|r| r.upn.clone().unwrap_or_default()),
            field("NHS number", &|r| {
                r.nhs_number
                    .as_deref()
                    .and_then(|n| harbour_domain::NhsNumber::parse(n).ok())
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        let name = identity
            .first()
            .map(|f| f.value.clone())
            .unwrap_or_default();
        let mut agencies: Vec<&str> = view
            .identities
            .iter()
            .map(|r| r.agency_name.as_str())
            .collect();
        agencies.dedup();
        let mut agency_choices: Vec<(String, String)> = Vec::new();
        let mut kind_choices: Vec<(String, String)> = Vec::new();
        for event in &view.timeline {
            let agency = (event.agency.to_string(), event.agency_name.clone());
            if !agency_choices.contains(&agency) {
                agency_choices.push(agency);
            }
            let kind = (
                event.kind.as_str().to_owned(),
                event.kind.label().to_owned(),
            );
            if !kind_choices.contains(&kind) {
                kind_choices.push(kind);
            }
        }
        agency_choices.sort_by(|a, b| a.1.cmp(&b.1));
        kind_choices.sort_by(|a, b| a.1.cmp(&b.1));
        let filter_agency = filter.agency.clone().unwrap_or_default();
        let filter_kind = filter.kind.clone().unwrap_or_default();
        let timeline_total = view.timeline.len();
        Self {
            layout: Layout {
                title: name.clone(),
                ..layout
            },
            emergency_until: view.emergency_access_until.map(|until| {
                let time = until
                    .format(format_description!("[hour]:[minute]"))
                    .unwrap_or_default();
                format!("{time} UTC on {}", long_date(until.date()))
            }),
            person_id: view.id.to_string(),
            agencies: agencies.join(", "),
            identity,
            timeline_total,
            timeline: view
                .timeline
                .iter()
                .filter(|e| filter_agency.is_empty() || e.agency.to_string() == filter_agency)
                .filter(|e| filter_kind.is_empty() || e.kind.as_str() == filter_kind)
                .map(|event| TimelineRow {
                    date: long_date(event.occurred_on),
                    kind: event.kind.label(),
                    summary: event.summary.clone(),
                    agency: event.agency_name.clone(),
                    handling: event.handling.label(),
                    handling_class: handling_class(event.handling),
                })
                .collect(),
            identities: view
                .identities
                .iter()
                .map(|record| IdentityRow {
                    record: record.source_record.to_string(),
                    agency: record.agency_name.clone(),
                    name: format!("{} {}", record.given_name, record.family_name),
                    date_of_birth: optional_date(record.date_of_birth),
                    upn: record.upn.clone().unwrap_or_else(|| "–".into()),
                    nhs_number: record
                        .nhs_number
                        .as_deref()
                        .and_then(|n| harbour_domain::NhsNumber::parse(n).ok())
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "–".into()),
                    postcode: record.postcode.clone().unwrap_or_else(|| "–".into()),
                })
                .collect(),
            name,
            filter_agency,
            filter_kind,
            agency_choices,
            kind_choices,
            changes: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "emergency_access.html")]
pub(crate) struct EmergencyAccessPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub identifier: String,
    pub reason: String,
    pub minutes: u32,
    pub min_reason_length: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "health.html")]
pub(crate) struct HealthPage {
    pub layout: Layout,
    pub ok: bool,
    pub backend: String,
    pub schema_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_read_the_gov_uk_way() {
        assert_eq!(long_date(date!(2009 - 05 - 04)), "4 May 2009");
    }
}

fn date_time(at: time::OffsetDateTime) -> String {
    let time = at
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default();
    format!("{} {time} UTC", long_date(at.date()))
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_home.html")]
pub(crate) struct AuditHomePage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub identifier: String,
}

/// One audit entry on a page.
pub(crate) struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub who: String,
    pub agency: String,
    pub action: String,
    pub purpose: String,
    pub outcome: String,
    pub emergency: bool,
    pub detail: String,
}

impl From<harbour_store::AuditLine> for AuditRow {
    fn from(line: harbour_store::AuditLine) -> Self {
        Self {
            seq: line.seq,
            at: date_time(line.at),
            who: line
                .user_name
                .unwrap_or_else(|| "Harbour (system or command line)".into()),
            agency: line.agency_name.unwrap_or_default(),
            emergency: line.action.contains("emergency") || line.action == "break_glass",
            action: line.action.replace('_', " "),
            purpose: line.purpose,
            outcome: line.outcome,
            detail: line.detail,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_person.html")]
pub(crate) struct AuditPersonPage {
    pub layout: Layout,
    pub person: String,
    pub rows: Vec<AuditRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_refused.html")]
pub(crate) struct AuditRefusedPage {
    pub layout: Layout,
    pub rows: Vec<AuditRow>,
}

/// One emergency-access grant on the review page.
pub(crate) struct GrantRow {
    pub id: String,
    pub person: String,
    pub who: String,
    pub agency: String,
    pub reason: String,
    pub granted: String,
    pub until: String,
    pub live: bool,
    pub review: Option<String>,
}

impl GrantRow {
    pub fn new(grant: harbour_store::BreakGlassGrant, now: time::OffsetDateTime) -> Self {
        let review = grant.reviewed_at.map(|at| {
            let outcome = grant.review_outcome.as_deref().unwrap_or("");
            let label = crate::audit_pages::REVIEW_OUTCOMES
                .iter()
                .find(|(code, _)| *code == outcome)
                .map_or(outcome, |(_, label)| label);
            let note = grant
                .review_note
                .as_deref()
                .filter(|n| !n.is_empty())
                .map(|n| format!(" Note: {n}"))
                .unwrap_or_default();
            format!(
                "{label}, by {} on {}.{note}",
                grant.reviewer_name.as_deref().unwrap_or("?"),
                date_time(at)
            )
        });
        Self {
            id: grant.id.to_string(),
            person: grant.person.to_string(),
            who: grant.user_name,
            agency: grant.agency_name,
            reason: grant.reason,
            granted: date_time(grant.granted_at),
            until: date_time(grant.expires_at),
            live: grant.expires_at > now,
            review,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_grants.html")]
pub(crate) struct AuditGrantsPage {
    pub layout: Layout,
    pub waiting: usize,
    pub rows: Vec<GrantRow>,
    pub outcomes: &'static [(&'static str, &'static str)],
}

pub(crate) struct QuarantineRowView {
    pub file: String,
    pub feed: String,
    pub line: i64,
    pub record_key: String,
    pub field: String,
    pub reason: String,
    pub received: String,
}

impl From<harbour_store::QuarantineEntry> for QuarantineRowView {
    fn from(entry: harbour_store::QuarantineEntry) -> Self {
        Self {
            file: entry.file_name,
            feed: entry.feed.replace('_', " "),
            line: entry.line,
            record_key: entry.record_key,
            field: entry.field,
            reason: entry.reason,
            received: date_time(entry.received_at),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine.html")]
pub(crate) struct QuarantinePage {
    pub layout: Layout,
    pub agency: String,
    pub rows: Vec<QuarantineRowView>,
}
