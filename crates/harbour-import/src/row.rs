//! One feed row to an identity and an event, or a reason it cannot be accepted.

use crate::rows::{FeedEvent, FeedIdentity, ImportRow, QuarantineRow};
use crate::values::{self, MAX_KEY, MAX_NAME, MAX_TEXT};
use harbour_domain::feeds::{EXCLUSION_REASONS, Feed};
use harbour_domain::{EventKind, Handling, NhsNumber, Postcode, Upn};
use serde_json::json;
use std::collections::HashMap;
use time::Date;

/// A feed file's header, checked against the feed's layout.
#[derive(Debug, Clone)]
pub struct Header {
    feed: Feed,
    index: HashMap<&'static str, usize>,
}

impl Header {
    /// Checks that every column the feed needs is present (in any order; extra columns are
    /// ignored) and names the first one missing.
    pub fn check(feed: Feed, header: &csv::StringRecord) -> Result<Self, String> {
        let mut index = HashMap::new();
        for column in feed.columns() {
            let position = header
                .iter()
                .position(|h| {
                    h.trim()
                        .trim_start_matches('\u{feff}')
                        .eq_ignore_ascii_case(column)
                })
                .ok_or_else(|| {
                    format!("the header has no {column:?} column, which the {feed} feed needs")
                })?;
            index.insert(*column, position);
        }
        for column in feed.optional_columns() {
            if let Some(position) = header.iter().position(|h| {
                h.trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(column)
            }) {
                index.insert(*column, position);
            }
        }
        Ok(Self { feed, index })
    }

    pub fn feed(&self) -> Feed {
        self.feed
    }
}

pub(crate) struct Row<'a> {
    header: &'a Header,
    record: &'a csv::StringRecord,
}

/// A refused row: the field, the value (cut short) and the reason.
pub(crate) type Problem = (&'static str, String, String);

impl Row<'_> {
    pub(crate) fn raw(&self, column: &'static str) -> &str {
        self.header
            .index
            .get(column)
            .and_then(|i| self.record.get(*i))
            .unwrap_or("")
    }

    pub(crate) fn fail(&self, column: &'static str, reason: impl Into<String>) -> Problem {
        (
            column,
            self.raw(column).chars().take(200).collect(),
            reason.into(),
        )
    }

    pub(crate) fn text(&self, column: &'static str, max: usize) -> Result<Option<String>, Problem> {
        values::text(self.raw(column), max)
            .map_err(|reason| self.fail(column, format!("{column} {reason}")))
    }

    pub(crate) fn required(&self, column: &'static str, max: usize) -> Result<String, Problem> {
        self.text(column, max)?
            .ok_or_else(|| self.fail(column, format!("{column} is required")))
    }

    fn date(&self, column: &'static str) -> Result<Date, Problem> {
        let value = self.required(column, 20)?;
        values::date(&value).map_err(|reason| self.fail(column, reason))
    }

    fn optional_date(&self, column: &'static str) -> Result<Option<Date>, Problem> {
        match self.text(column, 20)? {
            Some(value) => values::date(&value)
                .map(Some)
                .map_err(|reason| self.fail(column, reason)),
            None => Ok(None),
        }
    }

    fn number(&self, column: &'static str) -> Result<u32, Problem> {
        let value = self.required(column, 12)?;
        values::whole_number(&value).map_err(|reason| self.fail(column, reason))
    }

    pub(crate) fn choice<'c>(
        &self,
        column: &'static str,
        allowed: &[&'c str],
    ) -> Result<&'c str, Problem> {
        let value = self.required(column, 40)?.to_lowercase();
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(&value))
            .copied()
            .ok_or_else(|| {
                self.fail(
                    column,
                    format!("{column} {value:?} is not one of: {}", allowed.join(", ")),
                )
            })
    }
}

/// Reads one row given as column → value (as the JSON feed sends it). Missing columns are
/// empty; unknown ones are ignored. `line` is the row's position in the submission.
pub fn parse_fields(
    feed: Feed,
    fields: &std::collections::BTreeMap<String, String>,
    line: u64,
    today: Date,
) -> Result<ImportRow, Box<QuarantineRow>> {
    let columns = || feed.columns().iter().chain(feed.optional_columns());
    let header = Header {
        feed,
        index: columns().enumerate().map(|(i, c)| (*c, i)).collect(),
    };
    let record: csv::StringRecord = columns()
        .map(|c| fields.get(*c).map_or("", String::as_str))
        .collect();
    parse_row(&header, &record, line, today)
}

