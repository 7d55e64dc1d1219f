//! Page templates (in `templates/`) and the plain strings they show. Formatting happens here
//! so templates stay readable for people who are not Rust programmers.

use crate::assets::asset_version;
use crate::session::SignedIn;
use askama::Template;
use askama_web::WebTemplate;
use harbour_domain::{Handling, Role};
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
}

impl Layout {
    pub fn new(title: impl Into<String>, signed_in: Option<&SignedIn>, demo: bool) -> Self {
        Self {
            title: title.into(),
            has_error: false,
            user: signed_in.map(|s| UserBar {
                name: s.user.display_name.clone(),
                agency: s.user.agency_name.clone(),
            }),
            csrf_token: signed_in.map(SignedIn::csrf_token).unwrap_or_default(),
            demo,
            asset_version: asset_version(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    pub fn anonymous(title: impl Into<String>, demo: bool) -> Self {
        Self::new(title, None, demo)
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
    pub name: String,
    pub date_of_birth: String,
    pub agencies: String,
    pub timeline: Vec<TimelineRow>,
    pub identities: Vec<IdentityRow>,
}

impl PersonPage {
    /// The headline identity is the most common name among the records the viewer may see;
    /// the agency records table shows every variant.
    pub fn new(layout: Layout, view: PersonView) -> Self {
        let mut names: Vec<(String, usize)> = Vec::new();
        for record in &view.identities {
            let name = format!("{} {}", record.given_name, record.family_name);
            match names.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => names.push((name, 1)),
            }
        }
        let name = names
            .iter()
            .max_by_key(|(_, count)| *count)
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        let date_of_birth = optional_date(view.identities.iter().find_map(|r| r.date_of_birth));
        let mut agencies: Vec<&str> = view
            .identities
            .iter()
            .map(|r| r.agency_name.as_str())
            .collect();
        agencies.dedup();
        Self {
            layout: Layout {
                title: name.clone(),
                ..layout
            },
            date_of_birth,
            agencies: agencies.join(", "),
            timeline: view
                .timeline
                .iter()
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
        }
    }
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
