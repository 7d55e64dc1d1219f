//! What the local authority does after a permanent exclusion, and its fair-access panel: the
//! events the education registers are built from. Alternative provision of four kinds (the
//! pupil referral unit, the AP academy, an independent provider, tuition), many of them
//! part-time, arranged by the sixth school day for some children and weeks late for others
//! (the s.19 duty missed), and for some never by the day the data is taken; then, for some,
//! the fair-access panel allocates a school, and schools answer unequally, as the Child AA
//! review found. Every draw comes from the child's registers stream, so the rest of the
//! county is drawn as before.

use super::life::{Event, Supplier, terms};
use super::rng::Rng;
use super::school_days;
use super::sim::{Schools, detailed, ev, school_leaving, school_row};
use harbour_domain::feeds::Feed;
use time::Date;

// The county's local-authority code, which the schools' DfE numbers begin with.
use super::TENANT;

/// A school's DfE number (LA code and establishment number), as the schools' Common Transfer
/// Files give it and the fair-access rows name it.
pub fn school_number(school: u16) -> String {
    format!("{TENANT}/{:04}", 2000 + u32::from(school))
}

/// How large a share of the panel's allocations each school is offered: unequal on purpose,
/// so that the consistency view has something to show (a few schools take far more than
/// their size warrants). Fixed by the school's number, so it is the same for every child.
fn panel_weight(school: u16) -> u64 {
    const SHARES: [u64; 5] = [1, 6, 2, 10, 3];
    SHARES.get(usize::from(school % 5)).copied().unwrap_or(1)
}

/// How often a school refuses the panel's allocation: a few schools refuse often.
fn refusal_rate(school: u16) -> f64 {
    if school.is_multiple_of(3) { 0.4 } else { 0.08 }
}

/// The kinds of alternative provision, with the provider names the authority's feed gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PupilReferralUnit,
    ApAcademy,
    Independent,
    Tuition,
}

impl Kind {
    fn provider(self) -> &'static str {
        match self {
            Self::PupilReferralUnit => "Synthetic County Pupil Referral Unit",
            Self::ApAcademy => "Synthetic County Alternative Provision Academy",
            Self::Independent => "Synthetic Skills Centre (independent AP)",
            Self::Tuition => "Synthetic County Tuition Service",
        }
    }

    /// The school whose roll the child joins, for the kinds that keep one.
    fn roll(self, schools: Schools) -> Option<u16> {
        match self {
            Self::PupilReferralUnit => Some(schools.pru()),
            Self::ApAcademy => Some(schools.alternative_provision()),
            Self::Independent | Self::Tuition => None,
        }
    }

    /// Hours a week offered: full-time (25 or more) for most places at the PRU and the
    /// academy, part-time for most independent places and all tuition.
    fn hours(self, rng: &mut Rng) -> &'static str {
        let choices: &[(&str, u64)] = match self {
            Self::PupilReferralUnit => &[("25", 60), ("27.5", 10), ("15", 20), ("20", 10)],
            Self::ApAcademy => &[("25", 50), ("30", 30), ("20", 20)],
            Self::Independent => &[("12.5", 30), ("15", 30), ("22.5", 25), ("25", 15)],
            Self::Tuition => &[("5", 30), ("10", 40), ("15", 30)],
        };
        let total: u64 = choices.iter().map(|(_, w)| w).sum();
        let mut draw = rng.below(total);
        for (hours, weight) in choices {
            if draw < *weight {
                return hours;
            }
            draw -= weight;
        }
        "15"
    }
}

fn full_time(hours: &str) -> bool {
    hours.parse::<f64>().is_ok_and(|h| h >= 25.0)
}

