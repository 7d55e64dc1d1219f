//! The events of a child's life, year by year: school, attendance, suspensions and
//! exclusions, home education and missing education, social care, police, health and youth
//! justice. Rates are tuned to the national figures listed in the county's README; a small
//! share of children follow the Child AA pattern from the review.

use super::life::{Event, Person, Risk, Supplier, day_between, reception_year, terms};
use super::rng::Rng;
use super::{pathway, school_days};
use harbour_domain::feeds::Feed;
use time::{Date, Duration};

/// The schools a county has: primaries and secondaries by number, then a PRU and an
/// alternative-provision school.
#[derive(Debug, Clone, Copy)]
pub struct Schools {
    pub primaries: u16,
    pub secondaries: u16,
}

impl Schools {
    pub fn for_children(children: u64) -> Self {
        let primaries = u16::try_from((children / 800).clamp(2, 250)).unwrap_or(250);
        // At least three secondaries, so that even a small county's fair-access panel has a
        // choice of school and its consistency view something to compare.
        let secondaries = u16::try_from((children / 3_000).clamp(3, 60)).unwrap_or(60);
        Self {
            primaries,
            secondaries,
        }
    }
    pub fn pru(self) -> u16 {
        self.primaries + self.secondaries
    }
    pub fn alternative_provision(self) -> u16 {
        self.pru() + 1
    }
}

/// The years of history the county holds: September 2012 to the end of August 2026, long
/// enough for the oldest children's whole school careers.
pub const FIRST_YEAR: i32 = 2012;
pub const LAST_YEAR: i32 = 2025;

pub(super) fn ev(supplier: Supplier, feed: Feed, date: Date, columns: &[&str]) -> Event {
    Event {
        supplier,
        feed,
        date,
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        handling: "",
        details: Vec::new(),
    }
}

/// `ev` with the sender's optional detail columns filled.
pub(super) fn detailed(event: Event, details: &[(&'static str, &str)]) -> Event {
    Event {
        details: details.iter().map(|(c, v)| (*c, (*v).to_owned())).collect(),
        ..event
    }
}

/// A weighted pick from `(value, weight)` pairs.
fn weighted(rng: &mut Rng, choices: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut draw = u32::try_from(rng.below(u64::from(total))).unwrap_or(0);
    for (value, weight) in choices {
        if draw < *weight {
            return value;
        }
        draw -= weight;
    }
    choices.first().map_or("", |(v, _)| v)
}

/// Who referred a child to children's social care, at about the shares of the CIN census's
/// referral sources (police, schools and health give most).
fn referral_source(rng: &mut Rng) -> &'static str {
    weighted(
        rng,
        &[
            ("police", 29),
            ("school", 21),
            ("health", 14),
            ("la_education", 5),
            ("social_care", 7),
            ("family", 8),
            ("self", 1),
            ("other", 15),
        ],
    )
}

/// Why: mostly abuse and neglect at home; exploitation and going missing more often for
/// children at higher risk.
fn referral_reason(rng: &mut Rng, risk: Risk) -> &'static str {
    let exploitation = match risk {
        Risk::Low => 1,
        Risk::Medium => 6,
        Risk::High => 20,
    };
    weighted(
        rng,
        &[
            ("neglect", 25),
            ("emotional_abuse", 15),
            ("domestic_abuse", 20),
            ("physical_abuse", 10),
            ("sexual_abuse", 3),
            ("mental_health", 8),
            ("substance_misuse", 4),
            ("self_harm", 3),
            ("criminal_exploitation", exploitation),
            ("sexual_exploitation", exploitation / 2),
            ("going_missing", exploitation / 2),
            ("gangs", exploitation / 3),
            ("other", 6),
        ],
    )
}

