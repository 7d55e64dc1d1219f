//! One child's life as the agencies record it: the true person, each agency's view of them
//! (with the noise real systems have), and the events each agency supplies.

use super::names::{FAMILY, GIVEN_FEMALE, GIVEN_MALE, SURNAME_ENDS, SURNAME_STARTS, nicknames};
use super::rng::Rng;
use harbour_domain::feeds::Feed;
use harbour_domain::{NhsNumber, Upn};
use time::{Date, Duration, Month};

/// Who supplies a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Supplier {
    School(u16),
    La,
    SocialCare,
    Police,
    Health,
    YouthJustice,
}

impl Supplier {
    pub fn code(self) -> String {
        match self {
            Self::School(n) => format!("school-{n:03}"),
            Self::La => "la-education".into(),
            Self::SocialCare => "childrens-social-care".into(),
            Self::Police => "police".into(),
            Self::Health => "health".into(),
            Self::YouthJustice => "youth-justice".into(),
        }
    }

    fn salt(self) -> u64 {
        match self {
            Self::School(n) => 1_000 + u64::from(n),
            Self::La => 1,
            Self::SocialCare => 2,
            Self::Police => 3,
            Self::Health => 4,
            Self::YouthJustice => 5,
        }
    }
}

/// The true person behind the records (written only to `truth.csv`).
#[derive(Debug, Clone)]
pub struct Person {
    pub id: u64,
    pub given: String,
    pub family: String,
    pub dob: Date,
    pub sex: &'static str,
    pub postcode: String,
    pub upn: Option<Upn>,
    pub nhs: Option<NhsNumber>,
    pub is_child: bool,
    pub trajectory: bool,
    pub harm_date: Option<Date>,
}

/// One agency's view of a person.
#[derive(Debug, Clone)]
pub struct View {
    pub record_key: String,
    pub given: String,
    pub family: String,
    pub alias: String,
    pub dob: Option<Date>,
    pub sex: &'static str,
    pub postcode: String,
    pub upn: Option<String>,
    pub nhs: Option<String>,
}

/// One row to write: who supplies it, in which feed, on what date, and the columns that
/// follow the identity and event key.
#[derive(Debug, Clone)]
pub struct Event {
    pub supplier: Supplier,
    pub feed: Feed,
    pub date: Date,
    pub columns: Vec<String>,
    /// The optional `handling` column as the sender writes it: empty for the feed's default,
    /// or the marker a real sender's system sets on such a row.
    pub handling: &'static str,
    /// The feed's optional detail columns the sender fills (`Feed::optional_columns`), by
    /// name: a destination, a missing episode's length, a stop and search's outcome…
    pub details: Vec<(&'static str, String)>,
}

/// What shapes a child's life in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Risk {
    Low,
    Medium,
    High,
}

fn date(year: i32, month: u8, day: u8) -> Date {
    Month::try_from(month)
        .ok()
        .and_then(|m| Date::from_calendar_date(year, m, day).ok())
        .unwrap_or(Date::MIN)
}

/// A random day in [from, to].
pub fn day_between(rng: &mut Rng, from: Date, to: Date) -> Date {
    let span = (to - from).whole_days().max(0);
    from + Duration::days(rng.between(0, span))
}

/// The three terms of academic year `year` (starting in September of `year`).
pub fn terms(year: i32) -> [(Date, Date); 3] {
    [
        (date(year, 9, 4), date(year, 12, 19)),
        (date(year + 1, 1, 6), date(year + 1, 3, 27)),
        (date(year + 1, 4, 14), date(year + 1, 7, 18)),
    ]
}

/// The national curriculum year group on `day` of a child who started reception in the
/// academic year `reception` (0 is reception).
pub fn year_group_on(reception: i32, day: Date) -> i32 {
    let academic_year = if u8::from(day.month()) >= 9 {
        day.year()
    } else {
        day.year() - 1
    };
    academic_year - reception
}

/// The academic year in which a child born on `dob` starts reception.
pub fn reception_year(dob: Date) -> i32 {
    let cohort = if u8::from(dob.month()) >= 9 {
        dob.year()
    } else {
        dob.year() - 1
    };
    cohort + 5
}

pub fn postcode(rng: &mut Rng) -> String {
    const AREAS: &[&str] = &["BN", "TN", "RH"];
    const INWARD: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let area = rng.pick(AREAS).copied().unwrap_or("BN");
    let district = rng.between(1, 27);
    let digit = rng.between(0, 9);
    let a = char::from(*rng.pick(INWARD).unwrap_or(&b'A'));
    let b = char::from(*rng.pick(INWARD).unwrap_or(&b'B'));
    format!("{area}{district} {digit}{a}{b}")
}

/// A surname from the long tail: a start and an end drawn evenly.
fn rare_surname(rng: &mut Rng) -> String {
    let start = rng.pick(SURNAME_STARTS).copied().unwrap_or("Ash");
    let end = rng.pick(SURNAME_ENDS).copied().unwrap_or("ley");
    format!("{start}{end}")
}

