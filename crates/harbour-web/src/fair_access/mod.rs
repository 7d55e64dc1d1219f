//! The fair-access panel's log and the consistency view (recommendation 5): every school's
//! accepted placements per 1,000 pupils on roll, and each area's, beside the county's rate,
//! as a table with a bar for each, and the period's decisions below; and the same as JSON.
//! Thin: the store reads the authority's decisions and the schools' rolls through the gate
//! and audits; `harbour_casework::fair_access` works out the rates.
//!
//! Template: `templates/fair_access.html`.

mod api;
mod pages;
mod record;

use crate::nav::NavEntry;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use harbour_policy::{Principal, Register, RegisterAccess};
use harbour_store::RegisterRefusal;
use serde::Deserialize;
use time::{Date, Month};
use utoipa::IntoParams;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/fair-access", get(pages::page))
        .route(
            "/fair-access/new",
            get(record::new_decision).post(record::add_decision),
        )
        .route(
            "/fair-access/{id}/answer",
            get(record::answer_page).post(record::answer),
        )
        .route(
            "/api/v1/fair-access",
            get(api::api_view).post(api::api_record),
        )
        .route("/api/v1/fair-access/{id}/answer", post(api::api_answer))
}

pub(crate) const NAV: NavEntry = NavEntry {
    href: "/fair-access",
    label: "Fair access",
    shown: |policy, who| policy.register_access(who, Register::FairAccess).is_some(),
};

/// The fair-access part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::api_view, api::api_record, api::api_answer),
    components(schemas(
        api::ViewBody,
        api::RateBody,
        api::DecisionBody,
        api::NewDecisionBody,
        api::RecordedBody,
        api::AnswerBody
    ))
)]
pub(crate) struct FairAccessApi;

/// The period to report on.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub(crate) struct Period {
    /// The first day, YYYY-MM-DD (default: 1 September of the current school year).
    from: Option<String>,
    /// The last day, YYYY-MM-DD (default: today).
    to: Option<String>,
    /// The page's confirmation after recording (decision or answer); ignored by the API.
    #[param(ignore)]
    #[serde(default)]
    saved: Option<String>,
}

impl Period {
    /// The period asked for, or the school year so far; refused naming the field.
    fn check(&self, today: Date) -> Result<(Date, Date), Problem> {
        let day = |field: &'static str, text: &Option<String>| -> Result<Option<Date>, Problem> {
            match text.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(text) => {
                    Date::parse(text, &time::format_description::well_known::Iso8601::DATE)
                        .map(Some)
                        .map_err(|_| {
                            Problem::bad_request(
                                field,
                                format!("{field} must be a date as YYYY-MM-DD"),
                            )
                        })
                }
            }
        };
        let to = day("to", &self.to)?.unwrap_or(today);
        let from = match day("from", &self.from)? {
            Some(from) => from,
            None => school_year_start(to),
        };
        if from > to {
            return Err(Problem::bad_request("from", "from must be on or before to"));
        }
        Ok((from, to))
    }
}

/// 1 September of the school year `day` is in.
fn school_year_start(day: Date) -> Date {
    let year = if day.month() >= Month::September {
        day.year()
    } else {
        day.year() - 1
    };
    Date::from_calendar_date(year, Month::September, 1).unwrap_or(day)
}

fn not_theirs() -> Problem {
    Problem::forbidden("Your role cannot see the fair-access panel's log.")
}

fn today(state: &AppState) -> Date {
    harbour_domain::london_today(state.clock.now())
}

/// Whether `who` keeps the log (records decisions and answers).
fn keeps(state: &AppState, who: &Principal) -> bool {
    state
        .store
        .policy()
        .register_access(who, Register::FairAccess)
        == Some(RegisterAccess::Keep)
}

fn invalid(field: &str, message: &str) -> Problem {
    Problem {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_input",
        message: message.into(),
        field: Some(field.into()),
    }
}

/// A refused change, as a problem: the log's own refusal is 422 and names the field.
fn refusal(refusal: RegisterRefusal) -> Problem {
    match refusal {
        RegisterRefusal::NotAllowed => {
            Problem::forbidden("Only the fair-access log's keepers record on it.")
        }
        RegisterRefusal::NotFound => Problem::not_found(),
        RegisterRefusal::Invalid(why) => invalid(why.field, &why.message),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_default_period_is_the_school_year_so_far() {
        assert_eq!(
            school_year_start(date!(2026 - 12 - 04)),
            date!(2026 - 09 - 01)
        );
        assert_eq!(
            school_year_start(date!(2027 - 03 - 01)),
            date!(2026 - 09 - 01)
        );
        assert_eq!(
            school_year_start(date!(2026 - 09 - 01)),
            date!(2026 - 09 - 01)
        );
        let period = Period::default();
        assert_eq!(
            period.check(date!(2026 - 12 - 04)).unwrap(),
            (date!(2026 - 09 - 01), date!(2026 - 12 - 04))
        );
        let backwards = Period {
            from: Some("2026-12-05".into()),
            to: Some("2026-12-04".into()),
            ..Period::default()
        };
        assert!(backwards.check(date!(2026 - 12 - 04)).is_err());
        let bad = Period {
            from: Some("5/12/2026".into()),
            ..Period::default()
        };
        assert!(bad.check(date!(2026 - 12 - 04)).is_err());
    }
}