/// A missing episode's length and where the child was found. Most children come home within
/// a day; children at high risk are found out of the area far more often.
fn missing_details(rng: &mut Rng, risk: Risk) -> Vec<(&'static str, String)> {
    let hours = match rng.below(10) {
        0..=5 => rng.between(1, 12),
        6..=8 => rng.between(12, 48),
        _ => rng.between(48, 168),
    };
    let far = rng.chance(match risk {
        Risk::Low | Risk::Medium => 0.04,
        Risk::High => 0.15,
    });
    let place = if far {
        rng.pick(&[
            "Found by another force in a neighbouring county",
            "Found at an address in another county",
            "Found at a railway station in another county",
        ])
    } else {
        rng.pick(&[
            "Returned home",
            "Found at a friend's house",
            "Found in the town centre",
        ])
    };
    let mut details = vec![
        ("missing_hours", hours.to_string()),
        (
            "found_out_of_area",
            if far { "yes" } else { "no" }.to_owned(),
        ),
    ];
    // Not every force records where the child was found as text.
    if rng.chance(0.7) {
        details.push(("found_at", place.copied().unwrap_or_default().to_owned()));
    }
    details
}

/// How bad an injury seen at the emergency department was.
fn severity(rng: &mut Rng, reason: &str) -> &'static str {
    let weights: &[(&'static str, u32)] = match reason {
        "injury" => &[
            ("minor", 750),
            ("moderate", 200),
            ("serious", 45),
            ("life_threatening", 5),
        ],
        _ => &[
            ("minor", 450),
            ("moderate", 380),
            ("serious", 140),
            ("life_threatening", 30),
        ],
    };
    weighted(rng, weights)
}

/// A stop and search's object and outcome: most find nothing (England, year to March 2024:
/// about seven in ten no further action, one in seven an arrest). A khat or cannabis warning
/// is for adults only, so children never get one.
fn stop_search(rng: &mut Rng) -> (&'static str, &'static str) {
    let object = weighted(
        rng,
        &[
            ("Controlled drugs", 60),
            ("Offensive weapons", 20),
            ("Stolen goods", 15),
            ("Articles for use in criminal damage", 5),
        ],
    );
    let outcome = weighted(
        rng,
        &[
            ("no_further_action", 70),
            ("arrest", 14),
            ("community_resolution", 9),
            ("summons", 3),
            ("caution", 2),
            ("penalty_notice", 2),
        ],
    );
    (object, outcome)
}

/// `ev` with the sender's handling marker in the `handling` column.
fn handled(event: Event, handling: &'static str) -> Event {
    Event { handling, ..event }
}

pub(super) fn school_row(school: u16, feed: Feed, date: Date, columns: &[&str]) -> Event {
    ev(Supplier::School(school), feed, date, columns)
}

fn reason(rng: &mut Rng, serious: bool) -> &'static str {
    if serious {
        rng.pick(&["PA", "PP", "OW", "BW", "DR"])
            .copied()
            .unwrap_or("PA")
    } else {
        rng.pick(&["DB", "DB", "LD", "CB", "VA", "VP", "DM", "MP", "BU"])
            .copied()
            .unwrap_or("DB")
    }
}

