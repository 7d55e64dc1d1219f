//! The plain rows a feed import produces: an identity and an event for each valid row, a
//! quarantine entry for each refused one, and the counts of what storing them did. Defined
//! here, beside the parser that makes them, so the parser needs no database; the store takes
//! them as its input (`Store::import_batch`).

use harbour_domain::{EventKind, Handling, NhsNumber, Postcode, SchoolNumber, Upn};
use serde::Serialize;
use time::{Date, OffsetDateTime};

/// One agency's identity record of a person, as a feed row states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedIdentity {
    pub record_key: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    pub postcode: Option<Postcode>,
    pub upn: Option<Upn>,
    pub nhs_number: Option<NhsNumber>,
    /// Another name the person uses (the police feed's `alias` column), linked as one of
    /// their names.
    pub alias: Option<String>,
}

/// One event, as a feed row states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// The agency's own key for the event; re-sending it is idempotent.
    pub event_key: String,
    pub kind: EventKind,
    pub occurred_on: Date,
    pub handling: Handling,
    pub summary: String,
    pub details: serde_json::Value,
    /// For history a school's transfer file gives about another school (a stint at an
    /// earlier school, that school's attendance), the school it describes: the event is the
    /// sender's report about that school, not the sender's own record. `None` for an
    /// agency's own record.
    pub about_school: Option<SchoolNumber>,
}

/// A valid feed row, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line: u64,
    pub identity: FeedIdentity,
    pub event: FeedEvent,
    /// What the row says about its event, hashed: equal hashes mean nothing changed. Made
    /// with the row, so a pipelined import hashes on its parsing thread.
    content_hash: String,
    /// The details as stored (JSON text), written once for the hash and the store.
    details_text: String,
}

impl ImportRow {
    pub fn new(line: u64, identity: FeedIdentity, event: FeedEvent) -> Self {
        use sha2::{Digest, Sha256};
        let details_text = event.details.to_string();
        let text = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{details_text}",
            event.kind.as_str(),
            event.occurred_on,
            event.handling.as_str(),
            event.summary,
        );
        // Which school a report describes is part of what it says; an agency's own record
        // hashes as it always has, so upgrading changes none of their hashes.
        let text = match &event.about_school {
            Some(school) => format!("{text}\u{1f}about {school}"),
            None => text,
        };
        let content_hash = hex::encode(Sha256::digest(text.as_bytes()));
        Self {
            line,
            identity,
            event,
            content_hash,
            details_text,
        }
    }

    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The event's details as stored: JSON text.
    pub fn details_text(&self) -> &str {
        &self.details_text
    }
}

/// A row that could not be accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineRow {
    pub line: u64,
    pub record_key: String,
    /// The row's event key, when it had one: a later accepted row with the same key closes
    /// the entry.
    pub event_key: String,
    pub field: String,
    pub value: String,
    pub reason: String,
    /// The row as it arrived (cut to a sensible length), so it can be corrected and resent.
    pub raw: String,
}

/// What importing one batch (or a whole file) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Rows read from the file.
    pub read: u64,
    /// New events stored.
    pub accepted: u64,
    /// Corrected events stored as a new version of an earlier one.
    pub superseded: u64,
    /// Rows already stored exactly as sent: nothing changed.
    pub duplicate: u64,
    /// Rows put in the quarantine with their reason.
    pub rejected: u64,
}

impl ImportCounts {
    pub fn add(&mut self, other: ImportCounts) {
        self.read += other.read;
        self.accepted += other.accepted;
        self.superseded += other.superseded;
        self.duplicate += other.duplicate;
        self.rejected += other.rejected;
    }
}

/// A quarantined row as its agency sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineEntry {
    pub id: uuid::Uuid,
    pub agency_code: String,
    pub feed: String,
    pub file_name: String,
    pub line: i64,
    pub record_key: String,
    pub field: String,
    pub value: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}
