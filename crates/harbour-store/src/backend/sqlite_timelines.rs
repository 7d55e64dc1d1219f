//! Every timeline in a SQLite store, read for a full rules run through its own read-only
//! connection on its own thread.
//!
//! sqlx's SQLite driver hands each row from its worker thread to the caller across a
//! channel. For the one query that reads every event in a county (millions of rows) that
//! hand-off, not SQLite, was most of the time: 40 s for 4.4 million rows, where SQLite itself
//! steps through them in under 3 s. `rusqlite` (the same bundled SQLite) reads them in place
//! and copies each chunk of persons' rows into one buffer; the caller builds that chunk's
//! timelines and evaluates them on every core while the thread reads the next. One statement
//! reads the whole tenant, so it sees one consistent snapshot (WAL mode), as sqlx's did.

use crate::StoreError;
use crate::timelines::{Builder, EventRow};
use harbour_domain::EventKind;
use harbour_rules::Timeline;
use harbour_rules::predicate::fields_of;
use rayon::prelude::*;
use rusqlite::{Connection, OpenFlags, Row};
use std::ops::Range;
use std::path::PathBuf;
use time::{Date, Month};
use uuid::Uuid;

/// Chunks of rows waiting for the caller: the reader stays at most this far ahead.
const CHUNKS_AHEAD: usize = 2;

/// One event version as read, its text kept in its chunk's buffer.
struct RawEvent {
    id: Uuid,
    agency: Uuid,
    version: i32,
    kind: EventKind,
    on: Date,
    record_key: Range<usize>,
    summary: Range<usize>,
    details: Range<usize>,
    about: Option<Range<usize>>,
}

/// The rows of a run of persons, as read: the reading thread only copies; building the
/// timelines (parsing details, choosing versions) happens on every core, in `timelines`.
#[derive(Default)]
struct RawChunk {
    text: String,
    events: Vec<RawEvent>,
    /// Each person and the range of `events` that are theirs.
    persons: Vec<(Uuid, Range<usize>)>,
}

impl RawChunk {
    fn push_text(&mut self, text: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(text);
        start..self.text.len()
    }

    fn timelines(&self, builder: &Builder) -> Vec<(Uuid, Timeline)> {
        let text = |r: &Range<usize>| self.text.get(r.clone()).unwrap_or_default();
        self.persons
            .par_iter()
            .map(|(person, range)| {
                let rows: Vec<EventRow<'_>> = self
                    .events
                    .get(range.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|e| EventRow {
                        id: e.id,
                        agency: e.agency,
                        record_key: text(&e.record_key),
                        version: e.version,
                        kind: e.kind,
                        on: e.on,
                        summary: text(&e.summary),
                        details: text(&e.details),
                        about: e.about.as_ref().map(text),
                    })
                    .collect();
                (*person, builder.timeline(*person, &rows))
            })
            .collect()
    }
}

/// What the reading thread sends: first the agencies and dates of birth, then the rows.
enum Message {
    Builder(Box<Builder>),
    Rows(RawChunk),
}

fn conversion(
    column: usize,
    t: rusqlite::types::Type,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, t, Box::new(e))
}

fn uuid(row: &Row<'_>, column: usize) -> rusqlite::Result<Uuid> {
    let bytes: &[u8] = row.get_ref(column)?.as_blob()?;
    Uuid::from_slice(bytes).map_err(|e| conversion(column, rusqlite::types::Type::Blob, e))
}

/// A date as sqlx stores it (`YYYY-MM-DD`), parsed by hand: `time`'s general parser was a
/// tenth of the reading thread's time.
fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let number = |r: Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

fn date(row: &Row<'_>, column: usize) -> rusqlite::Result<Option<Date>> {
    let Some(text) = row.get_ref(column)?.as_str_or_null()? else {
        return Ok(None);
    };
    parse_date(text).map(Some).ok_or_else(|| {
        rusqlite::Error::InvalidColumnType(
            column,
            format!("date {text:?}"),
            rusqlite::types::Type::Text,
        )
    })
}

