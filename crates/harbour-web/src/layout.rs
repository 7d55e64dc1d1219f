//! What every page shares: the [`Layout`] of `templates/base.html` (title, the signed-in
//! user's bar and navigation, the demo banner), the error page and error summary entries,
//! and the date and label formatting pages use. Formatting happens in Rust so templates stay
//! readable for people who are not Rust programmers.
//!
//! Shared, so it knows no capability: the navigation comes from the entries the router
//! collects (see `nav.rs`).

use crate::assets::asset_version;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use harbour_domain::Role;
use harbour_store::SessionUser;
use std::collections::BTreeSet;
use time::Date;
use time::macros::format_description;

/// The signed-in user, as the page header needs them. `session::SignedIn` is the one
/// implementation; going through this trait keeps the layout clear of `session`, which
/// answers its failures with `problem`, which renders them with this layout.
pub(crate) trait Viewer {
    fn user(&self) -> &SessionUser;
    /// The anti-forgery token for forms in this session.
    fn csrf_token(&self) -> String;
}

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
    /// The navigation entries this user's role may use, in order.
    pub nav: Vec<NavLink>,
}

/// A link in the main navigation.
#[derive(Debug, Clone)]
pub(crate) struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

impl Layout {
    pub fn new(
        title: impl Into<String>,
        signed_in: Option<&impl Viewer>,
        state: &AppState,
    ) -> Self {
        let policy = state.store.policy();
        Self {
            title: title.into(),
            has_error: false,
            user: signed_in.map(|s| {
                let user = s.user();
                UserBar {
                    name: user.display_name.clone(),
                    agency: user.agency_name.clone(),
                    nav: state
                        .navigation
                        .iter()
                        .filter(|entry| (entry.shown)(policy, &user.principal))
                        .map(|entry| NavLink {
                            href: entry.href,
                            label: entry.label,
                        })
                        .collect(),
                }
            }),
            csrf_token: signed_in.map(Viewer::csrf_token).unwrap_or_default(),
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

/// One entry in an error summary (`templates/error_summary.html`): the message, linking to
/// the field it is about.
#[derive(Debug, Clone)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

/// The page every failure shown to a browser is answered with (see `problem.rs`).
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub message: String,
}

pub(crate) fn long_date(date: Date) -> String {
    date.format(format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_else(|_| date.to_string())
}

/// "20 November 2026 09:00:00 UTC", for audit entries and received files.
pub(crate) fn date_time(at: time::OffsetDateTime) -> String {
    let time = at
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default();
    format!("{} {time} UTC", long_date(at.date()))
}

pub(crate) fn role_labels(roles: &BTreeSet<Role>) -> String {
    roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
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
