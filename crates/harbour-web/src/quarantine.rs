//! Refused feed rows: the rows the user's own agency sent that were refused on import, each
//! with line, field and rule, as a page and as a CSV download.
//!
//! Template: `templates/quarantine.html`.

use crate::layout::{Layout, date_time};
use crate::nav::NavEntry;
use crate::problem::{PageProblem, Problem};
use crate::session::SignedIn;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use harbour_policy::Function;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quarantine", get(page))
        .route("/quarantine.csv", get(csv))
}

pub(crate) const NAV: NavEntry = NavEntry {
    href: "/quarantine",
    label: "Refused feed rows",
    shown: |policy, who| policy.allows_function(who, Function::QuarantineReview),
};

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

/// The rows the user's own agency sent that were refused on import.
async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<QuarantinePage, PageProblem> {
    let rows = state
        .store
        .quarantine_for(&signed_in.user.principal, state.clock.now())
        .await?
        .ok_or_else(|| Problem::forbidden("Your role cannot review refused feed rows."))?;
    Ok(QuarantinePage {
        layout: Layout::new("Refused feed rows", Some(&signed_in), &state),
        agency: signed_in.user.agency_name.clone(),
        rows: rows.into_iter().map(QuarantineRowView::from).collect(),
    })
}

/// The same rows as a CSV download, every cell made safe to open in a spreadsheet.
async fn csv(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageProblem> {
    let rows = state
        .store
        .quarantine_for(&signed_in.user.principal, state.clock.now())
        .await?
        .ok_or_else(|| Problem::forbidden("Your role cannot review refused feed rows."))?;
    let mut body = Vec::new();
    harbour_import::export::write_quarantine_csv(&mut body, &rows)
        .map_err(|_| Problem::internal())?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"refused-feed-rows.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
