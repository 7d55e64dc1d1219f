//! The optional detail columns of the CSV feeds and the JSON API (`Feed::optional_columns`):
//! where a leaver went and their year group, why a child was referred to social care and by
//! whom, who referred to MACE, how long a missing episode lasted and where the child was
//! found, what a stop and search led to, how bad an injury was, and who provides an
//! alternative-provision placement for how many hours a week. Each is read into the
//! event's details under its column's name, so rule conditions can test it
//! (`harbour-rules`' `fields_of` lists them), and added to the summary so the timeline shows
//! it. A row that leaves them out reads exactly as before; a value outside its code list, or
//! a column on a row it does not belong to, refuses the row naming the column.

use crate::row::{Problem, Row};
use crate::values::{self, MAX_TEXT};
use harbour_domain::EventKind;
use harbour_domain::SchoolNumber;
use harbour_domain::feed_codes::{
    self, DESTINATIONS, FAIR_ACCESS_RESPONSES, INJURY_SEVERITIES, REFERRAL_REASONS, REFERRERS,
    STOP_SEARCH_OUTCOMES,
};
use harbour_domain::feeds::Feed;
use serde_json::{Map, Value};

/// The longest missing episode accepted, in hours (a year): a longer one is a typing error.
const MAX_MISSING_HOURS: u32 = 8_760;

/// Reads `feed`'s optional detail columns for a `kind` event into `details` and `summary`.
pub(crate) fn read(
    row: &Row<'_>,
    feed: Feed,
    kind: EventKind,
    summary: &mut String,
    details: &mut Value,
) -> Result<(), Problem> {
    let mut found = Map::new();
    let mut notes: Vec<String> = Vec::new();
    match feed {
        Feed::SchoolRoll => {
            let leaving = kind == EventKind::SchoolLeaving;
            if let Some(code) = code(row, "destination", DESTINATIONS, leaving, "a left row")? {
                notes.push(feed_codes::meaning(DESTINATIONS, code).to_owned());
                found.insert("destination".into(), code.into());
            }
            if let Some(text) = row.text("year_group", 10)? {
                let year = values::curriculum_year(&text)
                    .map_err(|reason| row.fail("year_group", format!("year_group {reason}")))?;
                if let Some(year) = year {
                    notes.push(format!("in {}", values::curriculum_year_words(year)));
                    found.insert("year_group".into(), year.into());
                }
            }
        }
        Feed::SocialCare => {
            let referral = kind == EventKind::SocialCareReferral;
            let mace = kind == EventKind::MaceReferral;
            if let Some(code) = code(
                row,
                "referral_reason",
                REFERRAL_REASONS,
                referral,
                "a referral row",
            )? {
                notes.push(format!(
                    "for {}",
                    feed_codes::meaning(REFERRAL_REASONS, code)
                ));
                found.insert("referral_reason".into(), code.into());
            }
            referrer(
                row,
                referral || mace,
                "a referral or mace_referral row",
                mace.then_some("social_care"),
                &mut found,
                &mut notes,
            )?;
        }
        Feed::Police => {
            let mace = kind == EventKind::MaceReferral;
            referrer(
                row,
                mace,
                "a mace_referral row",
                mace.then_some("police"),
                &mut found,
                &mut notes,
            )?;
            let missing = kind == EventKind::MissingEpisode;
            if let Some(text) = only(row, "missing_hours", 12, missing, "a missing row")? {
                let hours = values::whole_number(&text).map_err(|reason| {
                    row.fail("missing_hours", format!("missing_hours {reason}"))
                })?;
                if hours > MAX_MISSING_HOURS {
                    return Err(row.fail(
                        "missing_hours",
                        format!("missing_hours {hours} is more than {MAX_MISSING_HOURS} (a year)"),
                    ));
                }
                notes.push(format!("missing {hours} hours"));
                found.insert("missing_hours".into(), hours.into());
            }
            if let Some(text) = only(row, "found_out_of_area", 10, missing, "a missing row")? {
                let out_of_area = yes_or_no(&text).ok_or_else(|| {
                    row.fail(
                        "found_out_of_area",
                        format!("found_out_of_area {text:?} is not yes or no (or true or false)"),
                    )
                })?;
                notes.push(if out_of_area {
                    "found out of area".into()
                } else {
                    "found in the area".into()
                });
                found.insert("found_out_of_area".into(), out_of_area.into());
            }
            if let Some(text) = only(row, "found_at", MAX_TEXT, missing, "a missing row")? {
                notes.push(format!("found at {text}"));
                found.insert("found_at".into(), text.into());
            }
            let stop = kind == EventKind::StopAndSearch;
            if let Some(code) = code(
                row,
                "outcome",
                STOP_SEARCH_OUTCOMES,
                stop,
                "a stop_search row",
            )? {
                notes.push(format!(
                    "outcome {}",
                    feed_codes::meaning(STOP_SEARCH_OUTCOMES, code)
                ));
                found.insert("outcome".into(), code.into());
            }
        }
        Feed::YouthJustice => {
            let mace = kind == EventKind::MaceReferral;
            referrer(
                row,
                mace,
                "a mace_referral row",
                mace.then_some("youth_justice"),
                &mut found,
                &mut notes,
            )?;
        }
        Feed::Health => {
            // The reason has been read already: an illness has no injury to grade.
            let injury = !row.raw("reason").trim().eq_ignore_ascii_case("illness");
            if let Some(code) = code(
                row,
                "severity",
                INJURY_SEVERITIES,
                injury,
                "injuries (reason injury, assault, self_harm or other), not illness",
            )? {
                notes.push(feed_codes::meaning(INJURY_SEVERITIES, code).to_owned());
                found.insert("severity".into(), code.into());
            }
        }
        Feed::LaEducation => {
            // An alternative-provision placement: who provides it and for how many hours a
            // week, which the exclusions register records as the child's education offer.
            let placement = kind == EventKind::AlternativeProvision;
            if let Some(text) = only(row, "provider", MAX_TEXT, placement, "an ap_placement row")? {
                notes.push(format!("with {text}"));
                found.insert("provider".into(), text.into());
            }
            if let Some(text) = only(row, "hours_per_week", 12, placement, "an ap_placement row")? {
                let tenths = values::hours_per_week(&text).map_err(|reason| {
                    row.fail("hours_per_week", format!("hours_per_week {reason}"))
                })?;
                let hours = f64::from(tenths) / 10.0;
                notes.push(format!("{hours} hours a week"));
                found.insert("hours_per_week".into(), hours.into());
            }
            // A fair-access panel's decision: the school allocated (its DfE number, as the
            // schools' own feeds and transfer files name it) and what the school said.
            let panel = kind == EventKind::FairAccessPlacement;
            if let Some(text) = only(row, "allocated_school", 20, panel, "a fair_access row")? {
                let school = SchoolNumber::parse(&text).map_err(|e| {
                    row.fail(
                        "allocated_school",
                        format!("allocated_school {text:?} is not a school number: {e}"),
                    )
                })?;
                notes.push(format!("allocated to school {school}"));
                found.insert("allocated_school".into(), school.as_str().into());
            }
            if let Some(code) = code(
                row,
                "response",
                FAIR_ACCESS_RESPONSES,
                panel,
                "a fair_access row",
            )? {
                notes.push(feed_codes::meaning(FAIR_ACCESS_RESPONSES, code).to_owned());
                found.insert("response".into(), code.into());
            }
        }
        Feed::SchoolCtf | Feed::SchoolAttendance | Feed::SchoolExclusions => {}
    }
    if !notes.is_empty() {
        summary.push_str(&format!(" ({})", notes.join("; ")));
    }
    if let Some(map) = details.as_object_mut() {
        map.extend(found);
    }
    Ok(())
}

