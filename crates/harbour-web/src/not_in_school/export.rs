//! Each part of the register downloaded: the rows the list shows, as CSV and as XLSX,
//! written by the shared `spreadsheet` module (which makes every formula cell text, such as a
//! provider's name typed as one). The read is audited as an export of that part alone, and
//! holds only what the reader's role may see of it: a school's lead downloads the
//! missing-education episodes its own roll deletions opened and no home education.

use super::pages::day;
use super::view::{CmeRow, EheRow};
use crate::problem::{PageProblem, Problem};
use crate::session::SignedIn;
use crate::spreadsheet::{Format, download};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use harbour_store::NotInSchoolPart;

async fn export(
    state: &AppState,
    signed_in: &SignedIn,
    part: NotInSchoolPart,
    format: Format,
) -> Result<Response, Problem> {
    let day = day(state);
    let register = state
        .store
        .children_not_in_school_export(&signed_in.user.principal, part, day, state.clock.now())
        .await?
        .ok_or_else(|| Problem::forbidden("Your role cannot see this part of the register."))?;
    match part {
        NotInSchoolPart::HomeEducation => {
            let rows: Vec<[String; 10]> = register
                .home_education
                .iter()
                .map(|e| EheRow::of(e, day.today).cells())
                .collect();
            download(
                format,
                &format!("home-education-register-{}", day.today),
                "Home education",
                &EheRow::HEADERS,
                &rows,
            )
        }
        NotInSchoolPart::MissingEducation => {
            let rows: Vec<[String; 9]> = register
                .missing_education
                .iter()
                .map(|e| CmeRow::of(e, day.today).cells())
                .collect();
            download(
                format,
                &format!("missing-education-register-{}", day.today),
                "Missing education",
                &CmeRow::HEADERS,
                &rows,
            )
        }
    }
}

pub(crate) async fn home_education_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageProblem> {
    Ok(export(
        &state,
        &signed_in,
        NotInSchoolPart::HomeEducation,
        Format::Csv,
    )
    .await?)
}

pub(crate) async fn home_education_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageProblem> {
    Ok(export(
        &state,
        &signed_in,
        NotInSchoolPart::HomeEducation,
        Format::Xlsx,
    )
    .await?)
}

pub(crate) async fn missing_education_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageProblem> {
    Ok(export(
        &state,
        &signed_in,
        NotInSchoolPart::MissingEducation,
        Format::Csv,
    )
    .await?)
}

pub(crate) async fn missing_education_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageProblem> {
    Ok(export(
        &state,
        &signed_in,
        NotInSchoolPart::MissingEducation,
        Format::Xlsx,
    )
    .await?)
}
