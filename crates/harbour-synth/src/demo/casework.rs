//! The demo's recent register cases and the casework its officers have recorded on them by
//! the demo's day, so that `harbour demo` shows each register with entries on time, due and
//! overdue, and the work queue filled for its keepers.
//!
//! The children of [`RECENT`] arrive as feeds would send them (the schools' exclusions and
//! roll deletions, the authority's home-education and missing-education records), dated for
//! [`DEMO_DAY`](super::DEMO_DAY) and moved with the rest of the demo. Their entries open as any feed's do;
//! [`record_casework`] then records, as the demo's inclusion officer (Priya Shah) and CME and
//! EHE officer (Tom Reilly), what they would have recorded by then, through the same store
//! calls as the register pages: checked by the register's rules and audited under their
//! names. On [`DEMO_DAY`](super::DEMO_DAY):
//!
//! - Kayla Brooks (Seaview), excluded on Monday: provision due from day 6, the board's
//!   meeting to come. Nothing recorded yet: due.
//! - Reece Holloway (Northgate), excluded five weeks ago: a full-time offer from day 6 and
//!   the board's decision in time, attendance recorded, the first review due in ten days:
//!   on time.
//! - Tyler Quinn (Seaview), excluded in September: a part-time offer that started late and
//!   has run past six weeks, and the last review's next date passed: overdue.
//! - Both offers are places at the PRU the inclusion officer added on the alternative
//!   provision placements, which record them as the offers: Reece's placement review is
//!   due in ten days, Tyler's is overdue.
//! - Leon Ashby, deleted from Seaview's roll to an unknown destination two weeks ago: three
//!   tracing steps done, ten school days left.
//! - Chloe Dunn, reported missing education by the authority in October: one step, past the
//!   20 school days, escalated.
//! - Amelia Grant, registered as home educated last week: her parents' s.436C details
//!   recorded, the home-visit window open.
//!
//! The authority's feed also carries three fair-access panel decisions for the excluded
//! children: Reece allocated to Seaview (accepted), Tyler to Northgate (refused), Kayla to
//! Northgate (awaiting the academy).

