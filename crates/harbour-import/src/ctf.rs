//! The DfE Common Transfer File (CTF): the XML schools send when a pupil moves.
//!
//! Read as a stream with quick-xml, one `Pupil` at a time, so memory stays flat whatever the
//! file's size. Each pupil becomes an identity (UPN, names, date of birth, sex, postcode) and
//! events: joining and leaving each school in `SchoolHistory`, and each year's attendance in
//! `Attendance/YearData`. A stint or a year at a school other than the file's own
//! (`Header/SourceSchool`) is history the sender reports about that school, and its events say
//! which school they describe (`FeedEvent::about_school`). A file with a DTD (`<!DOCTYPE`) is refused whole: a CTF never needs
//! one, and entity definitions are how "billion laughs" and external-entity attacks work.
//! Only XML's five predefined entities and character references are read.

use crate::rows::{FeedEvent, FeedIdentity, ImportRow, QuarantineRow};
use crate::values;
use harbour_domain::feed_codes::{DESTINATIONS, code_in};
use harbour_domain::{EventKind, Handling, Postcode, SchoolNumber, Upn};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::json;
use std::io::BufRead;
use time::{Date, Month};

/// Why a whole CTF file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CtfError {
    #[error(
        "the file has a document type definition (<!DOCTYPE>); a CTF never has one, and it is refused for safety"
    )]
    Dtd,
    #[error("the file is not a Common Transfer File: its root element is <{0}>, not <CTfile>")]
    NotCtf(String),
    #[error("the XML cannot be read at line {line}: {message}")]
    Xml { line: u64, message: String },
    /// The file ends before its elements are closed: it was cut off in transfer.
    #[error(
        "the file ends at line {line} inside <{element}> (it looks cut off); send the whole file again"
    )]
    Truncated { line: u64, element: String },
}

/// Reads the whole file, keeping nothing, and gives the number of pupils in it: `Ok` only
/// for a file that parses to its end. A caller that stores pupils as they are read checks the
/// file with this first, so that a file whose tail is broken stores nothing at all.
pub fn check<R: BufRead>(input: R, today: Date) -> Result<u64, CtfError> {
    let mut reader = CtfReader::new(input, today);
    loop {
        if let Next::End = reader.next_pupil()? {
            return Ok(reader.pupils);
        }
    }
}

/// A reader that counts the lines its consumer has read past, so that errors and pupils can
/// be given by line, as a person opening the file sees it, rather than by byte.
struct Lines<R> {
    inner: R,
    /// Newlines consumed so far.
    newlines: u64,
}

impl<R: BufRead> std::io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.newlines += newlines(buf.get(..read).unwrap_or_default());
        Ok(read)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // The bytes being consumed are the front of the buffer the last `fill_buf` gave,
        // which a second call returns again without reading.
        if let Ok(buffer) = self.inner.fill_buf() {
            self.newlines += newlines(buffer.get(..amount).unwrap_or(buffer));
        }
        self.inner.consume(amount);
    }
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

#[derive(Debug, Default, Clone)]
struct School {
    lea: String,
    estab: String,
    name: String,
    entry: String,
    leaving: String,
    reason: String,
}

#[derive(Debug, Default, Clone)]
struct YearData {
    year: String,
    lea: String,
    estab: String,
    name: String,
    possible: String,
    attended: String,
}

#[derive(Debug, Default)]
struct Pupil {
    /// The line of its `<Pupil>` tag.
    start: u64,
    upn: String,
    surname: String,
    forename: String,
    dob: String,
    sex: String,
    postcode: String,
    /// `BasicDetails/NCyearActual`: the year group when the file was written.
    year_group: String,
    schools: Vec<School>,
    years: Vec<YearData>,
}

/// What reading the next pupil gave.
#[derive(Debug)]
pub enum Next {
    /// A pupil's rows, or the reason the pupil was refused.
    Pupil(Result<Vec<ImportRow>, Box<QuarantineRow>>),
    /// The end of the file.
    End,
}

/// A CTF being read, pupil by pupil.
pub struct CtfReader<R: BufRead> {
    reader: Reader<Lines<R>>,
    buffer: Vec<u8>,
    path: Vec<String>,
    today: Date,
    started: bool,
    pupils: u64,
    /// The sending school's `LEA` and `Estab`, from `Header/SourceSchool`.
    source: (String, String),
}