/// One alternative-provision placement as the authority's feed reports it, and the roll the
/// child joins if the kind keeps one and they are not on it already (`on_roll`).
fn placement(
    events: &mut Vec<Event>,
    schools: Schools,
    kind: Kind,
    hours: &str,
    on: Date,
    on_roll: Option<u16>,
) {
    let provider = kind.provider();
    events.push(detailed(
        ev(
            Supplier::La,
            Feed::LaEducation,
            on,
            &[
                "ap_placement",
                &on.to_string(),
                &format!("{provider}, {hours} hours a week"),
            ],
        ),
        &[("provider", provider), ("hours_per_week", hours)],
    ));
    if let Some(roll) = kind.roll(schools).filter(|r| on_roll != Some(*r)) {
        events.push(school_row(
            roll,
            Feed::SchoolRoll,
            on,
            &["joined", &on.to_string()],
        ));
    }
}

/// The Child AA pattern's place: the PRU, part-time, for the hours given.
pub fn pru_placement(events: &mut Vec<Event>, schools: Schools, hours: &str, on: Date) {
    placement(events, schools, Kind::PupilReferralUnit, hours, on, None);
}

/// Where a child is after the pathway: the roll they are on (if any), the school they attend
/// in the years that follow, and the day before which they are out of school altogether.
pub struct After {
    pub on_roll: Option<u16>,
    pub school: u16,
    pub out_of_school_until: Option<Date>,
}

/// The events that follow a permanent exclusion from `excluding` on `excluded_on` (a school
/// day): provision, perhaps a better offer later, perhaps a fair-access place. `last_day` is
/// the end of the child's compulsory schooling; nothing is written after it or after `as_of`.
pub fn after_exclusion(
    rng: &mut Rng,
    events: &mut Vec<Event>,
    schools: Schools,
    excluding: u16,
    excluded_on: Date,
    last_day: Date,
    as_of: Date,
) -> After {
    let until = last_day.min(as_of);
    // Which school day of the exclusion the provision starts on: by the sixth for some
    // children, a few weeks late for many, months late (or, for recent exclusions, not yet by
    // the day the data is taken) for a few.
    let day = match rng.below(100) {
        0..=39 => rng.between(2, 6),
        40..=74 => rng.between(7, 15),
        75..=91 => rng.between(16, 45),
        _ => rng.between(46, 150),
    };
    let starts = school_days::nth(excluded_on, u32::try_from(day).unwrap_or(6));
    let kind = match rng.below(100) {
        0..=49 => Kind::PupilReferralUnit,
        50..=69 => Kind::ApAcademy,
        70..=84 => Kind::Independent,
        _ => Kind::Tuition,
    };
    let hours = kind.hours(rng);
    // Drawn whatever happens next, so each child's later draws do not depend on the as-of day.
    let step_up = rng.chance(0.5);
    let step_up_after = u32::try_from(rng.between(15, 50)).unwrap_or(20);
    let panel = rng.chance(0.5);
    let panel_after = u32::try_from(rng.between(10, 60)).unwrap_or(20);
    let primary = excluding < schools.primaries;

    if starts > until {
        // Not placed by the day the data is taken (or before the child left school).
        return After {
            on_roll: None,
            school: schools.pru(),
            out_of_school_until: Some(starts),
        };
    }
    placement(events, schools, kind, hours, starts, None);
    let mut on_roll = kind.roll(schools);
    // A part-time offer is often followed by a full-time place at the PRU.
    let mut stepped = None;
    if !full_time(hours) && step_up {
        let on = school_days::add(starts, step_up_after);
        if on <= until {
            placement(events, schools, Kind::PupilReferralUnit, "25", on, on_roll);
            if let Some(old) = on_roll.filter(|r| *r != schools.pru()) {
                school_leaving(events, old, on, "alternative_provision");
            }
            on_roll = Some(schools.pru());
            stepped = Some(on);
        }
    }
    let school = on_roll.unwrap_or(schools.pru());
    if !panel {
        return After {
            on_roll,
            school,
            out_of_school_until: None,
        };
    }
    // The fair-access panel finds a school place some weeks after the provision starts.
    let asked = school_days::add(stepped.unwrap_or(starts), panel_after);
    let reason = "Permanently excluded; needs a school place";
    match panel_decisions(
        rng, events, schools, primary, excluding, asked, until, reason,
    ) {
        Some((allocated, joins)) => {
            if let Some(old) = on_roll {
                school_leaving(events, old, joins, "another_school");
            }
            After {
                on_roll: Some(allocated),
                school: allocated,
                out_of_school_until: None,
            }
        }
        None => After {
            on_roll,
            school,
            out_of_school_until: None,
        },
    }
}