use super::{Child, DemoCounty, DemoError, H, K, rec};
use harbour_casework::RegisterSettings;
use harbour_casework::exclusions::Fact;
use harbour_casework::hours::Hours;
use harbour_casework::not_in_school::{
    CmeFact, EheFact, OptionalContent, Registration, SenProvision, TraceStep,
};
use harbour_casework::placements::{PlacementFact, ProvisionKind};
use harbour_domain::{PersonId, Role};
use harbour_policy::Principal;
use harbour_rules::calendar::Calendar;
use harbour_store::{NotInSchoolDay, RegisterDay, RegisterRefusal, Store};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// The recent cases, dated for [`DEMO_DAY`](super::DEMO_DAY) (Friday 20 November 2026).
pub(super) const RECENT: &[Child] = &[
    Child {
        born: (2012, 3, 14),
        sex: "F",
        records: &[
            rec(
                "seaview",
                "Kayla",
                "Brooks",
                Some("999412520301"),
                None,
                Some("BN7 4QT"),
            ),
            rec("la", "Kayla", "Brooks", None, None, Some("BN7 4QT")),
        ],
        events: &[
            (
                1,
                (2026, 11, 19),
                K::FairAccessPlacement,
                H::Ordinary,
                "Fair access panel: allocated to Northgate Academy after a permanent exclusion (pending)",
            ),
            (
                0,
                (2023, 9, 4),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Seaview School",
            ),
            (
                0,
                (2026, 11, 16),
                K::PermanentExclusion,
                H::Ordinary,
                "Permanently excluded: physical assault against an adult (PA)",
            ),
        ],
    },
    Child {
        born: (2011, 7, 2),
        sex: "M",
        records: &[
            rec(
                "northgate",
                "Reece",
                "Holloway",
                Some("999412520302"),
                None,
                Some("BN7 1HD"),
            ),
            rec("la", "Reece", "Holloway", None, None, Some("BN7 1HD")),
        ],
        events: &[
            (
                1,
                (2026, 11, 16),
                K::FairAccessPlacement,
                H::Ordinary,
                "Fair access panel: allocated to Seaview School to start in January after the PRU (accepted)",
            ),
            (
                0,
                (2022, 9, 5),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Northgate Academy",
            ),
            (
                0,
                (2026, 10, 12),
                K::PermanentExclusion,
                H::Ordinary,
                "Permanently excluded: persistent disruptive behaviour (PD)",
            ),
        ],
    },
    Child {
        born: (2011, 11, 23),
        sex: "M",
        records: &[
            rec(
                "seaview",
                "Tyler",
                "Quinn",
                Some("999412520303"),
                None,
                Some("BN8 2RS"),
            ),
            rec("la", "Tyler", "Quinn", None, None, Some("BN8 2RS")),
        ],
        events: &[
            (
                1,
                (2026, 11, 2),
                K::FairAccessPlacement,
                H::Ordinary,
                "Fair access panel: allocated to Northgate Academy; the academy says it has no place in Year 10 (refused)",
            ),
            (
                0,
                (2022, 9, 5),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Seaview School",
            ),
            (
                0,
                (2026, 9, 16),
                K::PermanentExclusion,
                H::Ordinary,
                "Permanently excluded: drug and alcohol related (DA)",
            ),
        ],
    },
    Child {
        born: (2013, 5, 8),
        sex: "M",
        records: &[rec(
            "seaview",
            "Leon",
            "Ashby",
            Some("999412520304"),
            None,
            Some("BN7 3JW"),
        )],
        events: &[
            (
                0,
                (2024, 9, 2),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Seaview School",
            ),
            (
                0,
                (2026, 11, 6),
                K::SchoolLeaving,
                H::Ordinary,
                "Removed from roll: destination not known",
            ),
        ],
    },
    Child {
        born: (2012, 1, 30),
        sex: "F",
        records: &[rec("la", "Chloe", "Dunn", None, None, Some("BN8 5AZ"))],
        events: &[(
            0,
            (2026, 10, 12),
            K::CmeStart,
            H::Ordinary,
            "Child missing education: not attending any school since moving into the area",
        )],
    },
    Child {
        born: (2013, 9, 19),
        sex: "F",
        records: &[rec("la", "Amelia", "Grant", None, None, Some("BN7 2AB"))],
        events: &[(
            0,
            (2026, 11, 13),
            K::EheRegistration,
            H::Ordinary,
            "Elective home education registered",
        )],
    },
];

/// How many register entries the demo's officers recorded on, and how many facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Casework {
    pub entries: usize,
    pub facts: usize,
}

/// A demo officer as the store sees them.
fn officer(county: &DemoCounty, role: Role) -> Result<Principal, DemoError> {
    county
        .users
        .iter()
        .find(|u| u.roles.contains(&role))
        .map(|u| Principal {
            user: u.id,
            tenant: county.tenant.clone(),
            agency: u.agency,
            roles: u.roles.clone(),
        })
        .ok_or_else(|| DemoError::Data(format!("no demo {role}")))
}

/// The person of the recent case whose first record has `given` as its given name.
fn person(county: &DemoCounty, given: &str, key_prefix: &str) -> Result<PersonId, DemoError> {
    county
        .batch
        .source_records
        .iter()
        .find(|r| r.given_name == given && r.record_key.starts_with(key_prefix))
        .map(|r| r.person)
        .ok_or_else(|| DemoError::Data(format!("no recent demo child {given}")))
}

fn refused(what: &str, refusal: RegisterRefusal) -> DemoError {
    DemoError::Data(format!(
        "the demo's casework was refused ({what}): {refusal}"
    ))
}

