use super::*;
use harbour_domain::feed_codes::{
    DESTINATIONS, FAIR_ACCESS_RESPONSES, INJURY_SEVERITIES, REFERRAL_REASONS, REFERRERS,
    STOP_SEARCH_OUTCOMES, code_in,
};

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn the_same_seed_makes_the_same_county() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let config = Config::new(400, 42);
    let first = generate(&config, &a.path().join("c"), |_| {}).unwrap();
    let second = generate(&config, &b.path().join("c"), |_| {}).unwrap();
    assert_eq!(first.events, second.events);
    assert_eq!(
        read(&a.path().join("c"), "truth.csv"),
        read(&b.path().join("c"), "truth.csv")
    );
    assert_eq!(
        read(&a.path().join("c"), "manifest.json"),
        read(&b.path().join("c"), "manifest.json")
    );
    assert_eq!(
        read(&a.path().join("c"), "registers_truth.json"),
        read(&b.path().join("c"), "registers_truth.json")
    );
    assert_eq!(
        read(&a.path().join("c"), "casework.json"),
        read(&b.path().join("c"), "casework.json")
    );
    let other = tempfile::tempdir().unwrap();
    let different = generate(&Config::new(400, 43), &other.path().join("c"), |_| {}).unwrap();
    assert_ne!(
        read(&a.path().join("c"), "truth.csv"),
        read(&other.path().join("c"), "truth.csv")
    );
    assert!(different.events > 0);
}

