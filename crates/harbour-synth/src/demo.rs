//! The demo county: Harbourshire (a fictional local authority, code 999).

mod casework;

pub use casework::{Casework, record_casework, record_county_casework};

use harbour_domain::{
    AgencyId, AgencyKind, EventId, EventKind, Handling, NhsNumber, PersonId, Postcode, Role,
    SourceRecordId, TenantCode, Upn, UserId,
};
use harbour_store::{
    Batch, NewAgency, NewEvent, NewPerson, NewSourceRecord, NewUser, Store, StoreError,
};
use time::{Date, Duration, Month, OffsetDateTime};

/// The demo tenant's local-authority code. 999 is not assigned to any real authority.
pub const TENANT: &str = "999";
pub const TENANT_NAME: &str = "Harbourshire County Council (fictional)";

/// Every demo account's password, shown on the demo sign-in page. Demo data only.
pub const DEMO_PASSWORD: &str = "harbour-demo-password";

/// Why the demo county could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo data is inconsistent: {0}")]
    Data(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] harbour_auth::password::HashError),
}

/// (code, name, kind) of each demo agency.
const AGENCIES: &[(&str, &str, AgencyKind)] = &[
    (
        "la",
        "Harbourshire County Council",
        AgencyKind::LocalAuthority,
    ),
    ("northgate", "Northgate Academy", AgencyKind::School),
    ("seaview", "Seaview School", AgencyKind::School),
    (
        "pru",
        "Harbourshire Pupil Referral Unit",
        AgencyKind::School,
    ),
    ("police", "Harbourshire Police", AgencyKind::Police),
    ("health", "Harbourshire NHS Trust", AgencyKind::Health),
    (
        "yjs",
        "Harbourshire Youth Justice Service",
        AgencyKind::YouthJustice,
    ),
];

/// (agency code, DfE number, area) of each demo school.
const SCHOOLS: &[(&str, &str, &str)] = &[
    ("northgate", "999/4001", "North Harbourshire"),
    ("seaview", "999/4002", "Harbourshire Coast"),
];

/// (agency code, display name, email, role) of each demo account.
pub const USERS: &[(&str, &str, &str, Role)] = &[
    (
        "northgate",
        "Sam Okafor",
        "dsl@northgate.example",
        Role::SchoolDsl,
    ),
    (
        "seaview",
        "Ellen Marsh",
        "dsl@seaview.example",
        Role::SchoolDsl,
    ),
    (
        "la",
        "Priya Shah",
        "inclusion@la.example",
        Role::LaInclusionOfficer,
    ),
    ("la", "Tom Reilly", "cme@la.example", Role::LaCmeEheOfficer),
    (
        "la",
        "Grace Adeyemi",
        "social.worker@la.example",
        Role::SocialWorker,
    ),
    (
        "police",
        "DS Chris Walsh",
        "mace@police.example",
        Role::PoliceMaceCoordinator,
    ),
    (
        "police",
        "Nadia Petrova",
        "intel@police.example",
        Role::PoliceIntelligenceOfficer,
    ),
    (
        "yjs",
        "Luke Harrington",
        "yjs@yjs.example",
        Role::YouthJusticeWorker,
    ),
    (
        "health",
        "Fiona Blake",
        "nurse@health.example",
        Role::HealthSafeguardingNurse,
    ),
    (
        "la",
        "Dr Hannah Cole",
        "mace.chair@la.example",
        Role::MaceChair,
    ),
    (
        "la",
        "Owen Price",
        "analyst@la.example",
        Role::PartnershipAnalyst,
    ),
    (
        "la",
        "Ruth Danvers",
        "dpo@la.example",
        Role::DataProtectionOfficer,
    ),
    (
        "la",
        "Ian Mitchell",
        "admin@la.example",
        Role::SystemAdministrator,
    ),
];

/// One agency's record of a demo child: (agency, given, family, upn body, nhs body, postcode).
struct Record {
    agency: &'static str,
    given: &'static str,
    family: &'static str,
    upn_body: Option<&'static str>,
    nhs_body: Option<&'static str>,
    postcode: Option<&'static str>,
}

