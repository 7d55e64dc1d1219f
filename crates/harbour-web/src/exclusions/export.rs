//! The register downloaded: the rows the list shows for the same filters, as CSV and as
//! XLSX, written by the shared `spreadsheet` module (which makes every formula cell text).
//! The read is audited as an export.

use super::view::{FilterParams, Row};
use super::{not_theirs, register_day};
use crate::problem::{PageProblem, Problem};
use crate::session::SignedIn;
use crate::spreadsheet::{Format, download};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;

/// The download in `format`, read through the store's export (audited as such).
async fn export(
    state: &AppState,
    signed_in: &SignedIn,
    params: &FilterParams,
    format: Format,
) -> Result<Response, Problem> {
    let filter = params.check()?;
    let day = register_day(state);
    let register = state
        .store
        .exclusions_register_export(&signed_in.user.principal, day, state.clock.now())
        .await?
        .ok_or_else(not_theirs)?;
    let (listed, _) = filter.apply(&register.entries, day.today);
    let rows: Vec<[String; 15]> = listed
        .iter()
        .map(|e| Row::of(e, day.today).cells())
        .collect();
    download(
        format,
        &format!("exclusions-register-{}", day.today),
        "Exclusions register",
        &Row::HEADERS,
        &rows,
    )
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageProblem> {
    Ok(export(&state, &signed_in, &params, Format::Csv).await?)
}

pub(crate) async fn xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageProblem> {
    Ok(export(&state, &signed_in, &params, Format::Xlsx).await?)
}