/// A child already on `current`'s roll moves school in-year through the fair-access panel
/// (a managed move, or a family moving across the county). Returns the school they join.
pub fn in_year_move(
    rng: &mut Rng,
    events: &mut Vec<Event>,
    schools: Schools,
    current: u16,
    asked: Date,
    until: Date,
) -> Option<u16> {
    let reason = if rng.chance(0.5) {
        "Moved across the county mid-year; no school place"
    } else {
        "Managed move after a placement broke down"
    };
    let primary = current < schools.primaries;
    let (allocated, joins) = panel_decisions(
        rng,
        events,
        schools,
        primary,
        current,
        school_days::on_or_after(asked),
        until,
        reason,
    )?;
    school_leaving(events, current, joins, "another_school");
    Some(allocated)
}

/// The panel's decisions for one child from `asked`: a school allocated by the panel's
/// unequal shares, which accepts, refuses (then the panel tries another school once) or has
/// not answered yet when the data is taken. On acceptance the child joins the school's roll
/// a few school days later: returns the school and that day.
#[allow(clippy::too_many_arguments)]
fn panel_decisions(
    rng: &mut Rng,
    events: &mut Vec<Event>,
    schools: Schools,
    primary: bool,
    leaving: u16,
    asked: Date,
    until: Date,
    reason: &str,
) -> Option<(u16, Date)> {
    // A place is found within the academic year it is asked for: the child's school for the
    // next year is decided at its start, and a place joined after it would come too late.
    let until = until.min(academic_year_end(asked));
    let mut on = asked;
    let mut tried = vec![leaving];
    for _ in 0..2 {
        if on > until {
            return None;
        }
        let school = allocate(rng, schools, primary, &tried)?;
        tried.push(school);
        // A school has ten school days to answer: a decision that recent may still wait.
        let pending = school_days::between(on, until) < 10 && rng.chance(0.6);
        let refused = !pending && rng.chance(refusal_rate(school));
        let response = if pending {
            "pending"
        } else if refused {
            "refused"
        } else {
            "accepted"
        };
        let number = school_number(school);
        events.push(detailed(
            ev(
                Supplier::La,
                Feed::LaEducation,
                on,
                &["fair_access", &on.to_string(), reason],
            ),
            &[("allocated_school", &number), ("response", response)],
        ));
        match response {
            "accepted" => {
                let joins = school_days::add(on, u32::try_from(rng.between(3, 10)).unwrap_or(5));
                if joins > until {
                    return None;
                }
                events.push(school_row(
                    school,
                    Feed::SchoolRoll,
                    joins,
                    &["joined", &joins.to_string()],
                ));
                return Some((school, joins));
            }
            "refused" => on = school_days::add(on, u32::try_from(rng.between(5, 20)).unwrap_or(10)),
            _ => return None,
        }
    }
    None
}

/// The last day of the summer term of the academic year `day` is in.
fn academic_year_end(day: Date) -> Date {
    let year = if u8::from(day.month()) >= 9 {
        day.year()
    } else {
        day.year() - 1
    };
    terms(year)[2].1
}

/// A school of the right phase for the child, by the panel's unequal shares, not one in
/// `not`.
fn allocate(rng: &mut Rng, schools: Schools, primary: bool, not: &[u16]) -> Option<u16> {
    let range = if primary {
        0..schools.primaries
    } else {
        schools.primaries..schools.primaries + schools.secondaries
    };
    let candidates: Vec<(u16, u64)> = range
        .filter(|s| !not.contains(s))
        .map(|s| (s, panel_weight(s)))
        .collect();
    let total: u64 = candidates.iter().map(|(_, w)| w).sum();
    let mut draw = rng.below(total);
    for (school, weight) in &candidates {
        if draw < *weight {
            return Some(*school);
        }
        draw -= weight;
    }
    None
}
