//! A whole feed file, streamed: read in batches, each batch validated and stored in one
//! transaction. Memory stays flat however large the file. Re-running after a crash, or
//! re-sending the file, stores every row exactly once.

use harbour_domain::feeds::Feed;
use harbour_domain::{AgencyId, TenantCode};
use harbour_import::row::{Header, parse_row};
use harbour_import::{ImportCounts, ImportRow, QuarantineRow};
use harbour_store::{Store, StoreError};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Rows per transaction: large enough to amortise the commit, small enough that a crash
/// loses little work.
pub const BATCH_ROWS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}; nothing was imported")]
    Header { path: String, message: String },
    /// The file does not parse to its end (cut off, or broken part-way): nothing from it is
    /// stored.
    #[error("{path}: {message}; nothing was imported")]
    Broken { path: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `path` as `feed` from `agency`. `progress` is called after each batch with the
/// running counts.
#[allow(clippy::too_many_arguments)]
pub async fn import_file(
    store: &Store,
    tenant: &TenantCode,
    agency: AgencyId,
    feed: Feed,
    path: &Path,
    now: OffsetDateTime,
    progress: impl FnMut(&ImportCounts),
) -> Result<ImportCounts, FileError> {
    open_file(feed, path, now)?
        .store(store, tenant, agency, now, progress)
        .await
}

/// One file of a list [`import_files`] imports.
#[derive(Debug, Clone)]
pub struct FeedFile {
    pub agency: AgencyId,
    pub feed: Feed,
    pub path: PathBuf,
}

/// How far [`import_files`] has got: after each batch of a file, and when a file is done.
#[derive(Debug)]
pub enum Progress<'a> {
    Batch {
        file: &'a FeedFile,
        counts: &'a ImportCounts,
    },
    Done {
        file: &'a FeedFile,
        counts: &'a ImportCounts,
    },
}

