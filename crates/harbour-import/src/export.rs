//! Writing stored values back out as CSV for people to open in a spreadsheet.
//!
//! Agencies' values are stored exactly as sent, including cells such as `=HYPERLINK(…)`
//! that a spreadsheet would run as a formula. Every export goes through [`spreadsheet_safe`],
//! which makes such a cell plain text (OWASP's advice: prefix a single quote), so a file
//! downloaded from Harbour never runs anything when opened.

use crate::rows::QuarantineEntry;
use std::borrow::Cow;
use std::io::Write;

/// The cell as text a spreadsheet will not evaluate: a value starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'`.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The cell with every control character (a NUL, an escape, a line break) written as a
/// visible `\uXXXX`, so an export holds only printable text whatever a refused row carried,
/// then made [`spreadsheet_safe`].
pub fn export_cell(cell: &str) -> String {
    let visible: Cow<'_, str> = if cell.chars().any(char::is_control) {
        Cow::Owned(
            cell.chars()
                .map(|c| {
                    if c.is_control() {
                        format!("\\u{:04X}", u32::from(c))
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(cell)
    };
    spreadsheet_safe(&visible).into_owned()
}

/// The columns of a quarantine export.
pub const QUARANTINE_COLUMNS: [&str; 9] = [
    "agency",
    "feed",
    "file",
    "line",
    "record_key",
    "field",
    "value",
    "reason",
    "received_at",
];

/// Writes quarantine entries as CSV, every cell made spreadsheet-safe with its control
/// characters escaped ([`export_cell`]).
pub fn write_quarantine_csv(
    out: impl Write,
    entries: &[QuarantineEntry],
) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(QUARANTINE_COLUMNS)?;
    for e in entries {
        let line = e.line.to_string();
        let received = e
            .received_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let cells = [
            e.agency_code.as_str(),
            &e.feed,
            &e.file_name,
            &line,
            &e.record_key,
            &e.field,
            &e.value,
            &e.reason,
            &received,
        ];
        writer.write_record(cells.iter().map(|c| export_cell(c)))?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_become_text_and_others_are_untouched() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+44 1273"), "'+44 1273");
        assert_eq!(spreadsheet_safe("-2+3"), "'-2+3");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("\tcmd"), "'\tcmd");
        assert_eq!(spreadsheet_safe("O'Brien"), "O'Brien");
        assert_eq!(spreadsheet_safe("2009-05-14"), "2009-05-14");
        assert_eq!(spreadsheet_safe(""), "");
    }

    #[test]
    fn a_quarantine_export_is_csv_with_safe_cells() {
        let entry = QuarantineEntry {
            id: uuid::Uuid::nil(),
            agency_code: "police".into(),
            feed: "police".into(),
            file_name: "police.csv".into(),
            line: 7,
            record_key: "PN1".into(),
            field: "given_name".into(),
            value: "=cmd|' /C calc'!A0".into(),
            reason: "a name, not a formula".into(),
            received_at: time::macros::datetime!(2026-11-22 09:00 UTC),
        };
        let mut out = Vec::new();
        write_quarantine_csv(&mut out, &[entry]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let row = rows.records().next().unwrap().unwrap();
        assert_eq!(&row[6], "'=cmd|' /C calc'!A0");
        assert_eq!(&row[3], "7");
        assert_eq!(&row[8], "2026-11-22T09:00:00Z");
    }

    #[test]
    fn control_characters_in_a_refused_value_are_written_as_visible_escapes() {
        let entry = QuarantineEntry {
            id: uuid::Uuid::nil(),
            agency_code: "police".into(),
            feed: "police".into(),
            file_name: "police.csv".into(),
            line: 3,
            record_key: "PN\u{0}1".into(),
            field: "given_name".into(),
            value: "Ja\u{0}y\u{1b}[2Jden\r\n".into(),
            reason: "given_name contains control characters".into(),
            received_at: time::macros::datetime!(2026-11-22 09:00 UTC),
        };
        let mut out = Vec::new();
        write_quarantine_csv(&mut out, &[entry]).unwrap();
        assert!(!out.contains(&0), "no NUL byte in the export");
        assert!(!out.contains(&0x1b), "no escape byte in the export");
        let text = String::from_utf8(out).unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let row = rows.records().next().unwrap().unwrap();
        assert_eq!(&row[6], "Ja\\u0000y\\u001B[2Jden\\u000D\\u000A");
        assert_eq!(&row[4], "PN\\u00001");
    }
}
