//! Blocking completeness under each kind of noise, as properties: whatever the child's
//! details, a second record of them with one kind of noise (any single field wrong or
//! missing, and the common two-field combinations) is still made a candidate pair, among
//! other children who share their surname, birthday or postcode.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_link::blocking::{Limits, candidate_pairs};
use harbour_link::record::{Prepared, Record};
use proptest::prelude::*;
use time::{Date, Duration, Month};

/// No floor of pairs per rule: the budget a county-sized list has, a few pairs a record.
const LIMITS: Limits = Limits {
    max_block: 1_000,
    pairs_per_record: 3,
    min_rule_pairs: 0,
};

/// A name of 3 to 10 letters, capitalised.
fn name() -> impl Strategy<Value = String> {
    "[a-z]{3,10}".prop_map(|s| {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    })
}

fn postcode() -> impl Strategy<Value = String> {
    ("[A-Z]{2}", 1u8..40, 0u8..10, "[ABDEFGHJLNPQRSTUWXYZ]{2}")
        .prop_map(|(area, district, sector, unit)| format!("{area}{district} {sector}{unit}"))
}

fn child() -> impl Strategy<Value = Record> {
    (name(), name(), 0i64..6_500, postcode(), prop::bool::ANY).prop_map(
        |(given, family, day, postcode, male)| Record {
            given_name: given,
            family_name: family,
            date_of_birth: Some(
                Date::from_calendar_date(2005, Month::January, 1).unwrap() + Duration::days(day),
            ),
            sex: Some(if male { "M" } else { "F" }.into()),
            postcode,
            upn: None,
            nhs_number: None,
            aliases: Vec::new(),
        },
    )
}

/// One kind of noise, applied to a copy of a record.
#[derive(Debug, Clone)]
enum Noise {
    /// A letter of the given name replaced (`at` picks which, `by` the letter).
    GivenTypo {
        at: usize,
        by: char,
    },
    FamilyTypo {
        at: usize,
        by: char,
    },
    /// Two adjacent letters of the given name transposed.
    GivenTransposed {
        at: usize,
    },
    GivenMissing,
    FamilyMissing,
    /// A new family name (a step-parent's).
    FamilyChanged(String),
    /// A nickname: a different given name with the same first letter.
    Nickname(String),
    NamesSwapped,
    DobMissing,
    /// The date a number of days out (a wrong day, month or year).
    DobShifted(i64),
    /// The year off by one.
    YearOffByOne,
    DayMonthSwapped,
    Moved(String),
    PostcodeMissing,
    /// Both names misspelt, date and postcode right.
    BothNamesTypo {
        at: usize,
        by: char,
    },
    /// Given name misspelt and date wrong, family name and postcode right.
    GivenTypoAndDobShifted {
        at: usize,
        by: char,
        days: i64,
    },
    /// Family name misspelt and moved, given name and date right.
    FamilyTypoAndMoved {
        at: usize,
        by: char,
        to: String,
    },
}

fn noise() -> impl Strategy<Value = Noise> {
    let letter = prop::char::range('a', 'z');
    prop_oneof![
        (0usize..10, letter.clone()).prop_map(|(at, by)| Noise::GivenTypo { at, by }),
        (0usize..10, letter.clone()).prop_map(|(at, by)| Noise::FamilyTypo { at, by }),
        (0usize..9).prop_map(|at| Noise::GivenTransposed { at }),
        Just(Noise::GivenMissing),
        Just(Noise::FamilyMissing),
        name().prop_map(Noise::FamilyChanged),
        name().prop_map(Noise::Nickname),
        Just(Noise::NamesSwapped),
        Just(Noise::DobMissing),
        prop_oneof![1i64..40, -40i64..-1, 300i64..800].prop_map(Noise::DobShifted),
        Just(Noise::YearOffByOne),
        Just(Noise::DayMonthSwapped),
        postcode().prop_map(Noise::Moved),
        Just(Noise::PostcodeMissing),
        (0usize..10, letter.clone()).prop_map(|(at, by)| Noise::BothNamesTypo { at, by }),
        (0usize..10, letter.clone(), 1i64..400)
            .prop_map(|(at, by, days)| Noise::GivenTypoAndDobShifted { at, by, days }),
        (0usize..10, letter, postcode()).prop_map(|(at, by, to)| Noise::FamilyTypoAndMoved {
            at,
            by,
            to
        }),
    ]
}