impl<R: BufRead> std::fmt::Debug for CtfReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtfReader")
            .field("pupils", &self.pupils)
            .finish_non_exhaustive()
    }
}

fn predefined(entity: &str) -> Option<char> {
    match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

impl<R: BufRead> CtfReader<R> {
    pub fn new(input: R, today: Date) -> Self {
        let mut reader = Reader::from_reader(Lines {
            inner: input,
            newlines: 0,
        });
        // Text is trimmed once, when an element ends: trimming each piece would eat the
        // spaces around an entity reference ("Northgate &amp; District").
        reader.config_mut().trim_text(false);
        Self {
            reader,
            buffer: Vec::new(),
            path: Vec::new(),
            today,
            started: false,
            pupils: 0,
            source: (String::new(), String::new()),
        }
    }

    /// The line the reader has reached (counting from 1).
    fn line(&self) -> u64 {
        self.reader.get_ref().newlines + 1
    }

    fn xml_error(&self, message: impl std::fmt::Display) -> CtfError {
        CtfError::Xml {
            line: self.line(),
            message: message.to_string(),
        }
    }

    /// Reads the next pupil. An error here means the file does not parse to its end (broken
    /// XML, or cut off part-way): the caller should store nothing from it (see [`check`]).
    pub fn next_pupil(&mut self) -> Result<Next, CtfError> {
        let mut pupil: Option<Pupil> = None;
        let mut school: Option<School> = None;
        let mut year: Option<YearData> = None;
        let mut text = String::new();
        loop {
            self.buffer.clear();
            let event = match self.reader.read_event_into(&mut self.buffer) {
                Ok(event) => event.into_owned(),
                Err(error) => return Err(self.xml_error(error)),
            };
            match event {
                Event::DocType(_) => return Err(CtfError::Dtd),
                Event::Start(start) => {
                    let name: String = start.local_name().as_ref().to_owned();
                    if !self.started {
                        if name != "CTfile" {
                            return Err(CtfError::NotCtf(name));
                        }
                        self.started = true;
                    }
                    match (self.path.last().map(String::as_str), name.as_str()) {
                        (Some("CTFpupilData"), "Pupil") => {
                            pupil = Some(Pupil {
                                start: self.line(),
                                ..Pupil::default()
                            });
                        }
                        (Some("SchoolHistory"), "School") => school = Some(School::default()),
                        (Some("Attendance"), "YearData") => year = Some(YearData::default()),
                        _ => {}
                    }
                    self.path.push(name);
                    text.clear();
                }
                Event::Text(content) => text.push_str(&content.into_inner()),
                Event::CData(content) => text.push_str(&content.into_inner()),
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        _ => predefined(reference.as_ref()),
                    };
                    match resolved {
                        Some(c) => text.push(c),
                        None => {
                            return Err(self.xml_error(format!(
                                "the entity &{}; is not one XML defines; CTF files use none",
                                &*reference
                            )));
                        }
                    }
                }
                Event::End(_) => {
                    let name = self.path.pop().unwrap_or_default();
                    let parent = self.path.last().map(String::as_str).unwrap_or("");
                    let value = std::mem::take(&mut text).trim().to_owned();
                    if let Some(y) = year.as_mut() {
                        match name.as_str() {
                            "Year" => y.year = value,
                            "LEA" => y.lea = value,
                            "Estab" => y.estab = value,
                            "SchoolName" => y.name = value,
                            "SessionsPossible" => y.possible = value,
                            "SessionsAttended" => y.attended = value,
                            "YearData" => {
                                if let (Some(p), Some(done)) = (pupil.as_mut(), year.take()) {
                                    p.years.push(done);
                                }
                            }
                            _ => {}
                        }
                    } else if let Some(s) = school.as_mut() {
                        match name.as_str() {
                            "LEA" => s.lea = value,
                            "Estab" => s.estab = value,
                            "SchoolName" => s.name = value,
                            "EntryDate" => s.entry = value,
                            "LeavingDate" => s.leaving = value,
                            "LeavingReason" => s.reason = value,
                            "School" => {
                                if let (Some(p), Some(done)) = (pupil.as_mut(), school.take()) {
                                    p.schools.push(done);
                                }
                            }
                            _ => {}
                        }
                    } else if parent == "SourceSchool" {
                        match name.as_str() {
                            "LEA" => self.source.0 = value,
                            "Estab" => self.source.1 = value,
                            _ => {}
                        }
                    } else if let Some(p) = pupil.as_mut() {
                        match (parent, name.as_str()) {
                            ("Pupil", "UPN") => p.upn = value,
                            ("Pupil", "Surname") => p.surname = value,
                            ("Pupil", "Forename") => p.forename = value,
                            ("Pupil", "DOB") => p.dob = value,
                            ("Pupil", "Sex" | "Gender") => p.sex = value,
                            ("Address", "PostCode") => p.postcode = value,
                            ("BasicDetails", "NCyearActual") => p.year_group = value,
                            (_, "Pupil") => {
                                self.pupils += 1;
                                let done = pupil.take().unwrap_or_default();
                                return Ok(Next::Pupil(self.rows(done)));
                            }
                            _ => {}
                        }
                    }
                }
                Event::Eof => {
                    if !self.started {
                        return Err(self.xml_error("the file is empty"));
                    }
                    if let Some(open) = self.path.last() {
                        return Err(CtfError::Truncated {
                            line: self.line(),
                            element: open.clone(),
                        });
                    }
                    return Ok(Next::End);
                }
                _ => {}
            }
        }
    }

    /// The school an entry of the history describes, when it is not the sending school: the
    /// entry is then the sender's report about it. A file that does not name its sender, or
    /// an entry without a readable number, is taken as the sender's own record, as Harbour
    /// has always read it.
    fn about(&self, lea: &str, estab: &str) -> Option<SchoolNumber> {
        let source = SchoolNumber::from_parts(&self.source.0, &self.source.1).ok()?;
        let entry = SchoolNumber::from_parts(lea, estab).ok()?;
        (entry != source).then_some(entry)
    }

    /// A pupil's identity and events, or why the pupil cannot be accepted.
    fn rows(&self, pupil: Pupil) -> Result<Vec<ImportRow>, Box<QuarantineRow>> {
        let line = pupil.start;
        let fail = |field: &str, value: &str, reason: String| {
            Box::new(QuarantineRow {
                line,
                record_key: pupil.upn.clone(),
                event_key: String::new(),
                field: field.to_owned(),
                value: value.chars().take(200).collect(),
                reason,
                raw: String::new(),
            })
        };
        let upn = Upn::parse(&pupil.upn)
            .map_err(|e| fail("UPN", &pupil.upn, format!("UPN {:?}: {e}", pupil.upn)))?;
        let surname = values::text(&pupil.surname, values::MAX_NAME)
            .map_err(|e| fail("Surname", &pupil.surname, format!("Surname {e}")))?
            .ok_or_else(|| fail("Surname", "", "Surname is required".into()))?;
        let forename = values::text(&pupil.forename, values::MAX_NAME)
            .map_err(|e| fail("Forename", &pupil.forename, format!("Forename {e}")))?
            .unwrap_or_default();
        let dob = values::date(&pupil.dob).map_err(|e| fail("DOB", &pupil.dob, e))?;
        if dob > self.today {
            return Err(fail("DOB", &pupil.dob, "DOB is in the future".into()));
        }
        let sex = match pupil.sex.to_uppercase().as_str() {
            "" => None,
            s @ ("M" | "F" | "U" | "X") => Some(s.to_owned()),
            other => {
                return Err(fail(
                    "Sex",
                    other,
                    format!("Sex {other:?} is not M, F, U or X"),
                ));
            }
        };
        let postcode = match pupil.postcode.trim() {
            "" => None,
            text => Some(Postcode::parse(text).map_err(|e| fail("PostCode", text, e.to_string()))?),
        };
        let year_group = match pupil.year_group.trim() {
            "" => None,
            text => values::curriculum_year(text)
                .map_err(|e| fail("NCyearActual", text, format!("NCyearActual {e}")))?,
        };
        // The year group is the pupil's when the file was written, so it belongs on the
        // latest leaving (the move the file was made for), not on every stint.
        let last_leaving = pupil
            .schools
            .iter()
            .filter_map(|s| values::date(&s.leaving).ok())
            .max();
        let identity = FeedIdentity {
            record_key: upn.as_str().to_owned(),
            given_name: forename,
            family_name: surname,
            date_of_birth: Some(dob),
            sex,
            postcode,
            upn: Some(upn.clone()),
            nhs_number: None,
            alias: None,
        };
        let mut rows = Vec::new();
        let mut push = |kind: EventKind,
                        key: String,
                        on: Date,
                        summary: String,
                        details: serde_json::Value,
                        about_school: Option<SchoolNumber>| {
            rows.push(ImportRow::new(
                line,
                identity.clone(),
                FeedEvent {
                    event_key: key,
                    kind,
                    occurred_on: on,
                    handling: Handling::Ordinary,
                    summary,
                    details,
                    about_school,
                },
            ));
        };
        for school in &pupil.schools {
            let about = self.about(&school.lea, &school.estab);
            let at = format!(
                "{} ({}/{})",
                if school.name.is_empty() {
                    "school"
                } else {
                    &school.name
                },
                school.lea,
                school.estab
            );
            let entry =
                values::date(&school.entry).map_err(|e| fail("EntryDate", &school.entry, e))?;
            if entry > self.today || entry < dob {
                return Err(fail(
                    "EntryDate",
                    &school.entry,
                    "EntryDate is in the future or before the DOB".into(),
                ));
            }
            push(
                EventKind::SchoolEnrolment,
                format!("{upn}-entry-{}{}-{entry}", school.lea, school.estab),
                entry,
                format!("Joined the roll at {at}"),
                json!({ "lea": school.lea, "estab": school.estab }),
                about.clone(),
            );
            if !school.leaving.is_empty() {
                let leaving = values::date(&school.leaving)
                    .map_err(|e| fail("LeavingDate", &school.leaving, e))?;
                if leaving < entry || leaving > self.today {
                    return Err(fail(
                        "LeavingDate",
                        &school.leaving,
                        "LeavingDate is before EntryDate or in the future".into(),
                    ));
                }
                let reason = if school.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", school.reason)
                };
                let mut details =
                    json!({ "lea": school.lea, "estab": school.estab, "reason": school.reason });
                // A leaving reason that names a destination is also a field rules can test.
                if let Some(map) = details.as_object_mut() {
                    if let Some(code) = code_in(DESTINATIONS, &school.reason) {
                        map.insert("destination".into(), code.into());
                    }
                    if let Some(year) = year_group.filter(|_| Some(leaving) == last_leaving) {
                        map.insert("year_group".into(), year.into());
                    }
                }
                push(
                    EventKind::SchoolLeaving,
                    format!("{upn}-leaving-{}{}-{leaving}", school.lea, school.estab),
                    leaving,
                    format!("Left the roll at {at}{reason}"),
                    details,
                    about.clone(),
                );
            }
        }
        for year in &pupil.years {
            let start: i32 = year.year.trim().parse().map_err(|_| {
                fail(
                    "Year",
                    &year.year,
                    format!("Year {:?} is not a year", year.year),
                )
            })?;
            let possible = values::whole_number(&year.possible)
                .map_err(|e| fail("SessionsPossible", &year.possible, e))?;
            let attended = values::whole_number(&year.attended)
                .map_err(|e| fail("SessionsAttended", &year.attended, e))?;
            if possible == 0 || attended > possible {
                return Err(fail("SessionsAttended", &year.attended, "SessionsAttended must be between 0 and SessionsPossible (which must be more than 0)".into()));
            }
            // A year's summary is dated at the end of that academic year (or today, if sooner).
            let end = Date::from_calendar_date(start + 1, Month::July, 31)
                .map_err(|_| fail("Year", &year.year, "not a year".into()))?
                .min(self.today);
            let percent = f64::from(attended) * 100.0 / f64::from(possible);
            push(
                EventKind::AttendanceSummary,
                format!("{upn}-attendance-{}{}-{start}", year.lea, year.estab),
                end,
                format!(
                    "Attended {percent:.1}% of {possible} sessions in {start}/{:02} at {}",
                    (start + 1) % 100,
                    if year.name.is_empty() {
                        "school"
                    } else {
                        &year.name
                    }
                ),
                json!({ "year": start, "sessions_possible": possible, "sessions_attended": attended, "percent": (percent * 10.0).round() / 10.0 }),
                self.about(&year.lea, &year.estab),
            );
        }
        Ok(rows)
    }
}

#[cfg(test)]
#[path = "ctf_tests.rs"]
mod tests;
