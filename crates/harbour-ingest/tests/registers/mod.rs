//! The education registers built from a synthetic county's feeds, held against the county's
//! answer key (`registers_truth.json`), on SQLite and (when `HARBOUR_TEST_POSTGRES_URL` is
//! set) PostgreSQL. The key is worked out by the generator with its own school-day
//! arithmetic, so a disagreement here is a bug on one side or the other: the registers'
//! clocks and figures, the import of the placements and panel decisions, linking an
//! authority's record to the school's, or the generator. What the county's officers recorded
//! by hand (`casework.json`) is entered first, as named officers through the pages' store
//! calls, and each board clock, next review and set of tracing steps is held against the key.

use super::{NOW, stores};
use harbour_casework::ClockState;
use harbour_casework::exclusions::{Fact, Settings, Status};
use harbour_casework::not_in_school::TraceStep;
use harbour_casework::task::TaskKind;
use harbour_domain::feeds::Manifest;
use harbour_domain::{AgencyKind, Role, UserId};
use harbour_ingest::{Pipeline, Placement, set_up_agencies};
use harbour_policy::Principal;
use harbour_rules::RuleSet;
use harbour_store::NewUser;
use harbour_store::{NotInSchoolDay, RegisterDay};
use harbour_synth::county::{self, casework::CaseworkFile, registers_truth::RegistersTruth};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::Date;
use uuid::Uuid;