/// Imports files one after another, each file's batches in order, exactly as
/// [`import_file`] would one at a time; but the next file is already being read while the
/// one before is stored. Most files of a county are one batch or a few, and without this the
/// store waits for each file's first batch to be parsed (a tenth of a PostgreSQL import).
/// Stops at the first file that fails; the files before it stay imported.
pub async fn import_files(
    store: &Store,
    tenant: &TenantCode,
    files: &[FeedFile],
    now: OffsetDateTime,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<ImportCounts, FileError> {
    let mut total = ImportCounts::default();
    let mut next = files.first().map(|f| open_file(f.feed, &f.path, now));
    for (index, file) in files.iter().enumerate() {
        let current = next.take().transpose()?;
        // Dropping an opened file (after an error) stops its parser at its next batch.
        next = files
            .get(index + 1)
            .map(|f| open_file(f.feed, &f.path, now));
        let Some(current) = current else { break };
        let counts = current
            .store(store, tenant, file.agency, now, |counts| {
                progress(Progress::Batch { file, counts });
            })
            .await?;
        progress(Progress::Done {
            file,
            counts: &counts,
        });
        total.add(counts);
    }
    Ok(total)
}

/// A feed file whose rows are being read and checked on a thread of its own, a batch ahead
/// of the store.
#[derive(Debug)]
struct OpenedFile {
    feed: Feed,
    file_name: String,
    parsed: tokio::sync::mpsc::Receiver<Result<Parsed, FileError>>,
}

impl OpenedFile {
    /// Stores every batch as it is parsed, each in one transaction. `progress` is called
    /// after each batch with the running counts.
    async fn store(
        self,
        store: &Store,
        tenant: &TenantCode,
        agency: AgencyId,
        now: OffsetDateTime,
        progress: impl FnMut(&ImportCounts),
    ) -> Result<ImportCounts, FileError> {
        Batches::new(
            store,
            tenant,
            agency,
            self.feed,
            self.file_name,
            now,
            progress,
        )
        .store_all(self.parsed)
        .await
    }
}

/// Opens `path` as `feed` and starts reading it. A file whose header is wrong fails here,
/// before anything is stored. `now` dates the import (no date of birth may follow it).
fn open_file(feed: Feed, path: &Path, now: OffsetDateTime) -> Result<OpenedFile, FileError> {
    if feed.is_xml() {
        return open_ctf(path, now);
    }
    let shown = path.display().to_string();
    let file_name = path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let read_error = |message: String| FileError::Read {
        path: shown.clone(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| read_error(e.to_string()))?;
    let header_bytes = reader
        .byte_headers()
        .map_err(|e| read_error(e.to_string()))?
        .clone();
    let header_record =
        csv::StringRecord::from_byte_record(header_bytes).map_err(|_| FileError::Header {
            path: shown.clone(),
            message: "the header is not UTF-8 text".into(),
        })?;
    let header = Header::check(feed, &header_record).map_err(|message| FileError::Header {
        path: shown.clone(),
        message,
    })?;
    let today = now.date();
    // A file cut off in transfer ends part-way through its last row; CSV readers take such a
    // row (even an unterminated quote) as complete, so a missing final newline marks a file
    // whose last row must be looked at before anything from it is stored.
    let unterminated = ends_without_newline(path).map_err(|e| read_error(e.to_string()))?;
    let fields = header_record.len();
    let whole_path = path.to_owned();
    let parsed = spawn_parser(move |sink| {
        if unterminated {
            // Read once to the end before the first batch is stored (a batch is committed as
            // soon as it arrives): a file cut off part-way through a row stores nothing, as a
            // cut-off Common Transfer File stores nothing.
            let cut = cut_off_row(&whole_path, fields).map_err(|e| FileError::Read {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            if let Some((line, why)) = cut {
                return Err(FileError::Broken {
                    path: shown.clone(),
                    message: format!(
                        "the file ends part-way through the row at line {line} ({why}): it looks cut off; send the whole file again"
                    ),
                });
            }
        }
        // One record is held back, so that when the next read finds nothing we know it was
        // the last (which a truncated file leaves incomplete).
        let mut pending: Option<csv::ByteRecord> = None;
        loop {
            let mut record = csv::ByteRecord::new();
            let more = match reader.read_byte_record(&mut record) {
                Ok(more) => more,
                Err(error) => {
                    let line = error.position().map_or(0, csv::Position::line);
                    sink.rejected.push(broken(
                        line,
                        &record,
                        format!("the row cannot be read as CSV: {error}"),
                    ));
                    false
                }
            };
            if let Some(previous) = pending.take() {
                let line = previous.position().map_or(0, csv::Position::line);
                if previous.len() != header_record.len() {
                    let reason = format!(
                        "the row has {} fields; the header has {}",
                        previous.len(),
                        header_record.len()
                    );
                    sink.rejected.push(broken(line, &previous, reason));
                } else {
                    match csv::StringRecord::from_byte_record(previous.clone()) {
                        Ok(text) => match parse_row(&header, &text, line, today) {
                            Ok(row) => sink.rows.push(row),
                            Err(q) => sink.rejected.push(*q),
                        },
                        Err(_) => {
                            let reason = "the row is not UTF-8 text; export the file as UTF-8";
                            sink.rejected.push(broken(line, &previous, reason.into()));
                        }
                    }
                }
            }
            if !sink.send_if_full() || !more {
                return Ok(());
            }
            pending = Some(record);
        }
    });
    Ok(OpenedFile {
        feed,
        file_name,
        parsed,
    })
}

/// For a file that ends without a newline, whether its last row was cut off: it has fewer
/// fields than the header's `fields`, or a quoted field that is never closed (an odd number
/// of quotes from the row's start to the end of the file: quotes in a whole row come in
/// pairs). Gives the line the row starts on and why. A last row that is whole but has no
/// final newline is not cut off: many exporters write files that way, and its fields are
/// checked like any other row's.
fn cut_off_row(path: &Path, fields: usize) -> std::io::Result<Option<(u64, String)>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(std::io::Error::other)?;
    let mut record = csv::ByteRecord::new();
    let mut last: Option<(usize, csv::Position)> = None;
    // A row that cannot be read at all stops the look; the import then quarantines it.
    while let Ok(true) = reader.read_byte_record(&mut record) {
        if let Some(position) = record.position() {
            last = Some((record.len(), position.clone()));
        }
    }
    let Some((found, position)) = last else {
        return Ok(None);
    };
    if found < fields {
        return Ok(Some((
            position.line(),
            format!("the row has {found} fields; the header has {fields}"),
        )));
    }
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(position.byte()))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    if tail.iter().filter(|b| **b == b'"').count() % 2 == 1 {
        return Ok(Some((
            position.line(),
            "a quoted field is never closed".into(),
        )));
    }
    Ok(None)
}

/// Whether the file's last byte is something other than a newline (an empty file is fine).
fn ends_without_newline(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let length = file.seek(SeekFrom::End(0))?;
    if length == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// One batch as parsed: valid rows and rejected ones.
#[derive(Debug, Default)]
struct Parsed {
    rows: Vec<ImportRow>,
    rejected: Vec<QuarantineRow>,
}

/// The parser's side of the pipeline: rows gather here and go to the store in batches.
struct Sink {
    batch: Parsed,
    to_store: tokio::sync::mpsc::Sender<Result<Parsed, FileError>>,
}

impl std::ops::Deref for Sink {
    type Target = Parsed;
    fn deref(&self) -> &Parsed {
        &self.batch
    }
}

impl std::ops::DerefMut for Sink {
    fn deref_mut(&mut self) -> &mut Parsed {
        &mut self.batch
    }
}

impl Sink {
    /// Hands the batch to the store once it holds `BATCH_ROWS` rows. False when the store
    /// has stopped (it failed), so the parser should stop too.
    fn send_if_full(&mut self) -> bool {
        if self.batch.rows.len() + self.batch.rejected.len() < BATCH_ROWS {
            return true;
        }
        self.send()
    }

    fn send(&mut self) -> bool {
        let batch = std::mem::take(&mut self.batch);
        self.to_store.blocking_send(Ok(batch)).is_ok()
    }
}

/// Runs `parse` on a thread of its own, so that the next batch is parsed while the store
/// writes the last one (otherwise they take turns, and against a database server parsing
/// is a large share of an import). The channel holds one batch: memory stays flat.
fn spawn_parser(
    parse: impl FnOnce(&mut Sink) -> Result<(), FileError> + Send + 'static,
) -> tokio::sync::mpsc::Receiver<Result<Parsed, FileError>> {
    let (to_store, parsed) = tokio::sync::mpsc::channel(1);
    std::thread::spawn(move || {
        let mut sink = Sink {
            batch: Parsed::default(),
            to_store,
        };
        match parse(&mut sink) {
            Ok(()) => {
                sink.send();
            }
            Err(error) => {
                // The store stops at the error; the batch it interrupted is not sent.
                let _ = sink.to_store.blocking_send(Err(error));
            }
        }
    });
    parsed
}

/// Parsed batches stored as they arrive, each in one transaction.
struct Batches<'a, P: FnMut(&ImportCounts)> {
    store: &'a Store,
    tenant: &'a TenantCode,
    agency: AgencyId,
    feed: Feed,
    file_name: String,
    now: OffsetDateTime,
    total: ImportCounts,
    progress: P,
}

impl<'a, P: FnMut(&ImportCounts)> Batches<'a, P> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        store: &'a Store,
        tenant: &'a TenantCode,
        agency: AgencyId,
        feed: Feed,
        file_name: String,
        now: OffsetDateTime,
        progress: P,
    ) -> Self {
        Self {
            store,
            tenant,
            agency,
            feed,
            file_name,
            now,
            total: ImportCounts::default(),
            progress,
        }
    }

    /// Stores every batch the parser sends and gives the counts for the whole file.
    async fn store_all(
        mut self,
        mut parsed: tokio::sync::mpsc::Receiver<Result<Parsed, FileError>>,
    ) -> Result<ImportCounts, FileError> {
        while let Some(batch) = parsed.recv().await {
            let batch = batch?;
            if batch.rows.is_empty() && batch.rejected.is_empty() {
                continue;
            }
            let counts = self
                .store
                .import_batch(
                    self.tenant,
                    self.agency,
                    self.feed.as_str(),
                    &self.file_name,
                    &batch.rows,
                    &batch.rejected,
                    self.now,
                )
                .await?;
            self.total.add(counts);
            (self.progress)(&self.total);
        }
        Ok(self.total)
    }
}