#[test]
fn feeds_match_their_layouts_and_every_record_is_in_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("county");
    let summary = generate(&Config::new(3_000, 7), &out, |_| {}).unwrap();
    assert_eq!(summary.children, 3_000);
    assert!(
        summary.trajectories > 0,
        "some children follow the Child AA pattern"
    );

    let manifest: serde_json::Value = serde_json::from_str(&read(&out, "manifest.json")).unwrap();
    let mut truth = csv::Reader::from_path(out.join("truth.csv")).unwrap();
    let known: std::collections::BTreeSet<(String, String)> = truth
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned())
        })
        .collect();
    assert_eq!(known.len() as u64, summary.source_records);
    let mut rows = 0;
    let mut handled: std::collections::BTreeMap<(Feed, String), u64> = Default::default();
    // (feed, optional detail column) → value → rows.
    let mut details: std::collections::BTreeMap<
        (Feed, String),
        std::collections::BTreeMap<String, u64>,
    > = Default::default();
    let (mut leaving_reasons, mut year_groups) = (0, 0);
    for feed in manifest["feeds"].as_array().unwrap() {
        let layout: Feed = feed["feed"].as_str().unwrap().parse().unwrap();
        let agency = feed["agency"].as_str().unwrap().to_owned();
        if layout.is_xml() {
            // A Common Transfer File: each pupil's UPN is its record key, and each joining and
            // leaving date is one event.
            let xml = read(&out, feed["file"].as_str().unwrap());
            assert!(xml.starts_with("<?xml") && xml.trim_end().ends_with("</CTfile>"));
            for pupil in xml.split("<Pupil>").skip(1) {
                let upn = pupil
                    .split("<UPN>")
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap();
                assert!(
                    known.contains(&(agency.clone(), upn.to_owned())),
                    "{agency} {upn}"
                );
                rows += (pupil.matches("<EntryDate>").count()
                    + pupil.matches("<LeavingDate>").count()) as u64;
                for reason in pupil.split("<LeavingReason>").skip(1) {
                    let code = reason.split('<').next().unwrap();
                    assert!(
                        code_in(DESTINATIONS, code) == Some(code),
                        "LeavingReason {code:?}"
                    );
                    leaving_reasons += 1;
                }
                if let Some(year) = pupil.split("<NCyearActual>").nth(1) {
                    let year = year.split('<').next().unwrap();
                    assert!(
                        year == "R" || (1..=11).contains(&year.parse::<i32>().unwrap()),
                        "NCyearActual {year:?}"
                    );
                    year_groups += 1;
                }
            }
            continue;
        }
        let mut reader = csv::Reader::from_path(out.join(feed["file"].as_str().unwrap())).unwrap();
        let header = [layout.columns(), layout.optional_columns()].concat();
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), header);
        for row in reader.records() {
            let row = row.unwrap();
            assert_eq!(row.len(), header.len());
            for (column, value) in header
                .iter()
                .zip(row.iter())
                .skip(layout.columns().len() + 1)
            {
                if !value.is_empty() {
                    *details
                        .entry((layout, (*column).to_owned()))
                        .or_default()
                        .entry(value.to_owned())
                        .or_default() += 1;
                }
            }
            // The handling column is empty (the feed's default) or one of the policy's markers.
            let marker = &row[layout.columns().len()];
            assert!(
                marker.is_empty() || marker.parse::<harbour_domain::Handling>().is_ok(),
                "{marker:?}"
            );
            if !marker.is_empty() {
                *handled.entry((layout, marker.to_owned())).or_default() += 1;
            }
            assert!(
                known.contains(&(agency.clone(), row[0].to_owned())),
                "{agency} {} missing from truth",
                &row[0]
            );
            rows += 1;
        }
    }
    assert_eq!(rows, summary.events);
    // Written where a real sender would: the youth justice service's work with a child known
    // to MACE is restricted; police intelligence is marked so.
    assert!(
        handled.contains_key(&(Feed::YouthJustice, "restricted".into()))
            && handled.contains_key(&(Feed::Police, "police_intelligence".into())),
        "{handled:?}"
    );
    // The details the feeds carry, written at plausible rates and always in their code lists.
    let values = |feed: Feed, column: &str| {
        details
            .get(&(feed, column.to_owned()))
            .cloned()
            .unwrap_or_default()
    };
    let total = |counts: &std::collections::BTreeMap<String, u64>| counts.values().sum::<u64>();
    for (feed, column, list) in [
        (Feed::Police, "outcome", STOP_SEARCH_OUTCOMES),
        (Feed::Health, "severity", INJURY_SEVERITIES),
        (Feed::SocialCare, "referral_reason", REFERRAL_REASONS),
        (Feed::SocialCare, "referrer", REFERRERS),
        (Feed::LaEducation, "response", FAIR_ACCESS_RESPONSES),
    ] {
        let counts = values(feed, column);
        assert!(total(&counts) > 0, "{feed} {column} is never written");
        for value in counts.keys() {
            assert_eq!(
                code_in(list, value),
                Some(value.as_str()),
                "{feed} {column}"
            );
        }
    }
    // The registers' details: every allocated school a school number the county has, every
    // placement's hours a week ones the importer takes.
    let allocated = values(Feed::LaEducation, "allocated_school");
    assert!(total(&allocated) > 0);
    for number in allocated.keys() {
        harbour_domain::SchoolNumber::parse(number).unwrap();
        assert!(
            manifest["agencies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["school_number"] == number.as_str()),
            "{number}"
        );
    }
    let hours = values(Feed::LaEducation, "hours_per_week");
    assert!(total(&hours) > 0);
    assert!(
        hours
            .keys()
            .all(|h| (0.5..=60.0).contains(&h.parse::<f64>().unwrap())),
        "{hours:?}"
    );
    let outcomes = values(Feed::Police, "outcome");
    assert!(
        outcomes["no_further_action"] * 2 > total(&outcomes),
        "most searches find nothing: {outcomes:?}"
    );
    let severity = values(Feed::Health, "severity");
    assert!(
        severity.get("life_threatening").copied().unwrap_or(0) * 20 < total(&severity),
        "{severity:?}"
    );
    let out_of_area = values(Feed::Police, "found_out_of_area");
    let yes = out_of_area.get("yes").copied().unwrap_or(0);
    assert!(
        yes > 0
            && yes * 4 < total(&out_of_area)
            && out_of_area.keys().all(|v| v == "yes" || v == "no"),
        "{out_of_area:?}"
    );
    let hours = values(Feed::Police, "missing_hours");
    assert_eq!(
        total(&hours),
        total(&out_of_area),
        "every episode has a length"
    );
    assert!(
        hours
            .keys()
            .all(|h| (1..=8_760).contains(&h.parse::<u32>().unwrap()))
    );
    assert!(total(&values(Feed::Police, "found_at")) > 0);
    assert!(
        leaving_reasons > 0 && year_groups > 0,
        "{leaving_reasons} {year_groups}"
    );
    let readme = read(&out, "README.md");
    assert!(
        readme.contains("9.33") && readme.contains("DfE"),
        "the README lists its sources"
    );
}