#[tokio::test]
async fn the_registers_built_from_a_synthetic_county_give_its_known_answers() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("county");
    county::generate(&county::Config::new(3_000, 31), &dir, |_| {}).unwrap();
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    let truth: RegistersTruth = serde_json::from_str(&read("registers_truth.json")).unwrap();
    let manifest: Manifest = serde_json::from_str(&read("manifest.json")).unwrap();
    let casework: CaseworkFile = serde_json::from_str(&read("casework.json")).unwrap();
    let casework_facts: usize = casework
        .cases
        .iter()
        .map(|c| match &c.facts {
            county::casework::Facts::Exclusions { facts } => facts.len(),
            county::casework::Facts::MissingEducation { facts } => facts.len(),
            county::casework::Facts::AlternativeProvision { facts } => facts.len(),
        })
        .sum();
    let as_of = truth.as_of.unwrap();
    // The registers count school days on the county's own terms, as a council's would.
    let rules = RuleSet::from_sources(&[("calendar.toml".into(), read("calendar.toml"))]).unwrap();
    let calendar = rules.calendar();
    assert!(truth.figures.exclusions >= 8, "{:?}", truth.figures);
    assert!(truth.figures.missing_spells >= 20, "{:?}", truth.figures);
    assert!(
        truth.figures.fair_access_decisions >= 8,
        "{:?}",
        truth.figures
    );
    // Board decisions in time and late, reviews overdue and not, and tracing steps.
    let f = &truth.figures;
    assert!(
        f.boards_within_limit > 0 && f.boards_late + f.boards_missed > 0,
        "{f:?}"
    );
    assert!(
        f.reviews_overdue > 0 && f.reviews_overdue < f.exclusions_open,
        "{f:?}"
    );
    assert!(f.missing_with_steps > 0, "{f:?}");

    // Which synthetic person is behind each agency record.
    let mut person_of_record: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(dir.join("truth.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        person_of_record.insert(
            (row[0].to_owned(), row[1].to_owned()),
            row[2].parse().unwrap(),
        );
    }

    for (store, _keep) in stores().await {
        let name = store.location().backend_name();
        let pipeline = Pipeline::new(
            store.clone(),
            Arc::new(RuleSet::builtin().unwrap()),
            Arc::new(harbour_domain::FixedClock::new(NOW)),
        );
        let (tenant, files) = set_up_agencies(&store, &manifest, &dir, Placement::AsNamed, NOW)
            .await
            .unwrap();
        pipeline
            .import_files(&tenant, &files, |_| {})
            .await
            .unwrap();
        pipeline.drain().await.unwrap();

        // What the county's officers recorded by hand (`casework.json`), entered as the
        // authority's inclusion officer and CME officer through the pages' store calls.
        let la = store
            .list_agencies(&tenant)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgencyKind::LocalAuthority && a.code == "la-education")
            .unwrap();
        let mut officers = Vec::new();
        for (role, email) in [
            (Role::LaInclusionOfficer, "inclusion@example.invalid"),
            (Role::LaCmeEheOfficer, "cme@example.invalid"),
        ] {
            let user = NewUser {
                id: UserId::new_v7(),
                tenant: tenant.clone(),
                agency: la.id,
                email: email.into(),
                display_name: email.into(),
                roles: [role].into(),
                is_demo: false,
            };
            store.create_user(&user, NOW).await.unwrap();
            officers.push(Principal {
                user: user.id,
                tenant: tenant.clone(),
                agency: la.id,
                roles: user.roles,
            });
        }
        let recorded = county::casework::record(
            &store,
            &tenant,
            county::casework::Officers {
                inclusion: &officers[0],
                missing_education: &officers[1],
            },
            &dir,
            calendar,
            harbour_casework::RegisterSettings::default(),
            as_of,
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(recorded.entries, casework.cases.len(), "{name}");
        assert_eq!(recorded.facts, casework_facts, "{name}");

        // Each linked person as the synthetic person behind their records (one, or the
        // linking joined two children and the comparison below cannot be trusted).
        let mut synthetic: BTreeMap<Uuid, BTreeSet<u64>> = BTreeMap::new();
        for (_, agency, key, person) in store.record_persons(&tenant, NOW).await.unwrap() {
            if let Some(id) = person_of_record.get(&(agency, key)) {
                synthetic.entry(person).or_default().insert(*id);
            }
        }
        let one = |person: Uuid| -> u64 {
            let ids = &synthetic[&person];
            assert_eq!(ids.len(), 1, "{name}: person {person} joins {ids:?}");
            *ids.first().unwrap()
        };

        // The permanent exclusions register: one entry per exclusion, each with the sixth
        // school day, its state and the first provision the key gives.
        let day = RegisterDay {
            calendar,
            settings: Settings::default(),
            today: as_of,
        };
        let register = store
            .exclusions_register_report(&tenant, day, NOW)
            .await
            .unwrap();
        assert_eq!(
            register.entries.len(),
            truth.exclusions.len(),
            "{name}: one entry per exclusion"
        );
        for entry in &register.entries {
            let id = one(entry.person.0);
            let expected = truth
                .exclusions
                .iter()
                .find(|e| e.person_id == id && e.excluded_on == entry.first_day)
                .unwrap_or_else(|| panic!("{name}: no exclusion of {id} on {}", entry.first_day));
            let a = &entry.assessment;
            assert_eq!(a.day_six.due, expected.day_six, "{name}: {expected:?}");
            let met = matches!(a.day_six.state(as_of), ClockState::Met { .. });
            assert_eq!(
                met, expected.full_time_by_day_six,
                "{name}: {expected:?} {a:?}"
            );
            assert_eq!(
                a.school_days_to_provision, expected.school_days_to_full_time,
                "{name}: {expected:?}"
            );
            // Every placement the authority reported is an offer on the entry.
            let mut offers: Vec<(Date, f64)> = entry
                .history
                .iter()
                .filter_map(|f| match &f.fact {
                    Fact::Offer {
                        starts_on, hours, ..
                    } => Some((*starts_on, f64::from(hours.tenths()) / 10.0)),
                    _ => None,
                })
                .collect();
            offers.sort_by_key(|o| o.0);
            let placements: Vec<(Date, f64)> = expected
                .placements
                .iter()
                .map(|p| (p.starts_on, p.hours))
                .collect();
            assert_eq!(offers, placements, "{name}: {expected:?}");
            assert_eq!(
                offers.first().copied(),
                expected
                    .first_provision_on
                    .zip(expected.first_provision_hours),
                "{name}: {expected:?}"
            );
            // The officers' casework: the board's clock and the next review of the offer.
            let board = match a.board.state(as_of) {
                ClockState::Met { .. } => "met",
                ClockState::MetLate { .. } => "met_late",
                ClockState::Missed { .. } => "missed",
                ClockState::Due { .. } => "due",
            };
            assert_eq!(a.board.due, expected.board_due, "{name}: {expected:?}");
            assert_eq!(
                a.board.met_on, expected.board_decision_on,
                "{name}: {expected:?}"
            );
            assert_eq!(board, expected.board_state, "{name}: {expected:?}");
            assert_eq!(
                a.next_review, expected.next_review_due,
                "{name}: {expected:?}"
            );
            // Closed when and as the officer closed it.
            let closed = match &a.status {
                Status::Closed { on, closure } => Some((*on, closure.label().to_owned())),
                Status::Open => None,
            };
            assert_eq!(
                closed,
                expected.closed_on.zip(expected.closure.clone()),
                "{name}: {expected:?}"
            );
            let overdue = a
                .tasks
                .iter()
                .any(|t| t.kind == TaskKind::ReviewOffer && t.overdue);
            assert_eq!(overdue, expected.review_overdue, "{name}: {expected:?}");
        }
        let figures = &register.figures;
        let known = &truth.figures;
        eprintln!("{name}: {figures:?}\nknown: {known:?}");
        assert_eq!(
            figures.past_day_six, known.exclusions_past_day_six,
            "{name}"
        );
        assert_eq!(
            figures.full_time_by_day_six, known.full_time_by_day_six,
            "{name}"
        );
        assert_eq!(
            figures.median_school_days_to_provision, known.median_school_days_to_full_time,
            "{name}"
        );
        assert_eq!(figures.overdue_reviews, known.reviews_overdue, "{name}");
        assert_eq!(figures.on_register, known.exclusions_open, "{name}");

        // Children missing education: one episode per spell, closed when the key says the
        // child was found, traced within 20 school days when it says so.
        let day = NotInSchoolDay {
            calendar,
            settings: harbour_casework::not_in_school::Settings::default(),
            today: as_of,
        };
        let cnis = store
            .children_not_in_school_report(&tenant, day, NOW)
            .await
            .unwrap();
        assert_eq!(
            cnis.missing_education.len(),
            truth.missing_education.len(),
            "{name}: one episode per spell"
        );
        for entry in &cnis.missing_education {
            let id = one(entry.person.0);
            let expected = truth
                .missing_education
                .iter()
                .find(|m| m.person_id == id && m.started_on == entry.first_day)
                .unwrap_or_else(|| panic!("{name}: no spell of {id} from {}", entry.first_day));
            let a = &entry.assessment;
            assert_eq!(a.open, !expected.closed, "{name}: {expected:?}");
            assert_eq!(
                a.days_missing, expected.days_missing,
                "{name}: {expected:?}"
            );
            assert_eq!(a.trace.due, expected.trace_due, "{name}: {expected:?}");
            let traced = match a.trace.state(as_of) {
                ClockState::Met { .. } => Some(true),
                ClockState::MetLate { .. } | ClockState::Missed { .. } => Some(false),
                ClockState::Due { .. } => None,
            };
            assert_eq!(traced, expected.traced_within_limit, "{name}: {expected:?}");
            // The tracing steps the officer recorded.
            let mut steps = a.steps_done.clone();
            steps.sort_by_key(|(step, on)| (*on, *step));
            let known_steps: Vec<(TraceStep, Date)> =
                expected.steps.iter().map(|s| (s.step, s.on)).collect();
            assert_eq!(steps, known_steps, "{name}: {expected:?}");
        }
        let f = &cnis.figures;
        assert_eq!(f.missing_education, known.missing_open, "{name}");
        assert_eq!(f.episodes_due, known.missing_due, "{name}");
        assert_eq!(
            f.traced_within_limit, known.missing_traced_within_limit,
            "{name}"
        );
        assert_eq!(f.median_days_missing, known.median_days_missing, "{name}");

        // The fair-access panel: every decision matched to a school by its DfE number, and
        // each school's accepted placements and refusals as the key counts them.
        let officer = Principal {
            user: UserId::new_v7(),
            tenant: tenant.clone(),
            agency: la.id,
            roles: [Role::LaInclusionOfficer].into(),
        };
        let from = Date::from_calendar_date(county::FIRST_YEAR, time::Month::September, 1).unwrap();
        let view = store
            .fair_access(&officer, from, as_of, NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.decisions.len(), truth.fair_access.len(), "{name}");
        assert_eq!(
            view.unmatched, 0,
            "{name}: every school is known by its number"
        );
        for rate in &view.consistency.schools {
            let share = truth.fair_access_by_school.get(&rate.key);
            assert_eq!(
                rate.placements,
                share.map_or(0, |s| s.accepted),
                "{name}: {}",
                rate.key
            );
            assert_eq!(
                rate.refusals,
                share.map_or(0, |s| s.refused),
                "{name}: {}",
                rate.key
            );
        }
        assert_eq!(
            view.consistency.county.placements as usize, known.fair_access_accepted,
            "{name}"
        );
        let rates: BTreeSet<u32> = view
            .consistency
            .schools
            .iter()
            .map(|r| r.placements)
            .collect();
        assert!(
            rates.len() > 2,
            "{name}: schools take unequal shares: {rates:?}"
        );

        // Alternative provision: one placement per reported placement, each timed from the
        // exclusion it followed as the key times it, and the pathway's count and median.
        let day = RegisterDay {
            calendar,
            settings: Settings::default(),
            today: as_of,
        };
        let placements = store.placements(&officer, day, NOW).await.unwrap().unwrap();
        let known_placements: Vec<(u64, Date, i64)> = truth
            .exclusions
            .iter()
            .flat_map(|e| {
                e.placements
                    .iter()
                    .map(|p| (e.person_id, p.starts_on, p.days_from_exclusion))
            })
            .collect();
        let mut found: Vec<(u64, Date, i64)> = placements
            .entries
            .iter()
            .filter(|p| p.starts_on <= as_of)
            .map(|p| {
                let days = p
                    .assessment
                    .days_from_exclusion
                    .unwrap_or_else(|| panic!("{name}: a placement follows no exclusion: {p:?}"));
                (one(p.person.0), p.starts_on, days)
            })
            .collect();
        let mut expected = known_placements.clone();
        found.sort_unstable();
        expected.sort_unstable();
        assert_eq!(found, expected, "{name}: the placements and their waits");
        assert_eq!(
            placements.pathway.after_exclusion,
            placements.entries.len(),
            "{name}"
        );
        // Ended as the officer recorded it; the rest still running.
        let mut ends: Vec<(u64, Date, Option<Date>)> = placements
            .entries
            .iter()
            .map(|p| {
                (
                    one(p.person.0),
                    p.starts_on,
                    p.assessment.ended.map(|(on, _)| on),
                )
            })
            .collect();
        let mut known_ends: Vec<(u64, Date, Option<Date>)> = truth
            .exclusions
            .iter()
            .flat_map(|e| {
                e.placements
                    .iter()
                    .map(|p| (e.person_id, p.starts_on, p.ended_on))
            })
            .collect();
        ends.sort_unstable();
        known_ends.sort_unstable();
        assert_eq!(ends, known_ends, "{name}: the placements' ends");
        assert_eq!(
            placements.pathway.running, known.placements_running,
            "{name}"
        );
    }
}