/// Reads one row. `line` is the row's line in the file (for messages); `today` bounds dates.
pub fn parse_row(
    header: &Header,
    record: &csv::StringRecord,
    line: u64,
    today: Date,
) -> Result<ImportRow, Box<QuarantineRow>> {
    let row = Row { header, record };
    let raw = record
        .iter()
        .collect::<Vec<_>>()
        .join(",")
        .chars()
        .take(2_000)
        .collect::<String>();
    let record_key = row
        .raw("record_key")
        .trim()
        .chars()
        .take(MAX_KEY)
        .collect::<String>();
    let event_key = row
        .raw("event_key")
        .trim()
        .chars()
        .take(MAX_KEY)
        .collect::<String>();
    parse(&row, header.feed, today)
        .map(|(identity, event)| ImportRow::new(line, identity, event))
        .map_err(|(field, value, reason)| {
            Box::new(QuarantineRow {
                line,
                record_key,
                event_key,
                field: field.to_owned(),
                value,
                reason,
                raw,
            })
        })
}

fn parse(row: &Row<'_>, feed: Feed, today: Date) -> Result<(FeedIdentity, FeedEvent), Problem> {
    let identity = identity(row, feed, today)?;
    let event_key = row.required("event_key", MAX_KEY)?;
    let (kind, occurred_on, mut summary, mut details) = match feed {
        Feed::SchoolCtf => {
            return Err(row.fail(
                "record_key",
                "the Common Transfer File is XML: import it as a file",
            ));
        }
        Feed::SchoolRoll => {
            let kind = match row.choice("type", &["joined", "left"])? {
                "joined" => EventKind::SchoolEnrolment,
                _ => EventKind::SchoolLeaving,
            };
            (kind, row.date("date")?, kind.label().to_owned(), json!({}))
        }
        Feed::SchoolAttendance => {
            let start = row.date("period_start")?;
            let end = row.date("period_end")?;
            if end < start {
                return Err(row.fail("period_end", "period_end is before period_start"));
            }
            let possible = row.number("sessions_possible")?;
            let attended = row.number("sessions_attended")?;
            if possible == 0 {
                return Err(row.fail("sessions_possible", "sessions_possible must be more than 0"));
            }
            if attended > possible {
                return Err(row.fail(
                    "sessions_attended",
                    format!(
                        "sessions_attended ({attended}) is more than sessions_possible ({possible})"
                    ),
                ));
            }
            let percent = f64::from(attended) * 100.0 / f64::from(possible);
            let summary =
                format!("Attended {percent:.1}% of {possible} sessions, {start} to {end}");
            let details = json!({ "period_start": start.to_string(), "sessions_possible": possible, "sessions_attended": attended, "percent": (percent * 10.0).round() / 10.0 });
            (EventKind::AttendanceSummary, end, summary, details)
        }
        Feed::SchoolExclusions => {
            let category = row.choice("category", &["SUSP", "PERM"])?;
            let code = row.required("reason", 4)?.to_uppercase();
            let Some((_, reason)) = EXCLUSION_REASONS.iter().find(|(c, _)| *c == code) else {
                return Err(row.fail(
                    "reason",
                    format!("{code:?} is not a DfE exclusion reason code"),
                ));
            };
            let start = row.date("start_date")?;
            if category == "SUSP" {
                let sessions = row.number("sessions")?;
                if sessions == 0 || sessions > 90 {
                    return Err(row.fail(
                        "sessions",
                        "a suspension lasts 1 to 90 sessions (45 school days in a year)",
                    ));
                }
                let summary = format!("Suspended for {sessions} sessions: {reason} ({code})");
                (
                    EventKind::Suspension,
                    start,
                    summary,
                    json!({ "reason": code, "sessions": sessions }),
                )
            } else {
                let summary = format!("Permanently excluded: {reason} ({code})");
                (
                    EventKind::PermanentExclusion,
                    start,
                    summary,
                    json!({ "reason": code }),
                )
            }
        }
        Feed::LaEducation => {
            let kind = match row.choice(
                "type",
                &[
                    "ehe_start",
                    "ehe_end",
                    "cme_start",
                    "cme_end",
                    "ap_placement",
                    "fair_access",
                ],
            )? {
                "ehe_start" => EventKind::EheRegistration,
                "ehe_end" => EventKind::EheEnd,
                "cme_start" => EventKind::CmeStart,
                "cme_end" => EventKind::CmeEnd,
                "ap_placement" => EventKind::AlternativeProvision,
                _ => EventKind::FairAccessPlacement,
            };
            let summary = row
                .text("detail", MAX_TEXT)?
                .unwrap_or_else(|| kind.label().to_owned());
            (kind, row.date("date")?, summary, json!({}))
        }
        Feed::Police => {
            let kinds = [
                "caution",
                "arrest",
                "charge",
                "missing",
                "victim",
                "rui_start",
                "rui_end",
                "stop_search",
                "intelligence",
                "mace_referral",
            ];
            let kind = match row.choice("type", &kinds)? {
                "caution" => EventKind::Caution,
                "arrest" => EventKind::Arrest,
                "charge" => EventKind::Charge,
                "missing" => EventKind::MissingEpisode,
                "victim" => EventKind::VictimOfCrime,
                "rui_start" => EventKind::RuiStart,
                "rui_end" => EventKind::RuiEnd,
                "stop_search" => EventKind::StopAndSearch,
                "mace_referral" => EventKind::MaceReferral,
                _ => EventKind::IntelligenceReport,
            };
            let offence = row.text("offence", MAX_TEXT)?;
            if kind == EventKind::IntelligenceReport {
                let grading = grading(&row.required("grading", 12)?).ok_or_else(|| {
                    row.fail("grading", "grading must be a 3x5x2 grade: source 1-3, intelligence A-E, handling P or C (e.g. 2/B/P)")
                })?;
                let summary = format!(
                    "Intelligence (3x5x2 {grading}): {}",
                    offence.unwrap_or_default()
                );
                (
                    kind,
                    row.date("date")?,
                    summary,
                    json!({ "grading": grading }),
                )
            } else {
                let summary = match &offence {
                    Some(offence) => format!("{}: {offence}", kind.label()),
                    None => kind.label().to_owned(),
                };
                // The offence as recorded, for rules to test (a blade, drug supply).
                let details = match offence {
                    Some(offence) => json!({ "offence": offence }),
                    None => json!({}),
                };
                (kind, row.date("date")?, summary, details)
            }
        }
        Feed::SocialCare => {
            let kinds = [
                "contact",
                "referral",
                "assessment",
                "cin_plan",
                "cp_start",
                "cp_end",
                "lac_start",
                "lac_end",
                "mace_referral",
                "mace_closed",
                "transition_plan",
            ];
            let kind = match row.choice("type", &kinds)? {
                "contact" => EventKind::SocialCareContact,
                "referral" => EventKind::SocialCareReferral,
                "assessment" => EventKind::Assessment,
                "cin_plan" => EventKind::ChildInNeedPlan,
                "cp_start" => EventKind::ChildProtectionPlanStart,
                "cp_end" => EventKind::ChildProtectionPlanEnd,
                "lac_start" => EventKind::LookedAfterStart,
                "lac_end" => EventKind::LookedAfterEnd,
                "mace_referral" => EventKind::MaceReferral,
                "mace_closed" => EventKind::MaceCaseClosed,
                _ => EventKind::TransitionPlan,
            };
            (kind, row.date("date")?, kind.label().to_owned(), json!({}))
        }
        Feed::Health => {
            row.choice("type", &["ed_attendance"])?;
            let reason = row.choice(
                "reason",
                &["illness", "injury", "assault", "self_harm", "other"],
            )?;
            let summary = format!(
                "Emergency department attendance: {}",
                reason.replace('_', " ")
            );
            (
                EventKind::EmergencyAttendance,
                row.date("date")?,
                summary,
                json!({ "reason": reason }),
            )
        }
        Feed::YouthJustice => {
            let kind = match row.choice("type", &["order", "intervention", "mace_referral"])? {
                "order" => EventKind::YouthJusticeOrder,
                "mace_referral" => EventKind::MaceReferral,
                _ => EventKind::YouthJusticeIntervention,
            };
            let summary = row
                .text("detail", MAX_TEXT)?
                .unwrap_or_else(|| kind.label().to_owned());
            (kind, row.date("date")?, summary, json!({}))
        }
    };
    crate::details::read(row, feed, kind, &mut summary, &mut details)?;
    let detail = row.text("detail", MAX_TEXT)?;
    let handling = handling_for(row, feed, kind, detail.as_deref())?;
    let date_column = match feed {
        Feed::SchoolAttendance => "period_end",
        Feed::SchoolExclusions => "start_date",
        _ => "date",
    };
    if occurred_on > today {
        return Err(row.fail(
            date_column,
            format!("{date_column} {occurred_on} is in the future"),
        ));
    }
    if let Some(born) = identity.date_of_birth {
        if occurred_on < born {
            return Err(row.fail(
                date_column,
                format!("{date_column} {occurred_on} is before the date of birth {born}"),
            ));
        }
        // Children's services hold records of children and young adults; police also of adults.
        if feed != Feed::Police && (occurred_on - born).whole_days() > 25 * 366 {
            return Err(row.fail(
                "date_of_birth",
                format!("date_of_birth {born} is more than 25 years before the event"),
            ));
        }
    }
    Ok((
        identity,
        FeedEvent {
            event_key,
            kind,
            occurred_on,
            handling,
            summary,
            details,
            // A feed row is always the agency's own record.
            about_school: None,
        },
    ))
}

