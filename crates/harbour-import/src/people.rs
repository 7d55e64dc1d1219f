//! Reading a plain list of people for `harbour link dedupe`: any council spreadsheet of names
//! and dates, not an agency feed. Values are free text and are normalised, never refused (a
//! date that cannot be read counts as missing); only the file's shape can be wrong, and then
//! the error names the line and column.

use harbour_link::Record;
use std::collections::HashMap;
use std::io::Read;

/// Columns the file must have (values may be empty).
pub const REQUIRED: [&str; 6] = ["id", "given_name", "family_name", "dob", "sex", "postcode"];
/// Columns read when present.
pub const OPTIONAL: [&str; 4] = ["upn", "nhs_number", "address", "cluster"];

/// The people read, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct People {
    pub ids: Vec<String>,
    pub records: Vec<Record>,
    /// The known true grouping, when the file has a `cluster` column.
    pub clusters: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("line 1: the header has no {column:?} column (required: {})", REQUIRED.join(", "))]
    MissingColumn { column: &'static str },
    #[error("line {line}, column {column:?}: the value is not UTF-8 text; save the file as UTF-8")]
    Encoding { line: u64, column: String },
    #[error("line {line}: {message}")]
    Shape { line: u64, message: String },
    #[error(
        "line {line}, column \"id\": {id:?} is already used on line {first}; each row needs its own id"
    )]
    DuplicateId { line: u64, id: String, first: u64 },
    #[error("line {line}, column \"id\": the id is empty")]
    EmptyId { line: u64 },
}

/// A date of birth from free text: ISO or day/month/year; anything else is missing. Plain
/// `YYYY-MM-DD`, by far the commonest, is read without allocating.
fn date_of_birth(text: &str) -> Option<time::Date> {
    if let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = text.as_bytes() {
        let digits = [y1, y2, y3, y4, m1, m2, d1, d2];
        if digits.iter().all(|b| b.is_ascii_digit()) {
            let n = |part: &[&u8]| {
                part.iter()
                    .fold(0u16, |acc, d| acc * 10 + u16::from(**d - b'0'))
            };
            let month = time::Month::try_from(u8::try_from(n(&[m1, m2])).ok()?).ok()?;
            let day = u8::try_from(n(&[d1, d2])).ok()?;
            let year = i32::from(n(&[y1, y2, y3, y4]));
            return time::Date::from_calendar_date(year, month, day).ok();
        }
    }
    crate::values::date(text).ok()
}

/// A postcode from the end of a free-text address ("1 High St, Lewes BN7 2LD").
fn postcode_in(address: &str) -> Option<String> {
    let words: Vec<&str> = address
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let last_two = words.get(words.len().checked_sub(2)?..)?.join(" ");
    harbour_domain::Postcode::parse(&last_two)
        .ok()
        .map(|p| p.as_str().to_owned())
}