/// Simulates one child's recorded life. `as_of` is the day the data is taken.
/// `details` is the child's second stream, for the details the feeds gained later (issue 14),
/// and `registers` the third, for what the education registers need (issue 16: provision
/// after an exclusion, the fair-access panel, how long a child is missing education):
/// drawing them from their own streams leaves every other draw, and so the rest of the
/// county, as it was.
pub fn child_events(
    rng: &mut Rng,
    details: &mut Rng,
    registers: &mut Rng,
    person: &mut Person,
    schools: Schools,
    risk: Risk,
    as_of: Date,
) -> Vec<Event> {
    let mut events = Vec::new();
    let reception = reception_year(person.dob);
    let mut primary = u16::try_from(rng.below(u64::from(schools.primaries))).unwrap_or(0);
    let mut secondary =
        schools.primaries + u16::try_from(rng.below(u64::from(schools.secondaries))).unwrap_or(0);
    let (susp_rate, pex_rate, ehe_rate, cme_rate) = match risk {
        Risk::Low => (0.05, 0.0002, 0.003, 0.002),
        Risk::Medium => (1.2, 0.008, 0.03, 0.012),
        Risk::High => (4.0, 0.08, 0.08, 0.05),
    };
    // A few children barely attend at all (severe absence): some of the medium- and most of
    // the high-risk group.
    let barely_attends = match risk {
        Risk::Low => false,
        Risk::Medium => rng.chance(0.08),
        Risk::High => rng.chance(0.45),
    };
    let attendance_mean = match risk {
        _ if barely_attends => 42.0,
        Risk::Low => 94.5,
        Risk::Medium => 87.0,
        Risk::High => 66.0,
    };

    // Education, year by year, while the child is of school age (reception to Year 11).
    let mut on_roll: Option<u16> = None;
    let mut out_of_school_until: Option<Date> = None;
    let mut excluded = false;
    // The last day of the spell missing education the child is in, if any.
    let mut missing_until: Option<Date> = None;
    // The end of compulsory schooling: the last day of Year 11.
    let last_day = terms(reception + 11)[2].1;
    for year in FIRST_YEAR..=LAST_YEAR {
        let year_group = year - reception;
        if !(0..=11).contains(&year_group) {
            if let Some(school) = on_roll.take() {
                school_leaving(&mut events, school, terms(year - 1)[2].1, "post_16");
            }
            continue;
        }
        let [autumn, _, summer] = terms(year);
        let wanted = if year_group >= 7 { secondary } else { primary };
        if out_of_school_until.is_some_and(|until| until > autumn.0) {
            continue;
        }
        if on_roll != Some(wanted) {
            if let Some(school) = on_roll.take() {
                school_leaving(
                    &mut events,
                    school,
                    autumn.0 - Duration::days(40),
                    "another_school",
                );
            }
            let joined = autumn.0;
            events.push(school_row(
                wanted,
                Feed::SchoolRoll,
                joined,
                &["joined", &joined.to_string()],
            ));
            on_roll = Some(wanted);
        }
        let Some(school) = on_roll else { continue };

        for (start, end) in half_terms(year) {
            if end > as_of {
                break;
            }
            let possible = 2 * ((end - start).whole_days() * 5 / 7);
            let spread = match risk {
                Risk::Low => 4.6,
                Risk::Medium => 9.0,
                Risk::High => 16.0,
            };
            let percent = rng.normal(attendance_mean, spread).clamp(5.0, 100.0);
            let attended = (possible as f64 * percent / 100.0).round() as i64;
            events.push(school_row(
                school,
                Feed::SchoolAttendance,
                end,
                &[
                    &start.to_string(),
                    &end.to_string(),
                    &possible.to_string(),
                    &attended.to_string(),
                ],
            ));
        }

        let secondary_age = year_group >= 7;
        let rate = if secondary_age {
            susp_rate
        } else {
            susp_rate / 6.0
        };
        for _ in 0..rng.poisson(rate) {
            let day = day_between(rng, autumn.0, summer.1);
            if day > as_of {
                continue;
            }
            let sessions = rng.between(1, 10).to_string();
            events.push(school_row(
                school,
                Feed::SchoolExclusions,
                day,
                &["SUSP", &day.to_string(), &sessions, reason(rng, false)],
            ));
        }
        let excluded_before = excluded;
        if !excluded
            && rng.chance(if secondary_age {
                pex_rate
            } else {
                pex_rate / 5.0
            })
        {
            // Exclusions start on a school day.
            let day = school_days::on_or_after(day_between(rng, autumn.0, summer.1));
            if day <= as_of {
                excluded = true;
                events.push(school_row(
                    school,
                    Feed::SchoolExclusions,
                    day,
                    &["PERM", &day.to_string(), "", reason(rng, true)],
                ));
                school_leaving(
                    &mut events,
                    school,
                    day + Duration::days(6),
                    "permanent_exclusion",
                );
                // This draw once timed the PRU place; it is still made so that the rest of
                // the child's life is drawn as before. The registers stream times it now.
                let _ = rng.between(5, 30);
                let after = pathway::after_exclusion(
                    registers,
                    &mut events,
                    schools,
                    school,
                    day,
                    last_day,
                    as_of,
                );
                on_roll = after.on_roll;
                out_of_school_until = after.out_of_school_until;
                if after.school < schools.primaries {
                    primary = after.school;
                } else if year_group < 7 {
                    primary = after.school;
                    secondary = after.school;
                } else {
                    secondary = after.school;
                }
            }
        }
        if rng.chance(ehe_rate) {
            let start = day_between(rng, autumn.0, summer.1);
            if start <= as_of {
                let end = start + Duration::days(rng.between(120, 700));
                if let Some(school) = on_roll.take() {
                    school_leaving(
                        &mut events,
                        school,
                        start - Duration::days(1),
                        "home_education",
                    );
                }
                events.push(ev(
                    Supplier::La,
                    Feed::LaEducation,
                    start,
                    &[
                        "ehe_start",
                        &start.to_string(),
                        "Parent elected home education",
                    ],
                ));
                if end <= as_of {
                    events.push(ev(
                        Supplier::La,
                        Feed::LaEducation,
                        end,
                        &["ehe_end", &end.to_string(), "Returned to school"],
                    ));
                }
                out_of_school_until = Some(end);
            }
        }
        if rng.chance(cme_rate) {
            // Missing from a school day; found after a spell in school days from the
            // registers stream (the draw that once gave its length in calendar days is still
            // made, so that the rest of the child's life is drawn as before).
            let start = school_days::on_or_after(day_between(rng, autumn.0, summer.1));
            let _ = rng.between(20, 120);
            let end = school_days::add(start, missing_school_days(registers));
            // One spell at a time: a child cannot go missing again before being found.
            if start <= as_of && missing_until.is_none_or(|until| start > until) {
                missing_until = Some(end);
                events.push(ev(
                    Supplier::La,
                    Feed::LaEducation,
                    start,
                    &[
                        "cme_start",
                        &start.to_string(),
                        "Not on a school roll; whereabouts being traced",
                    ],
                ));
                if end <= as_of {
                    events.push(ev(
                        Supplier::La,
                        Feed::LaEducation,
                        end,
                        &["cme_end", &end.to_string(), "Found and back in education"],
                    ));
                }
            }
        }
        // A few children move school in-year through the fair-access panel. Last in the
        // year, so only a child still on a mainstream roll (not excluded, not gone to home
        // education this year) moves.
        let move_rate = match risk {
            Risk::Low => 0.001,
            Risk::Medium => 0.01,
            Risk::High => 0.03,
        };
        let moves = registers.chance(move_rate);
        let asked = day_between(registers, autumn.0, summer.1);
        let mainstream = |s: &u16| *s < schools.primaries + schools.secondaries;
        if moves
            && !excluded_before
            && !excluded
            && let Some(current) = on_roll.filter(mainstream)
            && asked <= as_of
            && let Some(new) = pathway::in_year_move(
                registers,
                &mut events,
                schools,
                current,
                asked,
                as_of.min(last_day),
            )
        {
            on_roll = Some(new);
            if year_group >= 7 {
                secondary = new;
            } else {
                primary = new;
            }
        }
    }

    // Children's social care, police, health and youth justice, through childhood.
    let age_at = |day: Date| (day - person.dob).whole_days() / 365;
    let history_start = history_start();
    let mut day = history_start.max(person.dob);
    let cin_chance = match risk {
        Risk::Low => 0.012,
        Risk::Medium => 0.10,
        Risk::High => 0.45,
    };
    if rng.chance(cin_chance) {
        let referral = day_between(rng, day, as_of);
        events.push(detailed(
            ev(
                Supplier::SocialCare,
                Feed::SocialCare,
                referral,
                &["referral", &referral.to_string()],
            ),
            &[
                ("referral_reason", referral_reason(details, risk)),
                ("referrer", referral_source(details)),
            ],
        ));
        let assessed = referral + Duration::days(rng.between(10, 45));
        if assessed <= as_of {
            events.push(ev(
                Supplier::SocialCare,
                Feed::SocialCare,
                assessed,
                &["assessment", &assessed.to_string()],
            ));
            let plan = if rng.chance(0.2) {
                "cp_start"
            } else {
                "cin_plan"
            };
            events.push(ev(
                Supplier::SocialCare,
                Feed::SocialCare,
                assessed,
                &[plan, &assessed.to_string()],
            ));
            if plan == "cp_start" && rng.chance(0.15) {
                let looked_after = assessed + Duration::days(rng.between(60, 400));
                if looked_after <= as_of {
                    events.push(ev(
                        Supplier::SocialCare,
                        Feed::SocialCare,
                        looked_after,
                        &["lac_start", &looked_after.to_string()],
                    ));
                }
            }
        }
    }
    let contact_rate = match risk {
        Risk::Low => 0.04,
        Risk::Medium => 0.3,
        Risk::High => 0.8,
    };
    let (police_rate, missing_rate, victim_rate, ed_assault_rate) = match risk {
        Risk::Low => (0.002, 0.002, 0.004, 0.002),
        Risk::Medium => (0.03, 0.05, 0.03, 0.01),
        Risk::High => (0.25, 0.6, 0.12, 0.06),
    };
    while day < as_of {
        let year_end = (day + Duration::days(365)).min(as_of);
        let age = age_at(day);
        if age >= 10 {
            if rng.chance(police_rate) {
                let when = day_between(rng, day, year_end);
                let offence = rng
                    .pick(&[
                        "Criminal damage",
                        "Shoplifting",
                        "Common assault",
                        "Possession of cannabis",
                        "Possession of a bladed article",
                    ])
                    .copied()
                    .unwrap_or("Theft");
                let outcome = if rng.chance(0.6) { "caution" } else { "arrest" };
                events.push(ev(
                    Supplier::Police,
                    Feed::Police,
                    when,
                    &[outcome, &when.to_string(), offence, ""],
                ));
                if outcome == "arrest" && rng.chance(0.3) {
                    let charged = when + Duration::days(rng.between(14, 120));
                    if charged <= as_of {
                        events.push(ev(
                            Supplier::Police,
                            Feed::Police,
                            charged,
                            &["charge", &charged.to_string(), offence, ""],
                        ));
                        let order = charged + Duration::days(rng.between(30, 90));
                        if order <= as_of {
                            events.push(ev(
                                Supplier::YouthJustice,
                                Feed::YouthJustice,
                                order,
                                &["order", &order.to_string(), "Referral order, 6 months"],
                            ));
                            // The youth justice service refers some of its children at
                            // highest risk to the exploitation panel itself.
                            let referred = order + Duration::days(details.between(14, 60));
                            if risk == Risk::High && details.chance(0.3) && referred <= as_of {
                                events.push(ev(
                                    Supplier::YouthJustice,
                                    Feed::YouthJustice,
                                    referred,
                                    &[
                                        "mace_referral",
                                        &referred.to_string(),
                                        "Referred to the MACE panel",
                                    ],
                                ));
                            }
                        }
                    }
                }
            }
            for _ in 0..rng.poisson(missing_rate) {
                let when = day_between(rng, day, year_end);
                events.push(Event {
                    details: missing_details(details, risk),
                    ..ev(
                        Supplier::Police,
                        Feed::Police,
                        when,
                        &[
                            "missing",
                            &when.to_string(),
                            "Reported missing from home",
                            "",
                        ],
                    )
                });
            }
        }
        let stop_rate = match risk {
            Risk::Low => 0.003,
            Risk::Medium => 0.03,
            Risk::High => 0.25,
        };
        if age >= 12 && details.chance(stop_rate) {
            let when = day_between(details, day, year_end);
            let (object, outcome) = stop_search(details);
            events.push(detailed(
                ev(
                    Supplier::Police,
                    Feed::Police,
                    when,
                    &["stop_search", &when.to_string(), object, ""],
                ),
                &[("outcome", outcome)],
            ));
        }
        for _ in 0..rng.poisson(contact_rate) {
            let when = day_between(rng, day, year_end);
            events.push(ev(
                Supplier::SocialCare,
                Feed::SocialCare,
                when,
                &["contact", &when.to_string()],
            ));
        }
        if rng.chance(victim_rate) {
            let when = day_between(rng, day, year_end);
            events.push(ev(
                Supplier::Police,
                Feed::Police,
                when,
                &["victim", &when.to_string(), "Assault", ""],
            ));
        }
        // Emergency department attendances of every kind (children attend about once every
        // three years on average); only some say anything about safeguarding.
        for _ in 0..rng.poisson(if age < 5 { 0.6 } else { 0.3 }) {
            let when = day_between(rng, day, year_end);
            let reason = if rng.chance(0.6) {
                "illness"
            } else if rng.chance(0.97) {
                "injury"
            } else {
                "self_harm"
            };
            let event = ev(
                Supplier::Health,
                Feed::Health,
                when,
                &["ed_attendance", &when.to_string(), reason],
            );
            events.push(if reason == "illness" {
                event
            } else {
                detailed(event, &[("severity", severity(details, reason))])
            });
        }
        if rng.chance(ed_assault_rate) {
            let when = day_between(rng, day, year_end);
            events.push(detailed(
                ev(
                    Supplier::Health,
                    Feed::Health,
                    when,
                    &["ed_attendance", &when.to_string(), "assault"],
                ),
                &[("severity", severity(details, "assault"))],
            ));
        }
        day = year_end + Duration::days(1);
    }
    events
}