#[test]
fn refuses_to_write_over_an_existing_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "x").unwrap();
    assert!(matches!(
        generate(&Config::new(10, 1), dir.path(), |_| {}),
        Err(SynthError::NotEmpty(_))
    ));
    assert!(dir.path().join("keep.txt").exists());
}

#[test]
fn identifiers_belong_to_one_person_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("county");
    generate(&Config::new(5_000, 3), &out, |_| {}).unwrap();
    let mut truth = csv::Reader::from_path(out.join("truth.csv")).unwrap();
    let person_of: std::collections::HashMap<(String, String), String> = truth
        .records()
        .map(|r| {
            let r = r.unwrap();
            ((r[0].to_owned(), r[1].to_owned()), r[2].to_owned())
        })
        .collect();
    let manifest: serde_json::Value = serde_json::from_str(&read(&out, "manifest.json")).unwrap();
    let mut owners: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for feed in manifest["feeds"].as_array().unwrap() {
        let agency = feed["agency"].as_str().unwrap().to_owned();
        if feed["feed"] == "school_ctf" {
            // Keyed by UPN itself: one person per UPN is checked through the truth.
            let xml = read(&out, feed["file"].as_str().unwrap());
            for pupil in xml.split("<Pupil>").skip(1) {
                let upn = pupil
                    .split("<UPN>")
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap();
                let person = &person_of[&(agency.clone(), upn.to_owned())];
                let owner = owners
                    .entry(upn.to_owned())
                    .or_insert_with(|| person.clone());
                assert_eq!(owner, person, "UPN {upn} is shared by two people");
            }
            continue;
        }
        let mut reader = csv::Reader::from_path(out.join(feed["file"].as_str().unwrap())).unwrap();
        let headers = reader.headers().unwrap().clone();
        let columns: Vec<usize> = ["upn", "nhs_number"]
            .iter()
            .filter_map(|name| headers.iter().position(|h| h == *name))
            .collect();
        for row in reader.records() {
            let row = row.unwrap();
            let person = &person_of[&(agency.clone(), row[0].to_owned())];
            for &column in &columns {
                let value = &row[column];
                if value.is_empty() {
                    continue;
                }
                let owner = owners
                    .entry(value.to_owned())
                    .or_insert_with(|| person.clone());
                assert_eq!(owner, person, "identifier {value} is shared by two people");
            }
        }
    }
    assert!(owners.len() > 5_000, "identifiers were checked");
}