/// Records the demo officers' casework on the recent cases' entries (opened by the feeds'
/// import before this runs), with every date moved by `shift` as the demo's are. Opening
/// is done here too, so it does not matter whether the import opened them.
pub async fn record_casework(
    store: &Store,
    county: &DemoCounty,
    calendar: &Calendar,
    settings: RegisterSettings,
    shift: Duration,
    now: OffsetDateTime,
) -> Result<Casework, DemoError> {
    let on = |y: i32, m: u8, d: u8| super::date((y, m, d)).map(|d| d.saturating_add(shift));
    let today = harbour_domain::london_today(now);
    let tenant = &county.tenant;
    store.open_register_entries(tenant, now).await?;
    let mut done = Casework::default();

    // The inclusion officer's exclusions register.
    let priya = officer(county, Role::LaInclusionOfficer)?;
    let day = RegisterDay {
        calendar,
        settings: settings.exclusions,
        today,
    };
    let register = store
        .exclusions_register(&priya, day, now)
        .await?
        .ok_or_else(|| DemoError::Data("the inclusion officer cannot open the register".into()))?;
    let entry_of = |given: &str| -> Result<Uuid, DemoError> {
        let child = person(county, given, RECENT_PREFIX)?;
        register
            .entries
            .iter()
            .find(|e| e.person == child)
            .map(|e| e.id)
            .ok_or_else(|| DemoError::Data(format!("{given} is not on the register")))
    };
    // Each child's education offer is a placement the officer added: recorded on the
    // placements and, through them, as the offer on the exclusion's entry.
    let pru = "Harbourshire Pupil Referral Unit".to_owned();
    let placements = [
        ("Reece", on(2026, 10, 19)?, 25, on(2026, 11, 30)?),
        ("Tyler", on(2026, 9, 28)?, 15, on(2026, 11, 16)?),
    ];
    let placement_day = RegisterDay {
        calendar,
        settings: settings.exclusions,
        today,
    };
    for (given, starts_on, hours, review_on) in placements {
        let child = person(county, given, RECENT_PREFIX)?;
        let details = PlacementFact::Details {
            provider: pru.clone(),
            kind: Some(ProvisionKind::PupilReferralUnit),
            hours: Some(Hours::whole(hours)),
            review_on: Some(review_on),
        };
        store
            .add_placement(&priya, child, starts_on, details, placement_day, now)
            .await?
            .map_err(|r| refused(given, r))?;
        done.facts += 1;
    }
    let reece = [
        Fact::BoardDecision {
            on: on(2026, 10, 29)?,
            reinstate: false,
            parents_told_on: on(2026, 10, 30)?,
        },
        Fact::Attended {
            week_starting: on(2026, 11, 9)?,
            hours: Hours::whole(22),
        },
        Fact::Attended {
            week_starting: on(2026, 11, 16)?,
            hours: Hours::whole(24),
        },
    ];
    let tyler = [
        Fact::BoardDecision {
            on: on(2026, 10, 1)?,
            reinstate: false,
            parents_told_on: on(2026, 10, 2)?,
        },
        Fact::Review {
            on: on(2026, 10, 5)?,
            notes: "Settling at the PRU mornings only; family asks for more hours. Looking for \
                    a full-time place."
                .into(),
            next_on: Some(on(2026, 11, 16)?),
        },
        Fact::Attended {
            week_starting: on(2026, 11, 9)?,
            hours: Hours::whole(9),
        },
    ];
    for (given, facts) in [("Reece", &reece[..]), ("Tyler", &tyler[..])] {
        let id = entry_of(given)?;
        for fact in facts {
            store
                .record_on_exclusion(&priya, id, fact, day, now)
                .await?
                .map_err(|r| refused(given, r))?;
            done.facts += 1;
        }
        done.entries += 1;
    }

    // The CME and EHE officer's children not in school register.
    let tom = officer(county, Role::LaCmeEheOfficer)?;
    let day = NotInSchoolDay {
        calendar,
        settings: settings.not_in_school,
        today,
    };
    let cnis = store
        .children_not_in_school(&tom, day, now)
        .await?
        .ok_or_else(|| DemoError::Data("the CME officer cannot open the register".into()))?;
    let episode_of = |given: &str| -> Result<Uuid, DemoError> {
        let child = person(county, given, RECENT_PREFIX)?;
        cnis.missing_education
            .iter()
            .find(|e| e.person == child)
            .map(|e| e.id)
            .ok_or_else(|| DemoError::Data(format!("{given} has no missing education episode")))
    };
    let step = |step: TraceStep, when: Result<Date, DemoError>, outcome: &str| {
        when.map(|on| CmeFact::Step {
            step,
            on,
            outcome: outcome.to_owned(),
        })
    };
    let leon = [
        step(
            TraceStep::FamilyContacted,
            on(2026, 11, 9),
            "No answer on the family's two numbers; letter sent to the last address",
        )?,
        step(
            TraceStep::HomeVisit,
            on(2026, 11, 12),
            "House empty; a neighbour says the family left in October",
        )?,
        step(
            TraceStep::SchoolToSchool,
            on(2026, 11, 13),
            "School-to-school search: no match yet",
        )?,
    ];
    let chloe = [step(
        TraceStep::FamilyContacted,
        on(2026, 10, 14),
        "Mother says Chloe will start at a school soon; no school named",
    )?];
    for (given, facts) in [("Leon", &leon[..]), ("Chloe", &chloe[..])] {
        let id = episode_of(given)?;
        for fact in facts {
            store
                .record_on_missing_education(&tom, id, fact, day, now)
                .await?
                .map_err(|r| refused(given, r))?;
            done.facts += 1;
        }
        done.entries += 1;
    }
    let amelia = person(county, "Amelia", RECENT_PREFIX)?;
    let registration = cnis
        .home_education
        .iter()
        .find(|e| e.person == amelia)
        .map(|e| e.id)
        .ok_or_else(|| DemoError::Data("Amelia is not registered as home educated".into()))?;
    let details = EheFact::Registered(Registration {
        parents: vec![(
            "Joanne Grant".into(),
            "12 Quay Street, Harbourshire BN7 2AB".into(),
        )],
        educating_parents: vec!["Joanne Grant".into()],
        hours_by_parents: Hours::whole(18),
        hours_by_others: Hours::whole(0),
        providers: Vec::new(),
        optional: OptionalContent {
            sen: Some(SenProvision::SenSupport),
            social_care: Vec::new(),
        },
    });
    store
        .record_on_home_education(&tom, registration, &details, day, now)
        .await?
        .map_err(|r| refused("Amelia", r))?;
    done.facts += 1;
    done.entries += 1;
    Ok(done)
}