/// The six half-terms of academic year `year`: attendance is summarised for each.
pub fn half_terms(year: i32) -> [(Date, Date); 6] {
    let [autumn, spring, summer] = terms(year);
    let split = |(start, end): (Date, Date)| {
        let middle = start + Duration::days((end - start).whole_days() / 2);
        [(start, middle), (middle + Duration::days(1), end)]
    };
    let [a1, a2] = split(autumn);
    let [s1, s2] = split(spring);
    let [u1, u2] = split(summer);
    [a1, a2, s1, s2, u1, u2]
}

/// How many school days a child is missing education before being found: most within the
/// 20 school days after which the register escalates, many not, a few for months.
fn missing_school_days(registers: &mut Rng) -> u32 {
    let days = match registers.below(100) {
        0..=34 => registers.between(2, 10),
        35..=64 => registers.between(11, 20),
        65..=84 => registers.between(21, 40),
        _ => registers.between(41, 100),
    };
    u32::try_from(days).unwrap_or(20)
}

/// Leaving a roll, with where the child went (`destination`, written to the school's CTF as
/// its `LeavingReason`).
pub(super) fn school_leaving(events: &mut Vec<Event>, school: u16, when: Date, destination: &str) {
    events.push(detailed(
        school_row(school, Feed::SchoolRoll, when, &["left", &when.to_string()]),
        &[("destination", destination)],
    ));
}