/// The registers' answer key has every case the registers must tell apart: provision by the
/// sixth school day and late, full-time and part-time, children never placed, spells missing
/// education either side of the tracing limit and still open, and a panel whose schools
/// answer unequally.
#[test]
fn the_registers_truth_has_every_case_the_registers_tell_apart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("county");
    let summary = generate(&Config::new(20_000, 9), &out, |_| {}).unwrap();
    let truth: registers_truth::RegistersTruth =
        serde_json::from_str(&read(&out, "registers_truth.json")).unwrap();
    let f = &truth.figures;
    eprintln!("{f:#?}");
    assert_eq!(f.exclusions as u64, summary.permanent_exclusions);
    assert_eq!(f.missing_spells as u64, summary.cme_starts);
    assert_eq!(
        f.fair_access_decisions as u64,
        summary.fair_access_decisions
    );
    let on_time = f.full_time_by_day_six;
    assert!(
        on_time > 0 && on_time * 2 < f.exclusions_past_day_six,
        "some, not most, have full-time provision by day 6: {f:?}"
    );
    let part_time = truth
        .exclusions
        .iter()
        .filter(|e| e.first_provision_hours.is_some_and(|h| h < 25.0))
        .count();
    assert!(part_time > 0 && f.never_placed > 0, "{f:?}");
    let traced = f.missing_traced_within_limit;
    assert!(traced > 0 && traced < f.missing_due, "{f:?}");
    assert!(f.missing_open > 0 || f.missing_spells < 20, "{f:?}");
    let responses: std::collections::BTreeSet<&str> = truth
        .fair_access
        .iter()
        .map(|d| d.response.as_str())
        .collect();
    assert!(
        responses.contains("accepted") && responses.contains("refused"),
        "{responses:?}"
    );
    let accepted: Vec<u32> = truth
        .fair_access_by_school
        .values()
        .map(|s| s.accepted)
        .collect();
    assert!(
        accepted.iter().max() > accepted.iter().min().map(|m| m * 2 + 1).as_ref(),
        "schools take unequal shares: {accepted:?}"
    );
    // Every day the key names is a school day by the county's terms where the law counts
    // school days, and the calendar the county writes says the same terms.
    for e in &truth.exclusions {
        assert!(school_days::is_school_day(e.excluded_on), "{e:?}");
        assert!(e.day_six > e.excluded_on);
    }
    let calendar = read(&out, "calendar.toml");
    assert!(calendar.contains("[[term]]"));
    let manifest: Manifest = serde_json::from_str(&read(&out, "manifest.json")).unwrap();
    assert!(
        manifest
            .agencies
            .iter()
            .filter(|a| a.kind == AgencyKind::School)
            .all(|a| a.school_number.is_some())
    );
}