fn builder(db: &Connection, tenant: &str) -> rusqlite::Result<Builder> {
    let mut agencies =
        db.prepare("SELECT id, kind, name, school_number FROM agencies WHERE tenant_code = ?1")?;
    let agencies = agencies
        .query_map([tenant], |r| {
            Ok((uuid(r, 0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut births =
        db.prepare("SELECT person_id, date_of_birth FROM source_records WHERE tenant_code = ?1")?;
    let births = births
        .query_map([tenant], |r| Ok((uuid(r, 0)?, date(r, 1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Builder::new(agencies, births))
}

/// Reads every event row of `tenant`, ordered by person, and gives them to `send` about
/// `chunk` persons at a time (the builder first); stops early if `send` returns false.
fn read(
    path: &std::path::Path,
    tenant: &str,
    with_summary: bool,
    chunk: usize,
    mut send: impl FnMut(Message) -> bool,
) -> rusqlite::Result<()> {
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    if !send(Message::Builder(Box::new(builder(&db, tenant)?))) {
        return Ok(());
    }
    let summary = if with_summary { "e.summary" } else { "''" };
    // The CROSS JOIN fixes the join order, as in the sqlx query (see alerts.rs).
    let mut statement = db.prepare(&format!(
        "SELECT s.person_id, e.id, e.agency_id, e.record_key, e.version, e.kind, e.occurred_on, \
         {summary}, e.details, e.about_school FROM source_records s CROSS JOIN events e \
         WHERE s.tenant_code = ?1 AND e.tenant_code = s.tenant_code AND e.source_record_id = s.id \
         ORDER BY s.person_id"
    ))?;
    let mut rows = statement.query([tenant])?;
    let mut raw = RawChunk::default();
    while let Some(row) = rows.next()? {
        let person = uuid(row, 0)?;
        if raw.persons.last().is_none_or(|(p, _)| *p != person) {
            if raw.persons.len() >= chunk && !send(Message::Rows(std::mem::take(&mut raw))) {
                return Ok(());
            }
            let at = raw.events.len();
            raw.persons.push((person, at..at));
        }
        // A kind this build does not know (a newer Harbour wrote it) is left out.
        let Ok(kind) = row.get_ref(5)?.as_str()?.parse::<EventKind>() else {
            continue;
        };
        let on = date(row, 6)?.ok_or_else(|| {
            rusqlite::Error::InvalidColumnType(6, "occurred_on".into(), rusqlite::types::Type::Null)
        })?;
        let event = RawEvent {
            id: uuid(row, 1)?,
            agency: uuid(row, 2)?,
            version: row.get(4)?,
            kind,
            on,
            record_key: raw.push_text(row.get_ref(3)?.as_str()?),
            summary: raw.push_text(row.get_ref(7)?.as_str()?),
            // Only the fields conditions can name are ever read from the details.
            details: if fields_of(kind).is_empty() {
                0..0
            } else {
                raw.push_text(row.get_ref(8)?.as_str()?)
            },
            about: row
                .get_ref(9)?
                .as_str_or_null()?
                .map(|number| raw.push_text(number)),
        };
        raw.events.push(event);
        let end = raw.events.len();
        if let Some((_, range)) = raw.persons.last_mut() {
            range.end = end;
        }
    }
    if !raw.persons.is_empty() {
        send(Message::Rows(raw));
    }
    Ok(())
}

/// Every timeline of `tenant` in the SQLite file at `path`, handed to `each` `chunk`
/// persons at a time. One thread reads; the caller's side builds each chunk's timelines on
/// every core and then calls `each`, while the next chunk is read.
pub(crate) async fn each_timeline_chunk(
    path: PathBuf,
    tenant: String,
    with_summary: bool,
    chunk: usize,
    mut each: impl FnMut(Vec<(Uuid, Timeline)>),
) -> Result<(), StoreError> {
    let (send, mut receive) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let reader = std::thread::Builder::new()
        .name("rules-reader".into())
        .spawn(move || {
            read(&path, &tenant, with_summary, chunk, |message| {
                // The receiver is gone only if the caller stopped: stop reading too.
                send.blocking_send(message).is_ok()
            })
        })
        .map_err(|e| StoreError::Reader(format!("could not start the reading thread: {e}")))?;
    // The builder comes first; if it does not, the reader failed and says why below.
    if let Some(Message::Builder(builder)) = receive.recv().await {
        while let Some(Message::Rows(raw)) = receive.recv().await {
            each(raw.timelines(&builder));
        }
    }
    drop(receive);
    reader
        .join()
        .map_err(|_| StoreError::Reader("the reading thread panicked".into()))?
        .map_err(|e| StoreError::Reader(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::parse_date;
    use time::macros::date;

    #[test]
    fn dates_parse_as_stored_and_nothing_else() {
        assert_eq!(parse_date("2021-03-09"), Some(date!(2021 - 03 - 09)));
        assert_eq!(parse_date("2024-02-29"), Some(date!(2024 - 02 - 29)));
        for bad in [
            "2023-02-29",
            "2021-13-01",
            "2021-3-09",
            "2021/03/09",
            "20x1-03-09",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
