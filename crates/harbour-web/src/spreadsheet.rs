//! A register downloaded as a spreadsheet: CSV or XLSX bytes from a header row and rows of
//! text, and the response that carries them. Every cell goes through
//! `harbour_import::export::export_cell` here, in both formats, so no register can forget to:
//! a cell starting `=`, `+`, `-` or `@` becomes text (a child's name or a provider typed as a
//! formula must never run in the officer's spreadsheet) and control characters are written
//! visibly. XLSX cells are written as strings too, never as formulas or numbers.

use crate::problem::Problem;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use harbour_import::export::export_cell;

fn failed(what: &str, error: impl std::fmt::Display) -> Problem {
    tracing::error!(%error, "{what}");
    Problem::internal()
}

/// The CSV bytes: the header row, then one row each.
pub(crate) fn csv_bytes<R: AsRef<[String]>>(
    headers: &[&str],
    rows: &[R],
) -> Result<Vec<u8>, Problem> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(headers.iter().map(|h| export_cell(h)))
        .map_err(|e| failed("writing a register's CSV", e))?;
    for row in rows {
        out.write_record(row.as_ref().iter().map(|c| export_cell(c)))
            .map_err(|e| failed("writing a register's CSV", e))?;
    }
    out.into_inner()
        .map_err(|e| failed("writing a register's CSV", e))
}

/// The XLSX bytes: one sheet named `sheet`, a bold header row kept in view, every cell a
/// string.
pub(crate) fn xlsx_bytes<R: AsRef<[String]>>(
    sheet: &str,
    headers: &[&str],
    rows: &[R],
) -> Result<Vec<u8>, Problem> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet)?;
        let bold = Format::new().set_bold();
        for (col, heading) in (0u16..).zip(headers) {
            worksheet.write_string_with_format(0, col, export_cell(heading), &bold)?;
        }
        for (r, row) in (1u32..).zip(rows) {
            for (col, cell) in (0u16..).zip(row.as_ref()) {
                worksheet.write_string(r, col, export_cell(cell))?;
            }
        }
        worksheet.set_freeze_panes(1, 0)?;
        workbook.save_to_buffer()
    };
    build().map_err(|e| failed("writing a register's XLSX", e))
}

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Xlsx,
}

/// The download: `name` (without its extension) as the file name, the bytes in `format`.
pub(crate) fn download<R: AsRef<[String]>>(
    format: Format,
    name: &str,
    sheet: &str,
    headers: &[&str],
    rows: &[R],
) -> Result<Response, Problem> {
    let (bytes, content_type, extension) = match format {
        Format::Csv => (csv_bytes(headers, rows)?, "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            xlsx_bytes(sheet, headers, rows)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{extension}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_made_text_in_both_formats() {
        let rows = [vec!["=1+1".to_owned(), "Plain".to_owned()]];
        let csv = String::from_utf8(csv_bytes(&["A", "B"], &rows).unwrap()).unwrap();
        assert_eq!(csv, "A,B\n'=1+1,Plain\n");
        let xlsx = xlsx_bytes("Sheet", &["A", "B"], &rows).unwrap();
        assert!(xlsx.starts_with(b"PK"), "a zip archive");
    }
}
