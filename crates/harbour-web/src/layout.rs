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
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// The signed-in user, as the page header needs them. `session::SignedIn` is the one
/// implementation; going through this trait keeps the layout clear of `session`, which
/// answers its failures with `problem`, which renders them with this layout.
pub(crate) trait Viewer {
    fn user(&self) -> &SessionUser;
    /// The anti-forgery token for forms in this session.
    fn csrf_token(&self) -> String;
    /// The path of the page asked for.
    fn path(&self) -> &str;
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
    /// This page, or a page within it: marked `aria-current="page"`.
    pub current: bool,
}

/// Whether the page at `path` is the navigation entry `href` or within it.
fn is_current(href: &str, path: &str) -> bool {
    path == href
        || (href != "/"
            && path
                .strip_prefix(href)
                .is_some_and(|rest| rest.starts_with('/')))
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
                            current: is_current(entry.href, s.path()),
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

/// "20 November 2026 09:00:00 GMT" or "1 July 2026 10:00:00 BST": an instant in London
/// time with the zone shown, for every time a page shows (audit entries, received files,
/// emergency access, alert history).
pub(crate) fn date_time(at: OffsetDateTime) -> String {
    let (local, zone) = london(at);
    let time = local
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default();
    format!("{} {time} {zone}", long_date(local.date()))
}

/// An instant in Europe/London time, with the zone's abbreviation (see
/// [`harbour_domain::london`]).
pub(crate) fn london(at: OffsetDateTime) -> (OffsetDateTime, &'static str) {
    harbour_domain::london(at)
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
    fn times_are_shown_in_london_time_with_the_zone() {
        use time::macros::datetime;
        // Winter: GMT, the same as UTC.
        assert_eq!(
            date_time(datetime!(2026-11-20 09:00:00 UTC)),
            "20 November 2026 09:00:00 GMT"
        );
        // Summer: BST, an hour ahead (and across midnight).
        assert_eq!(
            date_time(datetime!(2026-07-01 23:30:00 UTC)),
            "2 July 2026 00:30:00 BST"
        );
        // 2026: BST from 01:00 UTC on 29 March to 01:00 UTC on 25 October.
        assert_eq!(
            date_time(datetime!(2026-03-29 00:59:59 UTC)),
            "29 March 2026 00:59:59 GMT"
        );
        assert_eq!(
            date_time(datetime!(2026-03-29 01:00:00 UTC)),
            "29 March 2026 02:00:00 BST"
        );
        assert_eq!(
            date_time(datetime!(2026-10-25 00:59:59 UTC)),
            "25 October 2026 01:59:59 BST"
        );
        assert_eq!(
            date_time(datetime!(2026-10-25 01:00:00 UTC)),
            "25 October 2026 01:00:00 GMT"
        );
        // A time given in another offset is the same instant.
        assert_eq!(
            date_time(datetime!(2026-07-01 12:00:00 +02:00)),
            "1 July 2026 11:00:00 BST"
        );
        // The last Sunday when the month ends on a Sunday (31 March 2024).
        assert_eq!(
            date_time(datetime!(2024-03-31 01:00:00 UTC)),
            "31 March 2024 02:00:00 BST"
        );
    }

    #[test]
    fn the_navigation_marks_the_page_and_the_pages_within_it() {
        assert!(is_current("/", "/"));
        assert!(!is_current("/", "/people"));
        assert!(is_current("/people", "/people"));
        assert!(is_current("/audit", "/audit/refused"));
        assert!(!is_current("/audit", "/auditor"));
    }

    #[test]
    fn dates_read_the_gov_uk_way() {
        assert_eq!(long_date(date!(2009 - 05 - 04)), "4 May 2009");
    }
}