/// The Child AA pattern, for a child old enough to have lived it: cautions for criminal
/// damage and a bladed article, a victim of assault, missing education in Year 8, repeated
/// suspensions, permanent exclusion, the PRU, home education, missing education again at the
/// end of Year 10, a MACE referral, missing episodes, a drug-supply arrest, release under
/// investigation and, at 17, serious violence. Dates vary child to child.
pub fn trajectory_events(
    rng: &mut Rng,
    details: &mut Rng,
    person: &mut Person,
    schools: Schools,
    as_of: Date,
) -> Vec<Event> {
    let reception = reception_year(person.dob);
    let year7 = reception + 7;
    let secondary =
        schools.primaries + u16::try_from(rng.below(u64::from(schools.secondaries))).unwrap_or(0);
    let pru = schools.pru();
    let at_age = |rng: &mut Rng, years: i64, spread: i64| {
        person.dob + Duration::days(years * 365 + rng.between(0, spread))
    };
    let mut events = Vec::new();
    let y = |n: i32| terms(year7 + n);
    events.push(school_row(
        secondary,
        Feed::SchoolRoll,
        y(0)[0].0,
        &["joined", &y(0)[0].0.to_string()],
    ));
    let caution1 = at_age(rng, 12, 200);
    events.push(ev(
        Supplier::Police,
        Feed::Police,
        caution1,
        &["caution", &caution1.to_string(), "Criminal damage", ""],
    ));
    for (year, term) in [(0, 2), (1, 0), (1, 1), (2, 0)] {
        let Some(&(from, to)) = y(year).get(term) else {
            continue;
        };
        let when = day_between(rng, from, to);
        events.push(school_row(
            secondary,
            Feed::SchoolExclusions,
            when,
            &[
                "SUSP",
                &when.to_string(),
                &rng.between(2, 6).to_string(),
                reason(rng, false),
            ],
        ));
    }
    for year in 0..3 {
        for (start, end) in half_terms(year7 + year) {
            let possible = 2 * ((end - start).whole_days() * 5 / 7);
            let attended = possible * rng.between(55, 82) / 100;
            events.push(school_row(
                secondary,
                Feed::SchoolAttendance,
                end,
                &[
                    &start.to_string(),
                    &end.to_string(),
                    &possible.to_string(),
                    &attended.to_string(),
                ],
            ));
        }
    }
    let cme1 = day_between(rng, y(1)[0].0, y(1)[1].1);
    events.push(ev(
        Supplier::La,
        Feed::LaEducation,
        cme1,
        &[
            "cme_start",
            &cme1.to_string(),
            "Not attending; whereabouts unknown",
        ],
    ));
    let cme1_end = cme1 + Duration::days(rng.between(20, 40));
    events.push(ev(
        Supplier::La,
        Feed::LaEducation,
        cme1_end,
        &["cme_end", &cme1_end.to_string(), "Back on roll"],
    ));
    let blade = at_age(rng, 13, 150);
    events.push(ev(
        Supplier::Police,
        Feed::Police,
        blade,
        &[
            "caution",
            &blade.to_string(),
            "Possession of a bladed article",
            "",
        ],
    ));
    let victim = blade + Duration::days(rng.between(30, 120));
    events.push(ev(
        Supplier::Police,
        Feed::Police,
        victim,
        &["victim", &victim.to_string(), "Assault", ""],
    ));
    let pex = school_days::on_or_after(day_between(rng, y(2)[1].0, y(2)[1].1));
    events.push(school_row(
        secondary,
        Feed::SchoolExclusions,
        pex,
        &["PERM", &pex.to_string(), "", reason(rng, true)],
    ));
    school_leaving(
        &mut events,
        secondary,
        pex + Duration::days(6),
        "permanent_exclusion",
    );
    // Child AA's place: the PRU, part-time, a little after the sixth school day.
    let placed = school_days::on_or_after(pex + Duration::days(8));
    pathway::pru_placement(&mut events, schools, "15", placed);
    let ehe = placed + Duration::days(rng.between(20, 50));
    school_leaving(&mut events, pru, ehe - Duration::days(1), "home_education");
    events.push(ev(
        Supplier::La,
        Feed::LaEducation,
        ehe,
        &[
            "ehe_start",
            &ehe.to_string(),
            "Parent elected home education",
        ],
    ));
    let referral = ehe + Duration::days(rng.between(20, 60));
    events.push(detailed(
        ev(
            Supplier::SocialCare,
            Feed::SocialCare,
            referral,
            &["referral", &referral.to_string()],
        ),
        &[
            ("referral_reason", "criminal_exploitation"),
            (
                "referrer",
                weighted(details, &[("la_education", 1), ("police", 1)]),
            ),
        ],
    ));
    // Police systems mark intelligence as such.
    events.push(handled(
        ev(
            Supplier::Police,
            Feed::Police,
            referral + Duration::days(10),
            &[
                "intelligence",
                &(referral + Duration::days(10)).to_string(),
                "Seen with adults linked to a county drugs line",
                "2/B/P",
            ],
        ),
        "police_intelligence",
    ));
    let mace = referral + Duration::days(rng.between(14, 40));
    // Most MACE referrals reach the panel through social care, naming who asked; the police
    // send some themselves.
    events.push(if details.chance(0.3) {
        ev(
            Supplier::Police,
            Feed::Police,
            mace,
            &["mace_referral", &mace.to_string(), "", ""],
        )
    } else {
        detailed(
            ev(
                Supplier::SocialCare,
                Feed::SocialCare,
                mace,
                &["mace_referral", &mace.to_string()],
            ),
            &[(
                "referrer",
                weighted(details, &[("school", 3), ("police", 3), ("social_care", 4)]),
            )],
        )
    });
    let ehe_end = y(3)[2].1 - Duration::days(14);
    events.push(ev(
        Supplier::La,
        Feed::LaEducation,
        ehe_end,
        &[
            "ehe_end",
            &ehe_end.to_string(),
            "No suitable education evidenced",
        ],
    ));
    let cme2 = ehe_end + Duration::days(5);
    events.push(ev(
        Supplier::La,
        Feed::LaEducation,
        cme2,
        &[
            "cme_start",
            &cme2.to_string(),
            "Not in education (end of Year 10)",
        ],
    ));
    for gap in [40, 55] {
        let missing = cme2 + Duration::days(gap + rng.between(0, 20));
        let hours = details.between(24, 96).to_string();
        events.push(detailed(
            ev(
                Supplier::Police,
                Feed::Police,
                missing,
                &[
                    "missing",
                    &missing.to_string(),
                    "Reported missing from home; found in another county",
                    "",
                ],
            ),
            &[
                ("missing_hours", hours.as_str()),
                ("found_out_of_area", "yes"),
                (
                    "found_at",
                    "Found at an address used to sell drugs in another county",
                ),
            ],
        ));
    }
    // Stopped and searched for drugs between the missing episodes and the arrest.
    let stopped = cme2 + Duration::days(80 + details.between(0, 5));
    events.push(detailed(
        ev(
            Supplier::Police,
            Feed::Police,
            stopped,
            &["stop_search", &stopped.to_string(), "Controlled drugs", ""],
        ),
        &[("outcome", "no_further_action")],
    ));
    let arrest = at_age(rng, 15, 300).max(cme2 + Duration::days(90));
    events.push(ev(
        Supplier::Police,
        Feed::Police,
        arrest,
        &[
            "arrest",
            &arrest.to_string(),
            "Possession with intent to supply class A drugs",
            "",
        ],
    ));
    events.push(ev(
        Supplier::Police,
        Feed::Police,
        arrest + Duration::days(1),
        &[
            "rui_start",
            &(arrest + Duration::days(1)).to_string(),
            "Possession with intent to supply class A drugs",
            "",
        ],
    ));
    let yj = arrest + Duration::days(rng.between(60, 150));
    // The youth justice service marks its work with a child known to MACE as restricted.
    events.push(handled(
        ev(
            Supplier::YouthJustice,
            Feed::YouthJustice,
            yj,
            &["intervention", &yj.to_string(), "Voluntary intervention"],
        ),
        "restricted",
    ));
    let harm = at_age(rng, 17, 300);
    if harm <= as_of {
        person.harm_date = Some(harm);
        events.push(detailed(
            ev(
                Supplier::Health,
                Feed::Health,
                harm,
                &["ed_attendance", &harm.to_string(), "assault"],
            ),
            &[(
                "severity",
                weighted(details, &[("serious", 3), ("life_threatening", 2)]),
            )],
        ));
        events.push(ev(
            Supplier::Police,
            Feed::Police,
            harm,
            &[
                "victim",
                &harm.to_string(),
                "Wounding with intent (stabbing)",
                "",
            ],
        ));
    }
    person.trajectory = true;
    events.retain(|e| e.date <= as_of);
    events
}

/// The first day of the synthetic history (the first term of the first year).
pub fn history_start() -> Date {
    terms(FIRST_YEAR).first().map_or(Date::MIN, |term| term.0)
}