/// (record index within the child, date, kind, handling, summary)
type EventRow = (usize, (i32, u8, u8), EventKind, Handling, &'static str);

struct Child {
    born: (i32, u8, u8),
    sex: &'static str,
    records: &'static [Record],
    events: &'static [EventRow],
}

const fn rec(
    agency: &'static str,
    given: &'static str,
    family: &'static str,
    upn_body: Option<&'static str>,
    nhs_body: Option<&'static str>,
    postcode: Option<&'static str>,
) -> Record {
    Record {
        agency,
        given,
        family,
        upn_body,
        nhs_body,
        postcode,
    }
}

use EventKind as K;
use Handling as H;

/// The demo children. Each agency holds the child under its own record, with the small
/// differences real systems have (a misspelt name at the police, a nickname at the PRU).
const CHILDREN: &[Child] = &[
    // Jayden Mercer: the pattern of the Child AA review, in a fictional child.
    Child {
        born: (2009, 5, 14),
        sex: "M",
        records: &[
            rec(
                "northgate",
                "Jayden",
                "Mercer",
                Some("999412520001"),
                None,
                Some("BN7 2LD"),
            ),
            rec(
                "la",
                "Jayden",
                "Mercer",
                Some("999412520001"),
                None,
                Some("BN7 2LD"),
            ),
            rec("police", "Jaden", "Mercer", None, None, Some("BN7 2LD")),
            rec(
                "health",
                "Jayden",
                "Mercer",
                None,
                Some("485777345"),
                Some("BN7 4QS"),
            ),
            rec("yjs", "Jayden", "Mercer", None, None, Some("BN7 4QS")),
            rec(
                "pru",
                "Jay",
                "Mercer",
                Some("999412520001"),
                None,
                Some("BN7 4QS"),
            ),
        ],
        events: &[
            (
                0,
                (2020, 9, 3),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Northgate Academy",
            ),
            (
                2,
                (2021, 3, 10),
                K::Caution,
                H::Ordinary,
                "Youth caution: criminal damage",
            ),
            (
                0,
                (2021, 6, 15),
                K::Suspension,
                H::Ordinary,
                "Suspended 3 days: physical assault against a pupil (PP)",
            ),
            (
                1,
                (2021, 11, 2),
                K::CmeStart,
                H::Ordinary,
                "Child missing education (Year 8): not attending, whereabouts unknown",
            ),
            (
                1,
                (2021, 12, 1),
                K::CmeEnd,
                H::Ordinary,
                "Located and back on roll at Northgate Academy",
            ),
            (
                2,
                (2022, 2, 8),
                K::Caution,
                H::Ordinary,
                "Youth caution: possession of a bladed article",
            ),
            (
                2,
                (2022, 5, 20),
                K::VictimOfCrime,
                H::Ordinary,
                "Victim of assault in the town centre",
            ),
            (
                0,
                (2022, 7, 20),
                K::AttendanceSummary,
                H::Ordinary,
                "Summer term attendance 71% (persistent absence)",
            ),
            (
                0,
                (2022, 9, 12),
                K::Suspension,
                H::Ordinary,
                "Suspended 5 days: persistent disruptive behaviour (PD)",
            ),
            (
                0,
                (2023, 1, 17),
                K::PermanentExclusion,
                H::Ordinary,
                "Permanently excluded: dangerous behaviour (PA)",
            ),
            (
                5,
                (2023, 1, 25),
                K::AlternativeProvision,
                H::Ordinary,
                "Placed at the Pupil Referral Unit, 15 hours a week",
            ),
            (
                1,
                (2023, 3, 6),
                K::EheRegistration,
                H::Ordinary,
                "Parent elected home education; PRU place ended",
            ),
            (
                2,
                (2023, 3, 20),
                K::IntelligenceReport,
                H::PoliceIntelligence,
                "Intelligence (3x5x2: 2/B/P): seen with adults linked to a county line",
            ),
            (
                1,
                (2023, 4, 11),
                K::SocialCareReferral,
                H::Restricted,
                "Referral to children's social care: concerns of criminal exploitation",
            ),
            (
                1,
                (2023, 5, 5),
                K::MaceReferral,
                H::Restricted,
                "Referred to the MACE panel",
            ),
            (
                1,
                (2024, 6, 28),
                K::EheEnd,
                H::Ordinary,
                "Home education ended: no suitable education evidenced",
            ),
            (
                1,
                (2024, 7, 3),
                K::CmeStart,
                H::Ordinary,
                "Child missing education (end of Year 10)",
            ),
            (
                2,
                (2024, 8, 14),
                K::MissingEpisode,
                H::Ordinary,
                "Reported missing from home overnight",
            ),
            (
                2,
                (2024, 8, 29),
                K::MissingEpisode,
                H::Ordinary,
                "Reported missing from home for 3 days; found in another county",
            ),
            (
                2,
                (2024, 10, 2),
                K::Arrest,
                H::Ordinary,
                "Arrested: possession with intent to supply class A drugs",
            ),
            (
                2,
                (2024, 10, 3),
                K::RuiStart,
                H::Ordinary,
                "Released under investigation",
            ),
            (
                4,
                (2025, 2, 12),
                K::YouthJusticeIntervention,
                H::Ordinary,
                "Youth justice voluntary intervention started",
            ),
            (
                3,
                (2026, 7, 18),
                K::EmergencyAttendance,
                H::HealthConfidential,
                "Emergency department: stab wound to the abdomen, admitted",
            ),
            // Recent: released under investigation after the stabbing, still open three
            // months on by DEMO_DAY (the MACE coordinator's and youth justice's work).
            (
                2,
                (2026, 8, 10),
                K::RuiStart,
                H::Ordinary,
                "Released under investigation: wounding",
            ),
        ],
    },
    Child {
        born: (2012, 2, 3),
        sex: "F",
        records: &[
            rec(
                "seaview",
                "Amelia",
                "Hart",
                Some("999511920041"),
                None,
                Some("BN9 9AX"),
            ),
            rec(
                "health",
                "Amelia",
                "Hart",
                None,
                Some("401023213"),
                Some("BN9 9AX"),
            ),
        ],
        events: &[
            (
                0,
                (2023, 9, 4),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Seaview School",
            ),
            (
                0,
                (2024, 12, 20),
                K::AttendanceSummary,
                H::Ordinary,
                "Autumn term attendance 96%",
            ),
            (
                1,
                (2025, 3, 2),
                K::EmergencyAttendance,
                H::HealthConfidential,
                "Emergency department: fractured wrist after a fall",
            ),
            // Recent and low-severity: persistent absence goes to the Seaview lead's list.
            (
                0,
                (2026, 11, 13),
                K::AttendanceSummary,
                H::Ordinary,
                "Autumn term to date attendance 86% (persistent absence)",
            ),
        ],
    },
    Child {
        born: (2011, 10, 30),
        sex: "F",
        records: &[
            rec(
                "northgate",
                "Priya",
                "Nair",
                Some("999412521013"),
                None,
                Some("BN7 1HN"),
            ),
            rec(
                "la",
                "Priya",
                "Nair",
                Some("999412521013"),
                None,
                Some("BN7 1HN"),
            ),
        ],
        events: &[
            (
                0,
                (2022, 9, 5),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Northgate Academy",
            ),
            (
                1,
                (2024, 1, 15),
                K::ChildInNeedPlan,
                H::Restricted,
                "Child in need plan: parental mental ill health",
            ),
            (
                0,
                (2024, 4, 1),
                K::AttendanceSummary,
                H::Ordinary,
                "Spring term attendance 88% (persistent absence)",
            ),
        ],
    },
    Child {
        born: (2010, 7, 9),
        sex: "M",
        records: &[
            rec(
                "seaview",
                "Tyler",
                "Brookes",
                Some("999511920102"),
                None,
                Some("BN9 0LU"),
            ),
            rec("police", "Tyler", "Brooks", None, None, Some("BN9 0LU")),
            rec(
                "health",
                "Tyler",
                "Brookes",
                None,
                Some("434765919"),
                Some("BN9 0LU"),
            ),
        ],
        events: &[
            (
                0,
                (2021, 9, 6),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Seaview School",
            ),
            (
                1,
                (2025, 1, 19),
                K::MissingEpisode,
                H::Ordinary,
                "Reported missing from home; returned next morning",
            ),
            (
                2,
                (2025, 1, 20),
                K::EmergencyAttendance,
                H::HealthConfidential,
                "Emergency department: assault, facial injuries",
            ),
            // The demo's recent weeks (before DEMO_DAY): work for the Seaview lead and the
            // children-missing-education officer.
            (
                0,
                (2026, 10, 23),
                K::AttendanceSummary,
                H::Ordinary,
                "Autumn half-term attendance 45% (severe absence)",
            ),
        ],
    },
    Child {
        born: (2012, 12, 1),
        sex: "F",
        records: &[rec(
            "la",
            "Maisie",
            "Doyle-Khan",
            None,
            None,
            Some("BN8 4PT"),
        )],
        events: &[(
            0,
            (2024, 11, 11),
            K::EheRegistration,
            H::Ordinary,
            "Elective home education registered",
        )],
    },
    Child {
        born: (2008, 4, 22),
        sex: "M",
        records: &[rec(
            "police",
            "Ollie",
            "Fenwick",
            None,
            None,
            Some("BN7 2LD"),
        )],
        events: &[
            (
                0,
                (2024, 9, 9),
                K::IntelligenceReport,
                H::PoliceIntelligence,
                "Intelligence (3x5x2: 3/C/P): believed to run a local drug line",
            ),
            // Recent, and overdue by DEMO_DAY: the MACE coordinator's and youth justice's
            // alert escalates to the MACE chair.
            (
                0,
                (2026, 10, 26),
                K::Arrest,
                H::Ordinary,
                "Arrested: possession with intent to supply class A drugs",
            ),
        ],
    },
    Child {
        born: (2011, 1, 27),
        sex: "F",
        records: &[rec(
            "northgate",
            "Ruby",
            "Sandford",
            Some("999412520213"),
            None,
            Some("BN7 3EE"),
        )],
        events: &[
            (
                0,
                (2022, 9, 5),
                K::SchoolEnrolment,
                H::Ordinary,
                "Joined Year 7 at Northgate Academy",
            ),
            (
                0,
                (2025, 2, 3),
                K::Suspension,
                H::Ordinary,
                "Suspended 2 days: verbal abuse of an adult (VA)",
            ),
            (
                0,
                (2025, 3, 10),
                K::Suspension,
                H::Ordinary,
                "Suspended 3 days: persistent disruptive behaviour (PD)",
            ),
            // Recent: a second suspension this autumn term, for the Northgate lead and the
            // LA inclusion officer.
            (
                0,
                (2026, 10, 5),
                K::Suspension,
                H::Ordinary,
                "Suspended 1 day: physical assault against a pupil (PP)",
            ),
            (
                0,
                (2026, 11, 9),
                K::Suspension,
                H::Ordinary,
                "Suspended 2 days: persistent disruptive behaviour (PD)",
            ),
        ],
    },
];

/// The demo county as plain data, ready to store.
#[derive(Debug, Clone)]
pub struct DemoCounty {
    pub tenant: TenantCode,
    pub agencies: Vec<NewAgency>,
    pub users: Vec<NewUser>,
    pub batch: Batch,
}

fn date((year, month, day): (i32, u8, u8)) -> Result<Date, DemoError> {
    Month::try_from(month)
        .ok()
        .and_then(|month| Date::from_calendar_date(year, month, day).ok())
        .ok_or_else(|| DemoError::Data(format!("{year}-{month}-{day} is not a date")))
}

/// The day the demo's dates are written for: its most recent events fall in the weeks
/// before, so the rules run on this day fill every queue (the tests' clock).
pub const DEMO_DAY: Date = time::macros::date!(2026 - 11 - 20);

/// How far to move every demo date (events and births alike) so that `today` is the demo's
/// day: whole weeks, so every event keeps its weekday (school days stay school days).
pub fn shift_to(today: Date) -> Duration {
    Duration::weeks((today - DEMO_DAY).whole_weeks())
}

/// Builds the demo county. Ids are fresh each time; the content is always the same, dated
/// for [`DEMO_DAY`].
pub fn demo_county() -> Result<DemoCounty, DemoError> {
    demo_county_shifted(Duration::ZERO)
}

/// The demo county with every date moved by `shift` (see [`shift_to`]).
pub fn demo_county_shifted(shift: Duration) -> Result<DemoCounty, DemoError> {
    let date = |d: (i32, u8, u8)| date(d).map(|d| d.saturating_add(shift));
    let tenant = TenantCode::parse(TENANT).map_err(DemoError::Data)?;
    let agencies: Vec<NewAgency> = AGENCIES
        .iter()
        .map(|(code, name, kind)| NewAgency {
            id: AgencyId::new_v7(),
            tenant: tenant.clone(),
            code: (*code).to_owned(),
            name: (*name).to_owned(),
            kind: *kind,
        })
        .collect();
    let agency = |code: &str| {
        agencies
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.id)
            .ok_or_else(|| DemoError::Data(format!("no demo agency {code}")))
    };
    let users = USERS
        .iter()
        .map(|(agency_code, name, email, role)| {
            Ok(NewUser {
                id: UserId::new_v7(),
                tenant: tenant.clone(),
                agency: agency(agency_code)?,
                email: (*email).to_owned(),
                display_name: (*name).to_owned(),
                roles: [*role].into(),
                is_demo: true,
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;

    let mut batch = Batch {
        tenant: tenant.clone(),
        persons: vec![],
        source_records: vec![],
        events: vec![],
    };
    push_children(&mut batch, CHILDREN, "demo", &agency, &date)?;
    Ok(DemoCounty {
        tenant,
        agencies,
        users,
        batch,
    })
}

/// Adds `children` to `batch`, each with a new person, its records (keyed `{prefix}-{child}-
/// {record}`) and events, dated by `date`.
fn push_children(
    batch: &mut Batch,
    children: &[Child],
    prefix: &str,
    agency: &dyn Fn(&str) -> Result<AgencyId, DemoError>,
    date: &dyn Fn((i32, u8, u8)) -> Result<Date, DemoError>,
) -> Result<(), DemoError> {
    for (child_index, child) in children.iter().enumerate() {
        let person = PersonId::new_v7();
        batch.persons.push(NewPerson { id: person });
        let mut record_ids = Vec::new();
        for (record_index, record) in child.records.iter().enumerate() {
            let id = SourceRecordId::new_v7();
            record_ids.push((id, agency(record.agency)?));
            batch.source_records.push(NewSourceRecord {
                id,
                agency: agency(record.agency)?,
                record_key: format!("{prefix}-{child_index}-{record_index}"),
                person,
                given_name: record.given.to_owned(),
                family_name: record.family.to_owned(),
                date_of_birth: Some(date(child.born)?),
                sex: Some(child.sex.to_owned()),
                upn: record
                    .upn_body
                    .map(|body| Upn::from_body(body).map_err(|e| DemoError::Data(e.to_string())))
                    .transpose()?,
                nhs_number: record
                    .nhs_body
                    .map(|body| {
                        NhsNumber::from_body(body)
                            .ok_or_else(|| DemoError::Data(format!("no NHS number from {body}")))
                    })
                    .transpose()?,
                postcode: record
                    .postcode
                    .map(|p| Postcode::parse(p).map_err(|e| DemoError::Data(e.to_string())))
                    .transpose()?,
            });
        }
        for (event_index, (record, on, kind, handling, summary)) in child.events.iter().enumerate()
        {
            let (source_record, supplier) = record_ids.get(*record).copied().ok_or_else(|| {
                DemoError::Data(format!("child {child_index} has no record {record}"))
            })?;
            batch.events.push(NewEvent {
                id: EventId::new_v7(),
                source_record,
                agency: supplier,
                record_key: format!("{prefix}-{child_index}-event-{event_index}"),
                kind: *kind,
                occurred_on: date(*on)?,
                handling: *handling,
                summary: (*summary).to_owned(),
                details: details(*kind, summary),
            });
        }
    }
    Ok(())
}

/// Loads the demo county, dated for [`DEMO_DAY`], into an empty store.
pub async fn load_demo(store: &Store, now: OffsetDateTime) -> Result<DemoCounty, DemoError> {
    store_demo(store, demo_county()?, now).await
}

/// Loads the demo county into an empty store with its dates moved so that `now` is the
/// demo's day (`harbour demo`): the queues show the same work whenever the demo runs. With
/// the recent register cases (see [`record_casework`], which records their casework once
/// the feeds' import has opened their entries).
pub async fn load_demo_today(store: &Store, now: OffsetDateTime) -> Result<DemoCounty, DemoError> {
    store_demo(
        store,
        demo_county_with_recent_cases(shift_to(now.date()))?,
        now,
    )
    .await
}

/// The demo county moved by `shift`, with the recent register cases of
/// [`record_casework`] among its children.
pub fn demo_county_with_recent_cases(shift: Duration) -> Result<DemoCounty, DemoError> {
    let mut county = demo_county_shifted(shift)?;
    let agency = |code: &str| {
        county
            .agencies
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.id)
            .ok_or_else(|| DemoError::Data(format!("no demo agency {code}")))
    };
    let date = |d: (i32, u8, u8)| date(d).map(|d| d.saturating_add(shift));
    let mut batch = Batch {
        tenant: county.tenant.clone(),
        persons: vec![],
        source_records: vec![],
        events: vec![],
    };
    push_children(
        &mut batch,
        casework::RECENT,
        casework::RECENT_PREFIX,
        &agency,
        &date,
    )?;
    county.batch.persons.append(&mut batch.persons);
    county
        .batch
        .source_records
        .append(&mut batch.source_records);
    county.batch.events.append(&mut batch.events);
    Ok(county)
}

async fn store_demo(
    store: &Store,
    county: DemoCounty,
    now: OffsetDateTime,
) -> Result<DemoCounty, DemoError> {
    store
        .create_tenant(&county.tenant, TENANT_NAME, now)
        .await?;
    for agency in &county.agencies {
        store.create_agency(agency, now).await?;
        // The schools' DfE numbers (how the authority's fair-access decisions name them) and
        // the areas their fair-access figures are counted in.
        if let Some((number, area)) = SCHOOLS
            .iter()
            .find(|(code, ..)| *code == agency.code)
            .map(|(_, number, area)| (number, area))
        {
            let number = harbour_domain::SchoolNumber::parse(number)
                .map_err(|e| DemoError::Data(format!("demo school number {number}: {e}")))?;
            store
                .set_school_number(&county.tenant, agency.id, &number, now)
                .await?;
            store
                .set_school_area(&county.tenant, agency.id, Some(area), now)
                .await?;
        }
    }
    // One hash for all: the demo password is the same for every account anyway.
    let hash = harbour_auth::password::hash(DEMO_PASSWORD)?;
    for user in &county.users {
        store.create_user(user, now).await?;
        let staff = store
            .account_by_id(user.id)
            .await?
            .ok_or_else(|| DemoError::Data(format!("demo user {} was not stored", user.email)))?;
        store.set_password_hash(&staff.staff, &hash, now).await?;
    }
    store
        .load(&county.batch, "load the fictional demo county", now)
        .await?;
    Ok(county)
}

/// The structured fields a feed would have sent with a demo event, read from its summary:
/// the offence of a police event, an attendance percentage, an exclusion's reason code, why
/// someone attended the emergency department. Rules test these fields.
fn details(kind: EventKind, summary: &str) -> serde_json::Value {
    use EventKind as K;
    match kind {
        K::Caution | K::Arrest | K::Charge | K::VictimOfCrime | K::RuiStart | K::StopAndSearch => {
            let offence = summary.split_once(": ").map_or(summary, |(_, o)| o);
            serde_json::json!({ "offence": offence })
        }
        K::AttendanceSummary => {
            let percent = summary
                .split_whitespace()
                .find_map(|w| w.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()));
            // The sessions a school's feed would send with the figure: a half-term's or a
            // whole term's.
            let sessions_possible = if summary.contains("half-term") {
                64
            } else {
                126
            };
            percent.map_or_else(
                || serde_json::json!({}),
                |p| {
                    // Whole sessions, as a feed sends them (p is 0-100, so this fits).
                    let attended = (f64::from(sessions_possible) * p / 100.0).round() as u32;
                    serde_json::json!({
                        "percent": p,
                        "sessions_possible": sessions_possible,
                        "sessions_attended": attended,
                    })
                },
            )
        }
        K::Suspension | K::PermanentExclusion => {
            let code = summary
                .rsplit_once('(')
                .and_then(|(_, c)| c.strip_suffix(')'))
                .unwrap_or_default();
            // "Suspended 3 days": two sessions a school day.
            let days = summary
                .split_whitespace()
                .zip(summary.split_whitespace().skip(1))
                .find_map(|(n, unit)| unit.starts_with("day").then(|| n.parse::<u32>().ok())?);
            match (kind, days) {
                (K::Suspension, Some(days)) => {
                    serde_json::json!({ "reason": code, "sessions": days * 2 })
                }
                _ => serde_json::json!({ "reason": code }),
            }
        }
        // A fair-access decision: the school allocated (by its DfE number) and its answer, as
        // the authority's feed says them.
        K::FairAccessPlacement => {
            let mut details = serde_json::Map::new();
            if let Some((_, number, _)) = SCHOOLS.iter().find(|(code, ..)| {
                summary
                    .to_lowercase()
                    .contains(&format!("allocated to {code}"))
            }) {
                details.insert("allocated_school".into(), (*number).into());
            }
            for response in ["accepted", "refused", "pending"] {
                if summary.contains(&format!("({response})")) {
                    details.insert("response".into(), response.into());
                }
            }
            serde_json::Value::Object(details)
        }
        // A placement: who provides it and for how many hours, as the authority's feed says.
        K::AlternativeProvision => {
            let hours = summary
                .split_whitespace()
                .zip(summary.split_whitespace().skip(1))
                .find_map(|(n, unit)| (unit == "hours").then(|| n.parse::<f64>().ok())?);
            let mut details = serde_json::Map::new();
            if summary.contains("Pupil Referral Unit") {
                details.insert("provider".into(), "Harbourshire Pupil Referral Unit".into());
            }
            if let Some(hours) = hours {
                details.insert("hours_per_week".into(), hours.into());
            }
            serde_json::Value::Object(details)
        }
        // A roll deletion: where the child went, as a school's roll feed says it.
        K::SchoolLeaving if summary.contains("destination not known") => {
            serde_json::json!({ "destination": "not_known" })
        }
        K::EmergencyAttendance => {
            let lower = summary.to_lowercase();
            let reason = if lower.contains("stab") || lower.contains("assault") {
                "assault"
            } else if lower.contains("self-harm") || lower.contains("self harm") {
                "self_harm"
            } else {
                "injury"
            };
            serde_json::json!({ "reason": reason })
        }
        _ => serde_json::json!({}),
    }
}

/// The demo person whose records follow the Child AA pattern (for tests and the README).
pub fn jayden(county: &DemoCounty) -> Option<PersonId> {
    county.batch.persons.first().map(|p| p.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_moves_by_whole_weeks_to_today() {
        let later = DEMO_DAY + Duration::days(40);
        let shift = shift_to(later);
        assert_eq!(shift, Duration::weeks(5));
        let plain = demo_county().unwrap();
        let moved = demo_county_shifted(shift).unwrap();
        for (a, b) in plain.batch.events.iter().zip(&moved.batch.events) {
            assert_eq!(b.occurred_on - a.occurred_on, shift);
            assert_eq!(a.occurred_on.weekday(), b.occurred_on.weekday());
        }
        for (a, b) in plain
            .batch
            .source_records
            .iter()
            .zip(&moved.batch.source_records)
        {
            assert_eq!(b.date_of_birth.unwrap() - a.date_of_birth.unwrap(), shift);
        }
    }

    #[test]
    fn the_demo_county_is_consistent() {
        let county = demo_county().unwrap();
        assert_eq!(county.users.len(), USERS.len());
        assert_eq!(county.batch.persons.len(), CHILDREN.len());
        // Every role has a demo account, so a newcomer can see the system as each sees it.
        for role in Role::ALL {
            assert!(
                county.users.iter().any(|u| u.roles.contains(role)),
                "no demo {role}"
            );
        }
        // Each event belongs to a record of the agency that supplied it.
        for event in &county.batch.events {
            let record = county
                .batch
                .source_records
                .iter()
                .find(|r| r.id == event.source_record)
                .unwrap();
            assert_eq!(record.agency, event.agency);
        }
    }
}