pub fn new_person(rng: &mut Rng, id: u64, dob: Date, is_child: bool) -> Person {
    let sex = if rng.chance(0.51) { "M" } else { "F" };
    // Close to England's spread: the commonest given name is about 3% of a sex, Smith
    // about 1.3% of people, and most surnames are rare.
    let given = if sex == "M" {
        rng.pick_skewed(GIVEN_MALE, 1.1)
    } else {
        rng.pick_skewed(GIVEN_FEMALE, 1.1)
    };
    let mut family = if rng.chance(0.35) {
        rng.pick_skewed(FAMILY, 1.3)
            .copied()
            .unwrap_or("Smith")
            .to_owned()
    } else {
        rare_surname(rng)
    };
    if rng.chance(0.05) {
        // Double-barrelled surnames, which agencies shorten in different ways.
        let second = rng.pick(FAMILY).copied().unwrap_or("Jones");
        if second != family {
            family = format!("{family}-{second}");
        }
    }
    // Each person owns eleven consecutive bodies, at least one of which has a valid check
    // digit, so NHS numbers never collide between people.
    let nhs =
        (0..11).find_map(|k| NhsNumber::from_body(&format!("{:09}", 400_000_000 + id * 11 + k)));
    Person {
        id,
        given: given.copied().unwrap_or("Alex").to_owned(),
        family,
        dob,
        sex,
        postcode: postcode(rng),
        upn: None,
        nhs,
        is_child,
        trajectory: false,
        harm_date: None,
    }
}

fn typo(rng: &mut Rng, word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 4 {
        return word.to_owned();
    }
    let at = 1 + usize::try_from(rng.below(chars.len() as u64 - 2)).unwrap_or(1);
    let mut out = chars.clone();
    match rng.below(3) {
        0 => {
            out.remove(at);
        }
        1 => out.swap(at, at - 1),
        _ => out.insert(at, chars.get(at).copied().unwrap_or('e')),
    }
    out.into_iter().collect()
}

/// How `supplier` records `person`: its own key, and the typos, nicknames, swapped dates,
/// missing identifiers and old addresses that come with real records.
pub fn view(seed: u64, person: &Person, supplier: Supplier) -> View {
    let mut rng = Rng::new(
        seed ^ 0x005E_ED0F_A6E7_C1E5,
        person.id.wrapping_mul(7919) ^ supplier.salt(),
    );
    let police = supplier == Supplier::Police;
    let mut given = person.given.clone();
    let mut alias = String::new();
    let short = nicknames(&person.given);
    if !short.is_empty() && rng.chance(if police { 0.25 } else { 0.04 }) {
        given = rng.pick(short).copied().unwrap_or(&person.given).to_owned();
    }
    if police && rng.chance(0.08) {
        alias = rng
            .pick(if person.sex == "M" {
                GIVEN_MALE
            } else {
                GIVEN_FEMALE
            })
            .copied()
            .unwrap_or("")
            .to_owned();
    }
    if rng.chance(if police { 0.05 } else { 0.015 }) {
        given = typo(&mut rng, &given);
    }
    let mut family = person.family.clone();
    if family.contains('-') && rng.chance(0.4) {
        family = family.split('-').next().unwrap_or(&family).to_owned();
    }
    if rng.chance(if police { 0.04 } else { 0.01 }) {
        family = typo(&mut rng, &family);
    }
    let mut dob = Some(person.dob);
    if rng.chance(0.02) && person.dob.day() <= 12 {
        // Day and month swapped, as happens when a date is keyed in the American order.
        dob = Month::try_from(person.dob.day())
            .ok()
            .and_then(|m| {
                Date::from_calendar_date(person.dob.year(), m, u8::from(person.dob.month())).ok()
            })
            .or(dob);
    } else if rng.chance(0.005) {
        dob = person.dob.replace_year(person.dob.year() - 1).ok();
    }
    if police && rng.chance(0.04) {
        dob = None;
    }
    let postcode = if rng.chance(0.12) {
        self::postcode(&mut rng)
    } else {
        person.postcode.clone()
    };
    let upn = match supplier {
        Supplier::School(_) | Supplier::La => person.upn.as_ref().map(|u| u.as_str().to_owned()),
        _ => None,
    };
    let nhs = match supplier {
        Supplier::Health => person.nhs.as_ref().map(|n| n.as_str().to_owned()),
        Supplier::SocialCare if rng.chance(0.7) => {
            person.nhs.as_ref().map(|n| n.as_str().to_owned())
        }
        _ => None,
    };
    let record_key = match supplier {
        // Schools know a pupil by UPN, as their Common Transfer Files do.
        Supplier::School(n) => upn
            .clone()
            .unwrap_or_else(|| format!("S{n:03}-{:07}", person.id)),
        Supplier::La => format!("LA{:08}", person.id),
        Supplier::SocialCare => format!("CSC{:08}", person.id),
        Supplier::Police => format!("PN{:08}", person.id * 3 + 1),
        Supplier::Health => nhs.clone().unwrap_or_else(|| format!("H{:08}", person.id)),
        Supplier::YouthJustice => format!("YJ{:07}", person.id),
    };
    View {
        record_key,
        given,
        family,
        alias,
        dob,
        sex: person.sex,
        postcode,
        upn,
        nhs,
    }
}