fn identity(row: &Row<'_>, feed: Feed, today: Date) -> Result<FeedIdentity, Problem> {
    let record_key = row.required("record_key", MAX_KEY)?;
    let given_name = row.text("given_name", MAX_NAME)?.unwrap_or_default();
    let family_name = row.required("family_name", MAX_NAME)?;
    let date_of_birth = row.optional_date("date_of_birth")?;
    if feed != Feed::Police && date_of_birth.is_none() {
        return Err(row.fail("date_of_birth", "date_of_birth is required"));
    }
    if let Some(born) = date_of_birth.filter(|born| *born > today) {
        return Err(row.fail(
            "date_of_birth",
            format!("date_of_birth {born} is in the future"),
        ));
    }
    let sex = match row.text("sex", 10)?.map(|s| s.to_uppercase()) {
        None => None,
        Some(s) if ["M", "F", "U", "X"].contains(&s.as_str()) => Some(s),
        Some(s) => return Err(row.fail("sex", format!("sex {s:?} is not M, F, U or X"))),
    };
    let postcode = match row.text("postcode", 10)? {
        Some(value) => {
            Some(Postcode::parse(&value).map_err(|e| row.fail("postcode", e.to_string()))?)
        }
        None => None,
    };
    let upn = if feed.columns().contains(&"upn") {
        match row.text("upn", 16)? {
            Some(value) => Some(
                Upn::parse(&value).map_err(|e| row.fail("upn", format!("upn {value:?}: {e}")))?,
            ),
            None => None,
        }
    } else {
        None
    };
    let nhs_number = if feed.columns().contains(&"nhs_number") {
        match row.text("nhs_number", 16)? {
            Some(value) => Some(
                NhsNumber::parse(&value)
                    .map_err(|e| row.fail("nhs_number", format!("nhs_number {value:?}: {e}")))?,
            ),
            None => None,
        }
    } else {
        None
    };
    let alias = if feed.columns().contains(&"alias") {
        row.text("alias", MAX_NAME)?
    } else {
        None
    };
    if feed == Feed::Health && nhs_number.is_none() {
        return Err(row.fail("nhs_number", "nhs_number is required in the health feed"));
    }
    Ok(FeedIdentity {
        record_key,
        given_name,
        family_name,
        date_of_birth,
        sex,
        postcode,
        upn,
        nhs_number,
        alias,
    })
}