/// A quarantine entry for a row that could not be read as a whole.
fn broken(line: u64, record: &csv::ByteRecord, reason: String) -> QuarantineRow {
    QuarantineRow {
        line,
        record_key: String::from_utf8_lossy(record.get(0).unwrap_or_default())
            .chars()
            .take(64)
            .collect(),
        event_key: String::new(),
        field: "(row)".into(),
        value: String::new(),
        reason,
        raw: String::from_utf8_lossy(record.as_slice())
            .chars()
            .take(2_000)
            .collect(),
    }
}

/// Opens a Common Transfer File: pupils are read one at a time and stored in batches.
/// A file that does not parse to its end (a DTD, not a CTF, broken XML, cut off part-way)
/// stores nothing: the parser's thread reads the whole file once without keeping anything
/// ([`harbour_import::ctf::check`]) before it hands the store the first batch, since a batch
/// is committed as soon as it arrives, long before the tail of a large file is read.
fn open_ctf(path: &Path, now: OffsetDateTime) -> Result<OpenedFile, FileError> {
    use harbour_import::ctf::{CtfReader, Next};
    let shown = path.display().to_string();
    let file_name = path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let open = {
        let shown = shown.clone();
        let path = path.to_owned();
        move || {
            std::fs::File::open(&path)
                .map(std::io::BufReader::new)
                .map_err(|e| FileError::Read {
                    path: shown.clone(),
                    message: e.to_string(),
                })
        }
    };
    // Fails here when the file cannot be opened at all.
    let first = open()?;
    let today = now.date();
    let parsed = spawn_parser(move |sink| {
        let broken = |error: harbour_import::ctf::CtfError| FileError::Broken {
            path: shown.clone(),
            message: error.to_string(),
        };
        harbour_import::ctf::check(first, today).map_err(broken)?;
        let mut reader = CtfReader::new(open()?, today);
        loop {
            match reader.next_pupil().map_err(broken)? {
                Next::Pupil(Ok(pupil_rows)) => sink.rows.extend(pupil_rows),
                Next::Pupil(Err(q)) => sink.rejected.push(*q),
                Next::End => return Ok(()),
            }
            if !sink.send_if_full() {
                return Ok(());
            }
        }
    });
    Ok(OpenedFile {
        feed: Feed::SchoolCtf,
        file_name,
        parsed,
    })
}