/// What officers recorded (`casework.json`) names each case by a feed row that opens it (the
/// agency's permanent exclusion or the authority's `cme_start`, by its `event_key`), and every
/// fact passes the registers' own rules on the as-of day, in order; the answer key agrees.
#[test]
fn the_casework_names_feed_rows_and_passes_the_registers_rules() {
    use harbour_casework::exclusions::{Entry, Fact};
    use harbour_casework::not_in_school::{CmeEpisode, CmeFact};
    use harbour_casework::placements::{Placement, PlacementFact};

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("county");
    let config = Config::new(6_000, 5);
    generate(&config, &out, |_| {}).unwrap();
    let casework: casework::CaseworkFile =
        serde_json::from_str(&read(&out, "casework.json")).unwrap();
    let truth: registers_truth::RegistersTruth =
        serde_json::from_str(&read(&out, "registers_truth.json")).unwrap();
    let as_of = config.as_of;
    assert_eq!(casework.as_of, Some(as_of));
    let rules = harbour_rules::RuleSet::from_sources(&[(
        "calendar.toml".into(),
        read(&out, "calendar.toml"),
    )])
    .unwrap();
    let calendar = rules.calendar();

    // Each feed's rows by (agency, event_key): the kind and the day.
    let mut rows: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for (agency, file) in [("la-education", "la_education.csv")]
        .into_iter()
        .map(|(a, f)| (a.to_owned(), f))
        .chain((0..200).map(|n| (format!("school-{n:03}"), "school_exclusions.csv")))
    {
        let path = out.join("feeds").join(&agency).join(file);
        let Ok(mut reader) = csv::Reader::from_path(&path) else {
            continue;
        };
        let headers = reader.headers().unwrap().clone();
        let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let key = column("event_key");
        let kind = key + 1;
        let day = key + 2;
        for row in reader.records() {
            let row = row.unwrap();
            rows.insert(
                (agency.clone(), row[key].to_owned()),
                (row[kind].to_owned(), row[day].to_owned()),
            );
        }
    }

    let (mut boards, mut reviews, mut steps, mut closures, mut ended) = (0, 0, 0, 0, 0);
    for case in &casework.cases {
        let (kind, day) = rows
            .get(&(case.agency.clone(), case.source_key.clone()))
            .unwrap_or_else(|| panic!("no feed row {} {}", case.agency, case.source_key));
        let first: Date =
            Date::parse(day, &time::format_description::well_known::Iso8601::DATE).unwrap();
        match &case.facts {
            casework::Facts::Exclusions { facts } => {
                assert_eq!(kind, "PERM", "{case:?}");
                let mut entry = Entry::new(first);
                for fact in facts {
                    entry
                        .check(fact, calendar, as_of)
                        .unwrap_or_else(|r| panic!("{r}: {case:?}"));
                    match fact {
                        Fact::BoardDecision { .. } => boards += 1,
                        Fact::Review { .. } => reviews += 1,
                        Fact::Closed { .. } => closures += 1,
                        _ => {}
                    }
                    entry.facts.push(fact.clone());
                }
            }
            casework::Facts::AlternativeProvision { facts } => {
                assert_eq!(kind, "ap_placement", "{case:?}");
                let mut placement = Placement {
                    starts_on: first,
                    facts: Vec::new(),
                };
                for fact in facts {
                    placement
                        .check(fact, as_of)
                        .unwrap_or_else(|r| panic!("{r}: {case:?}"));
                    if matches!(fact, PlacementFact::Ended { .. }) {
                        ended += 1;
                    }
                    placement.facts.push(fact.clone());
                }
            }
            casework::Facts::MissingEducation { facts } => {
                assert_eq!(kind, "cme_start", "{case:?}");
                let mut episode = CmeEpisode {
                    first_day: first,
                    facts: Vec::new(),
                };
                for fact in facts {
                    episode
                        .check(fact, as_of)
                        .unwrap_or_else(|r| panic!("{r}: {case:?}"));
                    assert!(matches!(fact, CmeFact::Step { .. }));
                    steps += 1;
                    episode.facts.push(fact.clone());
                }
            }
        }
    }
    let f = &truth.figures;
    eprintln!(
        "{boards} board decisions, {reviews} reviews, {closures} closures, {ended} placements \
         ended, {steps} steps; {f:?}"
    );
    // Some entries closed and some open; some placements ended and some running.
    assert_eq!(closures, f.exclusions - f.exclusions_open, "{f:?}");
    assert!(closures > 0 && f.exclusions_open > 0, "{f:?}");
    let placements: usize = truth.exclusions.iter().map(|e| e.placements.len()).sum();
    assert_eq!(ended, placements - f.placements_running, "{f:?}");
    assert!(ended > 0 && f.placements_running > 0, "{f:?}");
    assert_eq!(boards, f.boards_within_limit + f.boards_late);
    assert_eq!(
        reviews,
        truth
            .exclusions
            .iter()
            .map(|e| e.reviews.len())
            .sum::<usize>()
    );
    assert_eq!(
        steps,
        truth
            .missing_education
            .iter()
            .map(|m| m.steps.len())
            .sum::<usize>()
    );
    assert!(boards > 0 && reviews > 0 && steps > 0);
    assert!(
        f.boards_late + f.boards_missed > 0 && f.reviews_overdue > 0,
        "{f:?}"
    );
    // Every board decision day the key names is a school day counted on the county's terms.
    for e in &truth.exclusions {
        assert!(e.board_due > e.excluded_on, "{e:?}");
        if let Some(on) = e.board_decision_on {
            assert_eq!(e.board_within_limit, Some(on <= e.board_due), "{e:?}");
        }
    }
}