fn typo(name: &str, at: usize, by: char) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    // Never the first letter: first letters anchor several rules, and a typo there is rare.
    let at = 1 + at % (chars.len() - 1);
    chars[at] = by;
    chars.into_iter().collect()
}

fn apply(noise: &Noise, r: &Record) -> Record {
    let mut n = r.clone();
    let dob = r.date_of_birth.unwrap();
    match noise {
        Noise::GivenTypo { at, by } => n.given_name = typo(&r.given_name, *at, *by),
        Noise::FamilyTypo { at, by } => n.family_name = typo(&r.family_name, *at, *by),
        Noise::GivenTransposed { at } => {
            let mut chars: Vec<char> = r.given_name.chars().collect();
            let at = at % (chars.len() - 1);
            chars.swap(at, at + 1);
            n.given_name = chars.into_iter().collect();
        }
        Noise::GivenMissing => n.given_name.clear(),
        Noise::FamilyMissing => n.family_name.clear(),
        Noise::FamilyChanged(to) => n.family_name.clone_from(to),
        Noise::Nickname(other) => {
            let first: String = r.given_name.chars().take(1).collect();
            n.given_name = format!("{first}{}", other.to_lowercase());
        }
        Noise::NamesSwapped => {
            n.given_name.clone_from(&r.family_name);
            n.family_name.clone_from(&r.given_name);
        }
        Noise::DobMissing => n.date_of_birth = None,
        Noise::DobShifted(days) => n.date_of_birth = Some(dob + Duration::days(*days)),
        Noise::YearOffByOne => {
            n.date_of_birth = dob.replace_year(dob.year() + 1).ok().or(Some(dob));
        }
        Noise::DayMonthSwapped => {
            if let Ok(month) = Month::try_from(dob.day()) {
                n.date_of_birth =
                    Date::from_calendar_date(dob.year(), month, u8::from(dob.month())).ok();
            }
        }
        Noise::Moved(to) => n.postcode.clone_from(to),
        Noise::PostcodeMissing => n.postcode.clear(),
        Noise::BothNamesTypo { at, by } => {
            n.given_name = typo(&r.given_name, *at, *by);
            n.family_name = typo(&r.family_name, *at + 1, *by);
        }
        Noise::GivenTypoAndDobShifted { at, by, days } => {
            n.given_name = typo(&r.given_name, *at, *by);
            n.date_of_birth = Some(dob + Duration::days(*days));
        }
        Noise::FamilyTypoAndMoved { at, by, to } => {
            n.family_name = typo(&r.family_name, *at, *by);
            n.postcode.clone_from(to);
        }
    }
    n
}

/// Other children who share the first one's surname, birthday or postcode (a sibling, a
/// classmate born the same day, a neighbour): the crowd the pair must be found in.
fn crowd(r: &Record, others: &[Record]) -> Vec<Record> {
    others
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut o = o.clone();
            match i % 3 {
                0 => o.family_name.clone_from(&r.family_name),
                1 => o.date_of_birth = r.date_of_birth,
                _ => o.postcode.clone_from(&r.postcode),
            }
            o
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_second_record_with_one_kind_of_noise_is_still_a_candidate(
        base in child(),
        noise in noise(),
        others in prop::collection::vec(child(), 0..30),
    ) {
        let noisy = apply(&noise, &base);
        let mut records = vec![base.clone(), noisy];
        records.extend(crowd(&base, &others));
        let prepared: Vec<Prepared> = records.iter().map(Prepared::new).collect();
        let pairs = candidate_pairs(&prepared, LIMITS);
        prop_assert!(
            pairs.contains(&(0, 1)),
            "{noise:?} lost the pair: {:?} / {:?}",
            records[0],
            records[1]
        );
    }
}
