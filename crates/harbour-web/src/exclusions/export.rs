//! The register downloaded: the rows the list shows for the same filters, as CSV and as
//! XLSX. Every cell goes through `harbour_import::export::export_cell` (a cell starting
//! `=`, `+`, `-`, `@` becomes text; control characters are written visibly), in the XLSX
//! too, where cells are written as strings anyway. The read is audited as an export.

use super::view::{FilterParams, Row};
use super::{not_theirs, register_day};
use crate::problem::{PageProblem, Problem};
use crate::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use harbour_import::export::export_cell;

/// The rows to download, read through the store's export (audited as such).
async fn rows(
    state: &AppState,
    signed_in: &SignedIn,
    params: &FilterParams,
) -> Result<(Vec<[String; 14]>, String), Problem> {
    let filter = params.check()?;
    let day = register_day(state);
    let register = state
        .store
        .exclusions_register_export(&signed_in.user.principal, day, state.clock.now())
        .await?
        .ok_or_else(not_theirs)?;
    let (listed, _) = filter.apply(&register.entries, day.today);
    let rows = listed
        .iter()
        .map(|e| Row::of(e, day.today).cells().map(|c| export_cell(&c)))
        .collect();
    Ok((rows, format!("exclusions-register-{}", day.today)))
}

fn failed(what: &str, error: impl std::fmt::Display) -> Problem {
    tracing::error!(%error, "{what}");
    Problem::internal()
}

/// The CSV bytes: a header row, then one row an entry.
pub(crate) fn csv_bytes(rows: &[[String; 14]]) -> Result<Vec<u8>, Problem> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(Row::HEADERS)
        .map_err(|e| failed("writing the register's CSV", e))?;
    for row in rows {
        out.write_record(row)
            .map_err(|e| failed("writing the register's CSV", e))?;
    }
    out.into_inner()
        .map_err(|e| failed("writing the register's CSV", e))
}

/// The XLSX bytes: one sheet, a bold header row, every cell a string.
pub(crate) fn xlsx_bytes(rows: &[[String; 14]]) -> Result<Vec<u8>, Problem> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("Exclusions register")?;
        let bold = Format::new().set_bold();
        for (col, heading) in (0u16..).zip(Row::HEADERS) {
            sheet.write_string_with_format(0, col, heading, &bold)?;
        }
        for (r, row) in (1u32..).zip(rows) {
            for (col, cell) in (0u16..).zip(row) {
                sheet.write_string(r, col, cell)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        workbook.save_to_buffer()
    };
    build().map_err(|e| failed("writing the register's XLSX", e))
}

fn download(bytes: Vec<u8>, content_type: &'static str, file: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageProblem> {
    let (rows, name) = rows(&state, &signed_in, &params).await?;
    Ok(download(
        csv_bytes(&rows)?,
        "text/csv; charset=utf-8",
        format!("{name}.csv"),
    ))
}

pub(crate) async fn xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageProblem> {
    let (rows, name) = rows(&state, &signed_in, &params).await?;
    Ok(download(
        xlsx_bytes(&rows)?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{name}.xlsx"),
    ))
}