/// The record keys of the recent cases begin so (the demo's own children's with `demo-`).
pub(super) const RECENT_PREFIX: &str = "demo-recent";

/// Records the synthetic county's casework (`county_dir/casework.json`: board decisions,
/// reviews of the offer, tracing steps) on its entries, imported into the demo's tenant, as
/// the demo's inclusion officer and CME officer, so the demo's registers show board and
/// review clocks met, late and overdue among the county's children too.
pub async fn record_county_casework(
    store: &Store,
    county: &DemoCounty,
    county_dir: &std::path::Path,
    calendar: &Calendar,
    settings: RegisterSettings,
    now: OffsetDateTime,
) -> Result<Casework, DemoError> {
    let priya = officer(county, Role::LaInclusionOfficer)?;
    let tom = officer(county, Role::LaCmeEheOfficer)?;
    let officers = crate::county::casework::Officers {
        inclusion: &priya,
        missing_education: &tom,
    };
    let recorded = crate::county::casework::record(
        store,
        &county.tenant,
        officers,
        county_dir,
        calendar,
        settings,
        harbour_domain::london_today(now),
        now,
    )
    .await
    .map_err(|e| DemoError::Data(format!("the synthetic county's casework: {e}")))?;
    Ok(Casework {
        entries: recorded.entries,
        facts: recorded.facts,
    })
}