/// The row's handling marker: the sender's, from the optional `handling` column, or the
/// feed's default ([`Feed::default_handling`]). Police intelligence stays police intelligence.
fn handling_for(
    row: &Row<'_>,
    feed: Feed,
    kind: EventKind,
    detail: Option<&str>,
) -> Result<Handling, Problem> {
    let default = feed.default_handling(kind, detail);
    let Some(value) = row.text("handling", 40)? else {
        return Ok(default);
    };
    let handling: Handling = value.to_lowercase().parse().map_err(|_| {
        row.fail(
            "handling",
            format!(
                "handling {value:?} is not a handling marker; use one of: {}",
                Handling::ALL
                    .iter()
                    .map(|h| h.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    if default == Handling::PoliceIntelligence && handling != default {
        return Err(row.fail(
            "handling",
            "police intelligence is always handled as police_intelligence",
        ));
    }
    Ok(handling)
}

/// A 3x5x2 grade in any common spelling ("2/B/P", "2B P", "2 B P") as "2/B/P".
fn grading(text: &str) -> Option<String> {
    let compact: Vec<char> = text.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    match compact.as_slice() {
        [source @ '1'..='3', assessment, handling] => {
            let assessment = assessment.to_ascii_uppercase();
            let handling = handling.to_ascii_uppercase();
            (('A'..='E').contains(&assessment) && matches!(handling, 'P' | 'C'))
                .then(|| format!("{source}/{assessment}/{handling}"))
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "row_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "details_tests.rs"]
mod details_tests;

/// One JSON feed row: column name → value, as the feed API takes it. A row that names a
/// column twice is refused (a map would keep the last and silently drop the first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(std::collections::BTreeMap<String, String>);

impl std::ops::Deref for Fields {
    type Target = std::collections::BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a row: an object of column names to text values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut fields = std::collections::BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    if fields.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!(
                            "the row names the column {key:?} more than once; send each column once"
                        )));
                    }
                    fields.insert(key, value);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}
