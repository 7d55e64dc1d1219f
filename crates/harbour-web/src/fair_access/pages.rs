//! The fair-access page: the consistency table with its bars, then the period's log.

use super::{Period, not_theirs, today};
use crate::layout::{Layout, long_date};
use crate::problem::PageProblem;
use crate::session::SignedIn;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use harbour_casework::fair_access::{Rate, Response};
use harbour_store::FairAccessView;

/// One row of the consistency table, with its bar's length.
pub(crate) struct RateRow {
    pub label: String,
    pub placements: u32,
    pub refusals: u32,
    pub pupils: u32,
    /// Per 1,000 pupils, to one decimal place, or a dash for a school with no roll.
    pub rate: String,
    /// The bar's width as a share of the widest rate (0 to 100).
    pub bar: u32,
    /// Above the county's rate.
    pub above: bool,
}

pub(crate) struct DecisionRow {
    pub child: String,
    pub on: String,
    pub school: String,
    pub response: &'static str,
    pub reason: String,
    /// Where to record the school's answer, for a decision kept here still awaiting it.
    pub answer_link: String,
    /// The feed, or the log kept here.
    pub source: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "fair_access.html")]
pub(crate) struct FairAccessPage {
    pub layout: Layout,
    pub from: String,
    pub to: String,
    pub from_value: String,
    pub to_value: String,
    pub county: RateRow,
    /// Where the county's rate falls on the bars (0 to 100).
    pub county_mark: u32,
    pub schools: Vec<RateRow>,
    pub areas: Vec<RateRow>,
    pub decisions: Vec<DecisionRow>,
    pub unmatched: usize,
    /// The confirmation after recording, or empty.
    pub saved: &'static str,
}

pub(crate) fn response_words(response: Response) -> &'static str {
    match response {
        Response::Accepted => "Accepted",
        Response::Refused => "Refused",
        Response::Pending => "Awaiting the school",
    }
}

/// The table's rows, each bar scaled to the widest rate (the county's included).
fn rows(rates: &[Rate], widest: f64, county: Option<f64>) -> Vec<RateRow> {
    rates.iter().map(|r| row(r, widest, county)).collect()
}

fn row(rate: &Rate, widest: f64, county: Option<f64>) -> RateRow {
    RateRow {
        label: rate.label.clone(),
        placements: rate.placements,
        refusals: rate.refusals,
        pupils: rate.pupils_on_roll,
        rate: rate
            .per_thousand
            .map_or_else(|| "–".to_owned(), |r| format!("{r:.1}")),
        bar: bar(rate.per_thousand, widest),
        above: matches!((rate.per_thousand, county), (Some(r), Some(c)) if r > c),
    }
}

fn bar(rate: Option<f64>, widest: f64) -> u32 {
    match rate {
        // A share of 0 to 100, so the cast cannot overflow.
        Some(r) if widest > 0.0 => ((r / widest) * 100.0).round().clamp(0.0, 100.0) as u32,
        _ => 0,
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(period): Query<Period>,
) -> Result<FairAccessPage, PageProblem> {
    let (from, to) = period.check(today(&state))?;
    let view: FairAccessView = state
        .store
        .fair_access(&signed_in.user.principal, from, to, state.clock.now())
        .await?
        .ok_or_else(not_theirs)?;
    let c = &view.consistency;
    let county = c.county.per_thousand;
    let widest = c
        .schools
        .iter()
        .chain(&c.areas)
        .chain(std::iter::once(&c.county))
        .filter_map(|r| r.per_thousand)
        .fold(0.0_f64, f64::max);
    Ok(FairAccessPage {
        layout: Layout::new("Fair access", Some(&signed_in), &state),
        from: long_date(from),
        to: long_date(to),
        from_value: from.to_string(),
        to_value: to.to_string(),
        county: row(&c.county, widest, None),
        county_mark: bar(county, widest),
        schools: rows(&c.schools, widest, county),
        areas: rows(&c.areas, widest, county),
        decisions: view
            .decisions
            .iter()
            .map(|d| DecisionRow {
                child: d.child.as_ref().map_or_else(
                    || "Name not known".to_owned(),
                    |c| format!("{} {}", c.given_name, c.family_name),
                ),
                on: long_date(d.on),
                school: d
                    .school_name
                    .clone()
                    .unwrap_or_else(|| match &d.school_number {
                        Some(n) => format!("School {n} (not registered in Harbour)"),
                        None => "Not named in the feed".to_owned(),
                    }),
                response: response_words(d.response),
                reason: d.reason.clone(),
                answer_link: match (d.id, d.response) {
                    (Some(id), Response::Pending) => format!("/fair-access/{id}/answer"),
                    _ => String::new(),
                },
                source: if d.id.is_some() {
                    "In Harbour"
                } else {
                    "Education feed"
                },
            })
            .collect(),
        unmatched: view.unmatched,
        saved: match period.saved.as_deref() {
            Some("decision") => "Decision recorded",
            Some("answer") => "The school's answer recorded",
            _ => "",
        },
    })
}