pub fn read_people(input: impl Read) -> Result<People, PeopleError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let header = reader.byte_headers().map_err(|e| shape(&e, 1))?.clone();
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let name = std::str::from_utf8(raw).map_err(|_| PeopleError::Encoding {
                line: 1,
                column: format!("column {}", i + 1),
            })?;
            Ok(name.trim_start_matches('\u{feff}').trim().to_lowercase())
        })
        .collect::<Result<_, PeopleError>>()?;
    let position = |column: &str| names.iter().position(|n| n == column);
    let mut required = [0usize; REQUIRED.len()];
    for (slot, column) in required.iter_mut().zip(REQUIRED) {
        *slot = position(column).ok_or(PeopleError::MissingColumn { column })?;
    }
    let [id_at, given_at, family_at, dob_at, sex_at, postcode_at] = required;
    let [upn_at, nhs_at, address_at, cluster_at] = OPTIONAL.map(position);

    let mut people = People {
        ids: Vec::new(),
        records: Vec::new(),
        clusters: cluster_at.map(|_| Vec::new()),
    };
    // Ids seen, by hash, with the index and line of the first row: a cheap way to find a
    // repeated id in a million rows. Equal hashes are checked against the ids themselves (two
    // different ids sharing a 64-bit hash would only hide a repeat of the second).
    let mut seen: HashMap<u64, (u32, u64)> = HashMap::with_capacity(1 << 16);
    let mut row = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(shape(&e, line)),
        }
        let line = row.position().map_or(line, csv::Position::line);
        let value = |at: Option<usize>, column: &str| -> Result<&str, PeopleError> {
            let Some(i) = at else { return Ok("") };
            std::str::from_utf8(row.get(i).unwrap_or_default())
                .map(str::trim)
                .map_err(|_| PeopleError::Encoding {
                    line,
                    column: column.to_owned(),
                })
        };
        let id = value(Some(id_at), "id")?;
        if id.is_empty() {
            return Err(PeopleError::EmptyId { line });
        }
        let key = harbour_link::blocking::hash(&[id.as_bytes()]);
        match seen.entry(key) {
            std::collections::hash_map::Entry::Occupied(earlier) => {
                let (index, first) = *earlier.get();
                if people.ids.get(index as usize).is_some_and(|e| e == id) {
                    return Err(PeopleError::DuplicateId {
                        line,
                        id: id.to_owned(),
                        first,
                    });
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((people.ids.len() as u32, line));
            }
        }
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let mut postcode = value(Some(postcode_at), "postcode")?.to_owned();
        if postcode.is_empty() {
            postcode = postcode_in(value(address_at, "address")?).unwrap_or_default();
        }
        people.records.push(Record {
            aliases: Vec::new(),
            given_name: value(Some(given_at), "given_name")?.to_owned(),
            family_name: value(Some(family_at), "family_name")?.to_owned(),
            date_of_birth: date_of_birth(value(Some(dob_at), "dob")?),
            sex: optional(value(Some(sex_at), "sex")?),
            postcode,
            upn: optional(value(upn_at, "upn")?),
            nhs_number: optional(value(nhs_at, "nhs_number")?),
        });
        if let Some(clusters) = people.clusters.as_mut() {
            clusters.push(value(cluster_at, "cluster")?.to_owned());
        }
        people.ids.push(id.to_owned());
    }
    Ok(people)
}

fn shape(error: &csv::Error, line: u64) -> PeopleError {
    let line = error.position().map_or(line, csv::Position::line);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("this row has {len} values but the header has {expected_len}"),
        _ => error.to_string(),
    };
    PeopleError::Shape { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_normalised_not_refused() {
        let text = "\u{feff}ID,Given_Name,family_name,dob,sex,postcode,address,cluster\n\
                    1,Zoë,O'Brien,2010-02-03,F,,\"4 Mill Lane, Lewes BN7 2LD\",a\n\
                    2,zoe,OBRIEN,03/02/2010,f,bn7 2ld,,a\n\
                    3,Sam,,31/02/2010,,not a postcode,,b\n";
        let people = read_people(text.as_bytes()).unwrap();
        assert_eq!(people.ids, ["1", "2", "3"]);
        assert_eq!(
            people.records[0].postcode, "BN7 2LD",
            "taken from the address"
        );
        assert_eq!(
            people.records[0].date_of_birth,
            people.records[1].date_of_birth
        );
        assert_eq!(
            people.records[2].date_of_birth, None,
            "31 February is missing, not an error"
        );
        assert_eq!(
            date_of_birth("2010-02-03"),
            time::Date::from_calendar_date(2010, time::Month::February, 3).ok()
        );
        assert_eq!(date_of_birth("2010-13-03"), None);
        assert_eq!(date_of_birth("2010-02-30"), None);
        assert_eq!(date_of_birth("03/02/2010"), date_of_birth("2010-02-03"));
        assert_eq!(people.records[2].sex, None);
        assert_eq!(people.clusters.unwrap(), ["a", "a", "b"]);
    }

    #[test]
    fn shape_errors_name_the_line_and_column() {
        let missing = read_people("id,given_name,family_name,dob,sex\n".as_bytes()).unwrap_err();
        assert!(missing.to_string().contains("\"postcode\""), "{missing}");

        let mut bad = b"id,given_name,family_name,dob,sex,postcode\n1,Amy,Hart,,F,\n2,".to_vec();
        bad.extend_from_slice(&[0xff, 0xfe]);
        bad.extend_from_slice(b",Hart,,F,\n");
        let err = read_people(bad.as_slice()).unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("given_name"),
            "{err}"
        );

        let short = "id,given_name,family_name,dob,sex,postcode\n1,Amy,Hart\n";
        let err = read_people(short.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("3 values"), "{err}");

        let twice = "id,given_name,family_name,dob,sex,postcode\n7,A,B,,,\n7,C,D,,,\n";
        let err = read_people(twice.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("line 2"), "{err}");
    }
}
