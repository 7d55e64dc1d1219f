//! The education journey panel on a child's page: what `harbour_casework::journey` gathers
//! from the timeline the viewer may see, as rows and a small attendance chart. Built from the
//! same policy-filtered timeline as the table below it, so it shows nothing the timeline
//! does not.

use crate::layout::long_date;
use harbour_casework::journey::{self, Absence, Item, Journey};
use harbour_rules::calendar::Calendar;
use harbour_store::TimelineEntry;
use time::Date;

/// One row of a small table: its cells in order.
pub(crate) type Row = Vec<String>;

/// A bar of the attendance chart, in the SVG's own units.
pub(crate) struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub label_x: u32,
    pub class: &'static str,
    pub label: String,
    pub title: String,
}

pub(crate) struct AttendanceRow {
    pub period: String,
    pub percent: String,
    pub sessions: String,
    pub absence: &'static str,
    pub absence_class: &'static str,
    pub recorded_by: String,
}

/// The panel, ready to render. Empty sections are left out of the page.
pub(crate) struct JourneyPanel {
    pub empty: bool,
    pub rolls: Vec<Row>,
    pub suspensions: Vec<Row>,
    /// "3 suspensions, 14 sessions in all".
    pub suspensions_total: String,
    pub exclusions: Vec<Row>,
    pub spells: Vec<Row>,
    pub placements: Vec<Row>,
    pub attendance: Vec<AttendanceRow>,
    pub bars: Vec<Bar>,
    pub chart_width: u32,
}

/// The chart's plot: 100% is `PLOT` units high, each bar `BAR` wide with `GAP` between.
const PLOT: u32 = 100;
const TOP: u32 = 10;
const LEFT: u32 = 34;
const BAR: u32 = 28;
const GAP: u32 = 12;

fn day(date: Option<Date>, missing: &str) -> String {
    date.map(long_date).unwrap_or_else(|| missing.to_owned())
}

/// The school an event is about, as a reader should take it: a transfer file's history is
/// the sending school's report about another school.
fn school_of(entry: &TimelineEntry) -> String {
    match (&entry.reported_about, &entry.reported_about_name) {
        (Some(_), Some(name)) => format!("{name} (reported by {})", entry.agency_name),
        (Some(number), None) => format!("School {number} (reported by {})", entry.agency_name),
        (None, _) => entry.agency_name.clone(),
    }
}

impl JourneyPanel {
    pub fn new(timeline: &[TimelineEntry], calendar: &Calendar) -> Self {
        let schools: Vec<String> = timeline.iter().map(school_of).collect();
        let items = timeline.iter().zip(&schools).map(|(e, school)| Item {
            kind: e.kind,
            on: e.occurred_on,
            school,
            summary: &e.summary,
            details: &e.details,
        });
        Self::of(&journey::of(items, calendar))
    }

    fn of(j: &Journey) -> Self {
        let rolls = j
            .rolls
            .iter()
            .map(|s| {
                vec![
                    s.school.clone(),
                    day(s.from, "Not known"),
                    day(
                        s.to,
                        if s.from.is_some() {
                            "On roll"
                        } else {
                            "Not known"
                        },
                    ),
                    s.left_because.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let exclusion_row = |e: &journey::Exclusion| {
            let reason = match (&e.reason, &e.reason_code) {
                (Some(words), Some(code)) if words != code => format!("{words} ({code})"),
                (_, Some(code)) => code.clone(),
                _ => "Not given".to_owned(),
            };
            let mut row = vec![long_date(e.on), e.school.clone()];
            if let Some(sessions) = e.sessions {
                row.push(sessions.to_string());
            }
            row.push(reason);
            row
        };
        let sessions: u32 = j.suspensions.iter().filter_map(|s| s.sessions).sum();
        let count = j.suspensions.len();
        let suspensions_total = format!(
            "{count} suspension{}, {sessions} session{} in all",
            if count == 1 { "" } else { "s" },
            if sessions == 1 { "" } else { "s" }
        );
        let spell = |what: &str, s: &journey::Spell| {
            vec![
                what.to_owned(),
                day(s.from, "Not known"),
                day(
                    s.to,
                    if s.from.is_some() {
                        "Still open"
                    } else {
                        "Not known"
                    },
                ),
                s.recorded_by.clone(),
            ]
        };
        let mut spells: Vec<(Option<Date>, Row)> = j
            .home_education
            .iter()
            .map(|s| (s.from.or(s.to), spell("Elective home education", s)))
            .chain(
                j.missing_education
                    .iter()
                    .map(|s| (s.from.or(s.to), spell("Missing education", s))),
            )
            .collect();
        spells.sort_by_key(|(on, _)| *on);
        let attendance: Vec<AttendanceRow> = j
            .attendance
            .iter()
            .map(|a| AttendanceRow {
                period: a.label.clone(),
                percent: a.percent(),
                sessions: format!("{} of {}", a.attended, a.possible),
                absence: a.absence.label(),
                absence_class: absence_class(a.absence),
                recorded_by: a.recorded_by.join(", "),
            })
            .collect();
        let bars = j
            .attendance
            .iter()
            .zip(0u32..)
            .map(|(a, i)| {
                let height = (a.per_mille * PLOT / 1000).max(1);
                let x = LEFT + GAP + i * (BAR + GAP);
                Bar {
                    x,
                    y: TOP + PLOT - height,
                    height,
                    label_x: x + BAR / 2,
                    class: match a.absence {
                        Absence::Ordinary => "chart__bar",
                        Absence::Persistent => "chart__bar chart__bar--persistent",
                        Absence::Severe => "chart__bar chart__bar--severe",
                    },
                    label: format!("{}", a.per_mille / 10),
                    title: format!("{}: {}", a.label, a.percent()),
                }
            })
            .collect();
        let chart_width = LEFT + GAP + u32::try_from(j.attendance.len()).unwrap_or(0) * (BAR + GAP);
        Self {
            empty: j.is_empty(),
            rolls,
            suspensions: j.suspensions.iter().map(exclusion_row).collect(),
            suspensions_total,
            exclusions: j.exclusions.iter().map(exclusion_row).collect(),
            spells: spells.into_iter().map(|(_, row)| row).collect(),
            placements: j
                .placements
                .iter()
                .map(|p| {
                    vec![
                        long_date(p.on),
                        p.kind.label().to_owned(),
                        p.description.clone(),
                        p.recorded_by.clone(),
                    ]
                })
                .collect(),
            attendance,
            bars,
            chart_width,
        }
    }

    /// Where the 90% and 50% lines sit on the chart.
    pub fn line_y(&self, percent: u32) -> u32 {
        TOP + PLOT - percent * PLOT / 100
    }
}

fn absence_class(absence: Absence) -> &'static str {
    match absence {
        Absence::Ordinary => "",
        Absence::Persistent => "tag--orange",
        Absence::Severe => "tag--red",
    }
}