/// The `referrer` column: who made the referral, on the rows it belongs to; `default` (the
/// sender) when a MACE referral leaves it out. Only a referrer the sender wrote is added to
/// the summary, so a row without the column reads on the timeline as before.
fn referrer(
    row: &Row<'_>,
    allowed: bool,
    rows: &str,
    default: Option<&'static str>,
    found: &mut Map<String, Value>,
    notes: &mut Vec<String>,
) -> Result<(), Problem> {
    let given = code(row, "referrer", REFERRERS, allowed, rows)?;
    if let Some(code) = given {
        notes.push(format!("from {}", feed_codes::meaning(REFERRERS, code)));
    }
    if let Some(code) = given.or(default) {
        found.insert("referrer".into(), code.into());
    }
    Ok(())
}

/// An optional column's text, refused on a row it does not belong to (`allowed` false).
fn only(
    row: &Row<'_>,
    column: &'static str,
    max: usize,
    allowed: bool,
    rows: &str,
) -> Result<Option<String>, Problem> {
    let value = row.text(column, max)?;
    if value.is_some() && !allowed {
        return Err(row.fail(column, format!("{column} is only for {rows}")));
    }
    Ok(value)
}

/// An optional coded column: its code, refused when not in `list` or on the wrong row.
fn code(
    row: &Row<'_>,
    column: &'static str,
    list: &[(&'static str, &'static str)],
    allowed: bool,
    rows: &str,
) -> Result<Option<&'static str>, Problem> {
    let Some(value) = only(row, column, 40, allowed, rows)? else {
        return Ok(None);
    };
    feed_codes::code_in(list, &value).map(Some).ok_or_else(|| {
        row.fail(
            column,
            format!(
                "{column} {value:?} is not one of: {}",
                feed_codes::codes(list)
            ),
        )
    })
}

/// `yes`/`no` in the spellings systems export (`y`, `true`, `1`…), any case.
fn yes_or_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}
