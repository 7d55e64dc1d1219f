//! The authorization matrix: every role × every handling marker × every relationship
//! (own agency's record / partner's record of a child the viewer's agency knows / of a child
//! it does not / after emergency access) × every route that shows a child (page and API,
//! view and search, and the replay page), checked both ways against the hand-written `access_matrix.toml`.
//!
//! The permanent exclusions register's routes are checked for every role too: which entries
//! each role's list, entry pages, exports and API show, and who may record and add; so are
//! the children not in school register's pages, downloads, add forms and API (each role's two
//! parts in `access_matrix.toml`), and the fair-access page and API.
//!
//! Each cell is its own child with exactly one event, so "found in a search" and "shown on
//! the record" answer for that cell alone. Responses are also checked for fields from
//! records the viewer may not see.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

mod common;

use harbour_domain::{
    AgencyId, AgencyKind, Clock, EventId, EventKind, FixedClock, Handling, PersonId, Role,
    SourceRecordId, TenantCode, Upn, UserId,
};
use harbour_store::{Batch, NewAgency, NewEvent, NewPerson, NewSourceRecord, NewUser, SearchQuery};
use harbour_web::{AppState, WebConfig};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::macros::{date, datetime};

const RELATIONSHIPS: [&str; 4] = ["own", "partner_known", "partner_unknown", "emergency"];
const ROUTES: [&str; 5] = [
    "page view",
    "api view",
    "page search",
    "api search",
    "page replay",
];

#[derive(Debug, Deserialize)]
struct Expected {
    own: BTreeSet<Handling>,
    partner_known: BTreeSet<Handling>,
    partner_unknown: BTreeSet<Handling>,
    emergency: BTreeSet<Handling>,
    /// Whether "My work" lists the permanent exclusions register's tasks (its keepers).
    #[serde(default)]
    register_tasks: bool,
    /// keep, own_agency or none.
    exclusions_register: String,
    /// keep, own_agency or none: the children not in school register's two parts.
    home_education_register: String,
    missing_education_register: String,
    /// keep or none: the alternative-provision placements.
    alternative_provision: String,
}

impl Expected {
    fn sees(&self, relationship: &str, handling: Handling) -> bool {
        match relationship {
            "own" => &self.own,
            "partner_known" => &self.partner_known,
            "partner_unknown" => &self.partner_unknown,
            _ => &self.emergency,
        }
        .contains(&handling)
    }
}

/// The agency each role's viewer works for.
fn home_agency(role: Role) -> &'static str {
    match role {
        Role::SchoolDsl => "school",
        Role::PoliceMaceCoordinator | Role::PoliceIntelligenceOfficer => "police",
        Role::YouthJusticeWorker => "yjs",
        Role::HealthSafeguardingNurse => "health",
        _ => "la",
    }
}

struct Cell {
    person: PersonId,
    family_name: String,
    upn: Upn,
}

/// One child per (viewer agency, relationship, handling), each with one event.
struct Fixture {
    tenant: TenantCode,
    agencies: BTreeMap<&'static str, AgencyId>,
    users: BTreeMap<Role, UserId>,
    cells: BTreeMap<(&'static str, &'static str, Handling), Cell>,
}

fn build_fixture() -> (Fixture, Vec<NewAgency>, Vec<NewUser>, Batch) {
    let tenant = TenantCode::parse("999").unwrap();
    let kinds = [
        ("school", AgencyKind::School),
        ("la", AgencyKind::LocalAuthority),
        ("police", AgencyKind::Police),
        ("health", AgencyKind::Health),
        ("yjs", AgencyKind::YouthJustice),
        ("partner", AgencyKind::School),
    ];
    let mut agencies = BTreeMap::new();
    let mut new_agencies = Vec::new();
    for (code, kind) in kinds {
        let id = AgencyId::new_v7();
        agencies.insert(code, id);
        new_agencies.push(NewAgency {
            id,
            tenant: tenant.clone(),
            code: code.into(),
            name: format!("Agency {code}"),
            kind,
        });
    }
    let mut users = BTreeMap::new();
    let mut new_users = Vec::new();
    for role in Role::ALL {
        let id = UserId::new_v7();
        users.insert(*role, id);
        new_users.push(NewUser {
            id,
            tenant: tenant.clone(),
            agency: agencies[home_agency(*role)],
            email: format!("{role}@matrix.example"),
            display_name: format!("Viewer {role}"),
            roles: [*role].into(),
            is_demo: true,
        });
    }
    let mut batch = Batch {
        tenant: tenant.clone(),
        persons: vec![],
        source_records: vec![],
        events: vec![],
    };
    let mut cells = BTreeMap::new();
    let mut serial = 0u32;
    for viewer in ["school", "la", "police", "health", "yjs"] {
        for relationship in RELATIONSHIPS {
            for handling in Handling::ALL {
                serial += 1;
                let person = PersonId::new_v7();
                let family_name = format!(
                    "Cell{viewer}{}{}",
                    relationship.replace('_', ""),
                    handling.as_str().replace('_', "")
                );
                let upn = Upn::from_body(&format!("999{serial:09}")).unwrap();
                batch.persons.push(NewPerson { id: person });
                let mut record = |agency: AgencyId, key: String| {
                    let id = SourceRecordId::new_v7();
                    batch.source_records.push(NewSourceRecord {
                        id,
                        agency,
                        record_key: key,
                        person,
                        given_name: "Alex".into(),
                        family_name: family_name.clone(),
                        date_of_birth: Some(date!(2011 - 03 - 04)),
                        sex: None,
                        upn: Some(upn.clone()),
                        nhs_number: None,
                        postcode: None,
                    });
                    id
                };
                let partner_record = record(agencies["partner"], format!("p{serial}"));
                let supplier_record = match relationship {
                    "own" => (
                        record(agencies[viewer], format!("v{serial}")),
                        agencies[viewer],
                    ),
                    "partner_known" => {
                        // The viewer's agency holds a record of the child, with no events of its own.
                        record(agencies[viewer], format!("v{serial}"));
                        (partner_record, agencies["partner"])
                    }
                    _ => (partner_record, agencies["partner"]),
                };
                batch.events.push(NewEvent {
                    id: EventId::new_v7(),
                    source_record: supplier_record.0,
                    agency: supplier_record.1,
                    record_key: format!("e{serial}"),
                    kind: EventKind::SocialCareContact,
                    occurred_on: date!(2025 - 06 - 01),
                    handling: *handling,
                    summary: format!("token-{family_name}"),
                    details: serde_json::json!({}),
                });
                cells.insert(
                    (viewer, relationship, *handling),
                    Cell {
                        person,
                        family_name,
                        upn,
                    },
                );
            }
        }
    }
    (
        Fixture {
            tenant,
            agencies,
            users,
            cells,
        },
        new_agencies,
        new_users,
        batch,
    )
}

#[tokio::test]
async fn every_role_sees_exactly_what_the_sharing_rules_say_on_every_route() {
    let expected: BTreeMap<Role, Expected> =
        toml::from_str(include_str!("access_matrix.toml")).unwrap();
    assert_eq!(expected.len(), Role::ALL.len(), "every role has a row");

    let (store, _dir) = common::fresh_store().await;
    let clock = Arc::new(FixedClock::new(datetime!(2026-11-20 09:00 UTC)));
    let now = clock.now();
    let (fixture, agencies, users, batch) = build_fixture();
    store
        .create_tenant(&fixture.tenant, "Matrix", now)
        .await
        .unwrap();
    for agency in &agencies {
        store.create_agency(agency, now).await.unwrap();
    }
    for user in &users {
        store.create_user(user, now).await.unwrap();
    }
    store.load(&batch, "matrix fixture", now).await.unwrap();
    assert_eq!(fixture.agencies.len(), 6);

    let state = AppState::new(
        store.clone(),
        Arc::new(harbour_rules::RuleSet::builtin().unwrap()),
        clock.clone(),
        WebConfig {
            demo_sign_in: true,
            ..WebConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(harbour_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut executed = 0usize;
    let mut unexpected = Vec::new();
    for role in Role::ALL {
        let viewer = home_agency(*role);
        let user = fixture.users[role];
        let signed_in = client
            .post(format!("{base}/sign-in"))
            .form(&[("user_id", user.to_string())])
            .send()
            .await
            .unwrap();
        let cookie = signed_in.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let principal = store.demo_user(user).await.unwrap().unwrap().principal;

        for handling in Handling::ALL {
            let cell = &fixture.cells[&(viewer, "emergency", *handling)];
            store
                .break_glass(
                    &principal,
                    &SearchQuery::Upn(cell.upn.clone()),
                    "matrix check of emergency access rules",
                    now,
                )
                .await
                .unwrap();
        }

        for relationship in RELATIONSHIPS {
            for handling in Handling::ALL {
                let cell = &fixture.cells[&(viewer, relationship, *handling)];
                let should = expected[role].sees(relationship, *handling);
                let token = format!("token-{}", cell.family_name);
                for route in ROUTES {
                    let seen = match route {
                        "page view" => {
                            let response = client
                                .get(format!("{base}/people/{}", cell.person))
                                .header(COOKIE, &cookie)
                                .send()
                                .await
                                .unwrap();
                            let status = response.status();
                            let body = response.text().await.unwrap();
                            assert!(
                                status == StatusCode::OK || status == StatusCode::NOT_FOUND,
                                "{role} {route}: {status}"
                            );
                            status == StatusCode::OK && body.contains(&token)
                        }
                        "api view" => {
                            let response = client
                                .get(format!("{base}/api/v1/people/{}", cell.person))
                                .header(COOKIE, &cookie)
                                .send()
                                .await
                                .unwrap();
                            let status = response.status();
                            let body: serde_json::Value = response.json().await.unwrap();
                            if status == StatusCode::OK {
                                // No identity from an agency whose events the viewer was not shown.
                                let shown: BTreeSet<String> = body["timeline"]
                                    .as_array()
                                    .unwrap()
                                    .iter()
                                    .map(|e| e["agency"].to_string())
                                    .collect();
                                for identity in body["identities"].as_array().unwrap() {
                                    assert!(
                                        shown.contains(&identity["agency"].to_string()),
                                        "{role}: identity from an agency with nothing shown"
                                    );
                                }
                            }
                            status == StatusCode::OK && body.to_string().contains(&token)
                        }
                        "page replay" => {
                            // Replay runs the rules over everything Harbour holds; the page
                            // must still show only the events the viewer may open.
                            let response = client
                                .get(format!("{base}/people/{}/replay", cell.person))
                                .header(COOKIE, &cookie)
                                .send()
                                .await
                                .unwrap();
                            let status = response.status();
                            let body = response.text().await.unwrap();
                            assert!(
                                status == StatusCode::OK || status == StatusCode::NOT_FOUND,
                                "{role} {route}: {status}"
                            );
                            status == StatusCode::OK && body.contains(&token)
                        }
                        "page search" => {
                            let response = client
                                .get(format!("{base}/people?q={}", cell.family_name))
                                .header(COOKIE, &cookie)
                                .send()
                                .await
                                .unwrap();
                            let body = response.text().await.unwrap();
                            let found = body.contains(&format!("/people/{}", cell.person));
                            // The total counts only children the viewer may see: each cell
                            // is the only child with its family name.
                            assert_eq!(
                                body.contains("1 child found"),
                                found,
                                "{role} {route}: the total counts a child the viewer may not see"
                            );
                            found
                        }
                        _ => {
                            let response = client
                                .get(format!("{base}/api/v1/people?q={}", cell.family_name))
                                .header(COOKIE, &cookie)
                                .send()
                                .await
                                .unwrap();
                            let total = response.headers()["x-total-count"]
                                .to_str()
                                .unwrap()
                                .to_owned();
                            let body: serde_json::Value = response.json().await.unwrap();
                            let found = body
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|p| p["id"] == cell.person.to_string());
                            assert_eq!(
                                total,
                                if found { "1" } else { "0" },
                                "{role} {route}: the total counts a child the viewer may not see"
                            );
                            found
                        }
                    };
                    executed += 1;
                    if seen != should {
                        unexpected.push(format!(
                            "{role} / {relationship} / {handling} / {route}: {} ",
                            if seen {
                                "UNEXPECTED ALLOW"
                            } else {
                                "unexpected deny"
                            }
                        ));
                    }
                }
            }
        }
    }
    println!(
        "authorization matrix: {executed} cells executed, {} unexpected",
        unexpected.len()
    );
    assert_eq!(
        executed,
        Role::ALL.len() * Handling::ALL.len() * RELATIONSHIPS.len() * ROUTES.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} cells differ:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );

    // Every refusal was audited, and the chain is intact after it all.
    match store.verify_audit().await.unwrap() {
        harbour_store::AuditVerification::Intact { entries } => assert!(entries > executed as u64),
        broken => panic!("{broken:?}"),
    }
}

/// Issue 14, point 1: an alert shown to a role describes only evidence that role may open.
/// One child known to a school and to health: a permanent exclusion the school recorded
/// (ordinary) and an emergency attendance for assault health recorded (health confidential).
/// Every role's home queue, alert API and every alert page are read; a role that may not
/// open the health event sees nothing of it (no rule title, reason, kind or summary), only
/// that an event it cannot see exists; a role that may open it sees the alert in full.
#[tokio::test]
async fn alerts_describe_only_the_evidence_each_role_may_open() {
    let expected: BTreeMap<Role, Expected> =
        toml::from_str(include_str!("access_matrix.toml")).unwrap();
    let (store, _dir) = common::fresh_store().await;
    let clock = Arc::new(FixedClock::new(datetime!(2026-11-20 09:00 UTC)));
    let now = clock.now();
    let tenant = TenantCode::parse("998").unwrap();
    store.create_tenant(&tenant, "Alerts", now).await.unwrap();
    let mut agencies = BTreeMap::new();
    for (code, kind) in [
        ("school", AgencyKind::School),
        ("la", AgencyKind::LocalAuthority),
        ("police", AgencyKind::Police),
        ("health", AgencyKind::Health),
        ("yjs", AgencyKind::YouthJustice),
    ] {
        let id = AgencyId::new_v7();
        agencies.insert(code, id);
        store
            .create_agency(
                &NewAgency {
                    id,
                    tenant: tenant.clone(),
                    code: code.into(),
                    name: format!("Agency {code}"),
                    kind,
                },
                now,
            )
            .await
            .unwrap();
    }
    let mut users = BTreeMap::new();
    for role in Role::ALL {
        let id = UserId::new_v7();
        users.insert(*role, id);
        store
            .create_user(
                &NewUser {
                    id,
                    tenant: tenant.clone(),
                    agency: agencies[home_agency(*role)],
                    email: format!("{role}@alerts.example"),
                    display_name: format!("Viewer {role}"),
                    roles: [*role].into(),
                    is_demo: true,
                },
                now,
            )
            .await
            .unwrap();
    }
    let person = PersonId::new_v7();
    let mut batch = Batch {
        tenant: tenant.clone(),
        persons: vec![NewPerson { id: person }],
        source_records: vec![],
        events: vec![],
    };
    for (agency, kind, handling, on, summary, details) in [
        (
            "school",
            EventKind::PermanentExclusion,
            Handling::Ordinary,
            date!(2026 - 11 - 10),
            "token-school-exclusion",
            serde_json::json!({ "reason": "PA" }),
        ),
        (
            "health",
            EventKind::EmergencyAttendance,
            Handling::HealthConfidential,
            date!(2026 - 11 - 15),
            "token-ed-assault",
            serde_json::json!({ "reason": "assault" }),
        ),
    ] {
        let record = SourceRecordId::new_v7();
        batch.source_records.push(NewSourceRecord {
            id: record,
            agency: agencies[agency],
            record_key: format!("r-{agency}"),
            person,
            given_name: "Robin".into(),
            family_name: "Alertchild".into(),
            date_of_birth: Some(date!(2011 - 03 - 04)),
            sex: None,
            upn: None,
            nhs_number: None,
            postcode: None,
        });
        batch.events.push(NewEvent {
            id: EventId::new_v7(),
            source_record: record,
            agency: agencies[agency],
            record_key: format!("e-{agency}"),
            kind,
            occurred_on: on,
            handling,
            summary: summary.into(),
            details,
        });
    }
    store.load(&batch, "alert fixture", now).await.unwrap();
    let rules = Arc::new(harbour_rules::RuleSet::builtin().unwrap());
    let report = store
        .run_rules(
            &tenant,
            &rules,
            harbour_store::RunScope::All,
            now.date(),
            now,
        )
        .await
        .unwrap();
    assert!(report.alerts_raised >= 4, "{report:?}");
    // The school's permanent exclusion opens an entry on the register (its day six, 17
    // November, is three school days past: not yet escalated).
    assert_eq!(store.open_exclusion_entries(&tenant, now).await.unwrap(), 1);

    let state = AppState::new(
        store.clone(),
        rules,
        clock.clone(),
        WebConfig {
            demo_sign_in: true,
            ..WebConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(harbour_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies = BTreeMap::new();
    for role in Role::ALL {
        let signed_in = client
            .post(format!("{base}/sign-in"))
            .form(&[("user_id", users[role].to_string())])
            .send()
            .await
            .unwrap();
        let cookie = signed_in.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        cookies.insert(*role, cookie);
    }
    let get = |path: String, cookie: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let response = client
                .get(format!("{base}{path}"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    // Every alert id any role's queue holds.
    let mut ids = BTreeSet::new();
    let mut queues = BTreeMap::new();
    for role in Role::ALL {
        let (status, body) = get("/api/v1/alerts".into(), cookies[role].clone()).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        for alert in json.as_array().unwrap() {
            ids.insert(alert["id"].as_str().unwrap().to_owned());
        }
        queues.insert(*role, body);
    }
    assert!(ids.len() >= 4, "{ids:?}");
    // What names the health event or the rule it fired.
    let secrets = [
        "token-ed-assault",
        "Victim of violence",
        "victim-of-violence",
        "mergency department",
        "assault",
    ];
    let mut leaks = Vec::new();
    let mut checked = 0;
    for role in Role::ALL {
        let relationship = match home_agency(*role) {
            "health" => "own",
            "school" => "partner_known",
            _ => "partner_unknown",
        };
        let may_open = expected[role].sees(relationship, Handling::HealthConfidential);
        let (status, work_page) = get("/work".into(), cookies[role].clone()).await;
        assert_eq!(status, StatusCode::OK, "{role} /work");
        let (status, tasks) = get("/api/v1/tasks".into(), cookies[role].clone()).await;
        assert_eq!(status, StatusCode::OK, "{role} /api/v1/tasks");
        // My work holds exactly the role's own alert queue (the police theirs and no other),
        // and the register's tasks only for its keepers.
        let tasks_json: serde_json::Value = serde_json::from_str(&tasks).unwrap();
        let queue_json: serde_json::Value = serde_json::from_str(&queues[role]).unwrap();
        let alert_tasks: BTreeSet<&str> = tasks_json
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["workflow"] == "alert")
            .map(|t| t["record"].as_str().unwrap())
            .collect();
        let queued: BTreeSet<&str> = queue_json
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            alert_tasks, queued,
            "{role}: My work's alerts are its queue"
        );
        let register_tasks = tasks_json
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["workflow"] == "exclusions_register")
            .count();
        assert_eq!(
            register_tasks > 0,
            expected[role].register_tasks,
            "{role}: register tasks {tasks}"
        );
        assert_eq!(
            work_page.contains("Robin Alertchild"),
            expected[role].register_tasks || !queued.is_empty(),
            "{role}: the child is named on My work only to those whose work it is"
        );
        // The queue a window at a time: the total counts only the role's own tasks, and each
        // one-task window is that task as the whole list tells it (an alert disclosed for the
        // window alone says no more than in the list).
        let all = tasks_json.as_array().unwrap();
        let response = client
            .get(format!("{base}/api/v1/tasks?limit=1"))
            .header(COOKIE, cookies[role].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{role} /api/v1/tasks?limit=1"
        );
        assert_eq!(
            response.headers()["x-total-count"].to_str().unwrap(),
            all.len().to_string(),
            "{role}: the total counts the tasks the role may see"
        );
        let mut windows = Vec::new();
        for offset in 0..all.len() {
            let (status, body) = get(
                format!("/api/v1/tasks?limit=1&offset={offset}"),
                cookies[role].clone(),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{role} window {offset}");
            let window: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
            assert_eq!(
                window.as_slice(),
                &all[offset..=offset],
                "{role} window {offset}"
            );
            windows.push(body);
        }
        let (status, past_the_end) = get("/work?page=2".into(), cookies[role].clone()).await;
        assert_eq!(status, StatusCode::OK, "{role} /work?page=2");
        let mut bodies = vec![
            ("home", get("/".into(), cookies[role].clone()).await.1),
            ("api queue", queues[role].clone()),
            ("work page", work_page),
            ("work page 2", past_the_end),
            ("api tasks", tasks),
        ];
        bodies.extend(windows.into_iter().map(|w| ("api tasks window", w)));
        for id in &ids {
            let (status, body) = get(format!("/alerts/{id}"), cookies[role].clone()).await;
            assert!(
                status == StatusCode::OK || status == StatusCode::NOT_FOUND,
                "{role} /alerts/{id}: {status}"
            );
            if status == StatusCode::OK {
                bodies.push(("alert page", body));
            }
        }
        for (route, body) in &bodies {
            checked += 1;
            if !may_open {
                for secret in secrets {
                    if body.contains(secret) {
                        leaks.push(format!("{role} / {route}: shows {secret:?}"));
                    }
                }
            }
        }
        if may_open && queues[role].contains("\"because\"") {
            assert!(
                queues[role].contains("Victim of violence"),
                "{role} may open the evidence and sees the alert in full"
            );
        }
    }
    assert!(checked > Role::ALL.len() * 2);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    // The school's lead is told of both: the exclusion in full, the other counted.
    let dsl_home = get("/".into(), cookies[&Role::SchoolDsl].clone()).await.1;
    assert!(dsl_home.contains("Permanent exclusion"), "{dsl_home}");
    let dsl_api: serde_json::Value = serde_json::from_str(&queues[&Role::SchoolDsl]).unwrap();
    assert_eq!(dsl_api.as_array().unwrap().len(), 2, "{dsl_api}");
    let mut counted = false;
    for alert in dsl_api.as_array().unwrap() {
        let id = alert["id"].as_str().unwrap();
        let page = get(format!("/alerts/{id}"), cookies[&Role::SchoolDsl].clone())
            .await
            .1;
        counted |= page.contains("1 event you cannot see");
    }
    assert!(
        counted,
        "the withheld evidence is counted on the alert page"
    );

    // Closed alerts: each role dismisses what its queue holds; its closed list then shows
    // those alerts and no other, told as the queue told them.
    let mut closed_by_role = BTreeMap::new();
    for role in Role::ALL {
        let queue: serde_json::Value = serde_json::from_str(&queues[role]).unwrap();
        let mut mine = BTreeSet::new();
        for alert in queue.as_array().unwrap() {
            let id = alert["id"].as_str().unwrap().to_owned();
            let response = client
                .post(format!("{base}/api/v1/alerts/{id}"))
                .header(COOKIE, cookies[role].clone())
                .json(&serde_json::json!({"action": "dismiss", "note": "closed for the matrix"}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            // Two roles may share an alert (escalation): the second finds it closed.
            assert!(
                status == StatusCode::OK || status == StatusCode::CONFLICT,
                "{role} dismisses {id}: {status}"
            );
            mine.insert(id);
        }
        closed_by_role.insert(*role, mine);
    }
    for role in Role::ALL {
        let (status, body) = get("/alerts/closed".into(), cookies[role].clone()).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        for id in &ids {
            assert_eq!(
                body.contains(&format!("href=\"/alerts/{id}\"")),
                closed_by_role[role].contains(id),
                "{role}'s closed alerts and {id}"
            );
        }
        let relationship = match home_agency(*role) {
            "health" => "own",
            "school" => "partner_known",
            _ => "partner_unknown",
        };
        if !expected[role].sees(relationship, Handling::HealthConfidential) {
            for secret in secrets {
                assert!(
                    !body.contains(secret),
                    "{role} / closed alerts: shows {secret:?}"
                );
            }
        }
    }
}

/// Every route of the permanent exclusions register, for every role: a keeper sees both
/// entries and records; a school DSL sees its own school's entry only, read only; every other
/// role gets nothing (403 for the list and exports, 404 for an entry, 403 for a change).
#[tokio::test]
async fn every_role_gets_exactly_its_part_of_the_exclusions_register_on_every_route() {
    use harbour_policy::Principal;
    let expected: BTreeMap<Role, Expected> =
        toml::from_str(include_str!("access_matrix.toml")).unwrap();
    let (store, _dir) = common::fresh_store().await;
    let clock = Arc::new(FixedClock::new(datetime!(2026-11-20 09:00 UTC)));
    let now = clock.now();
    let (fixture, agencies, users, batch) = build_fixture();
    store
        .create_tenant(&fixture.tenant, "Matrix", now)
        .await
        .unwrap();
    for agency in &agencies {
        store.create_agency(agency, now).await.unwrap();
    }
    for user in &users {
        store.create_user(user, now).await.unwrap();
    }
    store.load(&batch, "matrix fixture", now).await.unwrap();
    let keeper: Principal = store
        .demo_user(fixture.users[&Role::LaInclusionOfficer])
        .await
        .unwrap()
        .unwrap()
        .principal;
    // One entry excluded by the school agency, one by the partner school.
    let mut entries = BTreeMap::new();
    for (school, cell) in [("school", "own"), ("partner", "partner_unknown")] {
        let person = fixture.cells[&("school", cell, Handling::Ordinary)].person;
        let id = store
            .add_exclusion_entry(
                &keeper,
                person,
                Some(fixture.agencies[school]),
                date!(2026 - 11 - 02),
                date!(2026 - 11 - 20),
                now,
            )
            .await
            .unwrap()
            .unwrap();
        entries.insert(school, id);
    }
    let state = AppState::new(
        store.clone(),
        Arc::new(harbour_rules::RuleSet::builtin().unwrap()),
        clock.clone(),
        WebConfig {
            demo_sign_in: true,
            ..WebConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(harbour_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut unexpected = Vec::new();
    let check = |unexpected: &mut Vec<String>,
                 role: Role,
                 route: &str,
                 got: StatusCode,
                 want: StatusCode| {
        if got != want {
            unexpected.push(format!("{role} {route}: {got}, expected {want}"));
        }
    };
    for role in Role::ALL {
        let access = expected[role].exclusions_register.as_str();
        assert!(
            ["keep", "own_agency", "none"].contains(&access),
            "{role}: {access}"
        );
        let sees = |school: &str| {
            access == "keep" || (access == "own_agency" && school == home_agency(*role))
        };
        let cookie = common_cookie(&client, &base, fixture.users[role]).await;
        let get = |path: String| {
            let request = client.get(format!("{base}{path}")).header(COOKIE, &cookie);
            async move { request.send().await.unwrap() }
        };
        let allowed = |yes: bool| {
            if yes {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            }
        };

        let home = get("/".into()).await.text().await.unwrap();
        if home.contains("href=\"/registers/exclusions\"") != (access != "none") {
            unexpected.push(format!("{role} navigation entry"));
        }
        for (route, path) in [
            ("page list", "/registers/exclusions".to_owned()),
            ("api list", "/api/v1/registers/exclusions".to_owned()),
            (
                "csv export",
                "/registers/exclusions/export.csv?status=all".to_owned(),
            ),
            (
                "xlsx export",
                "/registers/exclusions/export.xlsx?status=all".to_owned(),
            ),
        ] {
            let response = get(path).await;
            check(
                &mut unexpected,
                *role,
                route,
                response.status(),
                allowed(access != "none"),
            );
            if route == "xlsx export" || response.status() != StatusCode::OK {
                continue;
            }
            let body = response.text().await.unwrap();
            for (school, id) in &entries {
                let cell = if *school == "school" {
                    "own"
                } else {
                    "partner_unknown"
                };
                let name = &fixture.cells[&("school", cell, Handling::Ordinary)].family_name;
                let shown = body.contains(&id.to_string()) || body.contains(name.as_str());
                if shown != sees(school) {
                    unexpected.push(format!("{role} {route}: entry of {school} shown {shown}"));
                }
            }
        }
        for (school, id) in &entries {
            let want = if sees(school) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            let response = get(format!("/registers/exclusions/{id}")).await;
            check(
                &mut unexpected,
                *role,
                "entry page",
                response.status(),
                want,
            );
            let response = get(format!("/api/v1/registers/exclusions/{id}")).await;
            check(&mut unexpected, *role, "entry api", response.status(), want);

            // Recording: keepers only. Everyone else is refused (and audited) before the entry
            // is even looked up, so another school's entry is 403 too, never a hint it exists.
            let write = if access == "keep" {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            let response = client
                .post(format!("{base}/api/v1/registers/exclusions/{id}/facts"))
                .header(COOKIE, &cookie)
                .json(&serde_json::json!({"fact": "review", "on": "2026-11-10", "notes": "Matrix check", "next_on": null}))
                .send()
                .await
                .unwrap();
            check(
                &mut unexpected,
                *role,
                "record api",
                response.status(),
                write,
            );
            let page = get(format!("/registers/exclusions/{id}"))
                .await
                .text()
                .await
                .unwrap();
            if page.contains("Record an education offer") != (access == "keep") {
                unexpected.push(format!("{role} entry page: forms shown to a reader"));
            }
        }
        let token = {
            let page = get("/".into()).await.text().await.unwrap();
            page.split("name=\"csrf_token\" value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        };
        let response = client
            .post(format!(
                "{base}/registers/exclusions/{}/facts",
                entries["school"]
            ))
            .header(COOKIE, &cookie)
            .form(&[
                ("csrf_token", token.as_str()),
                ("fact", "review"),
                ("on", "10/11/2026"),
                ("notes", "Matrix check"),
            ])
            .send()
            .await
            .unwrap();
        check(
            &mut unexpected,
            *role,
            "record form",
            response.status(),
            if access == "keep" {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::FORBIDDEN
            },
        );
        let response = get("/registers/exclusions/new".into()).await;
        check(
            &mut unexpected,
            *role,
            "add page",
            response.status(),
            allowed(access == "keep"),
        );
        let response = client
            .post(format!("{base}/api/v1/registers/exclusions"))
            .header(COOKIE, &cookie)
            .json(&serde_json::json!({
                "person": fixture.cells[&("la", "own", Handling::Ordinary)].person,
                "first_day": "2026-11-03",
            }))
            .send()
            .await
            .unwrap();
        check(
            &mut unexpected,
            *role,
            "add api",
            response.status(),
            if access == "keep" {
                StatusCode::CREATED
            } else {
                StatusCode::FORBIDDEN
            },
        );
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    match store.verify_audit().await.unwrap() {
        harbour_store::AuditVerification::Intact { .. } => {}
        broken => panic!("{broken:?}"),
    }
}

async fn common_cookie(client: &reqwest::Client, base: &str, user: UserId) -> String {
    let signed_in = client
        .post(format!("{base}/sign-in"))
        .form(&[("user_id", user.to_string())])
        .send()
        .await
        .unwrap();
    signed_in.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The children not in school register, as `access_matrix.toml` says (written by hand from
/// the information-sharing rules, separately from `policy/access.toml`): the CME/EHE officers
/// keep both parts; a school's DSL sees the missing-education episodes its own roll deletions
/// opened, and no home education; every other role sees neither. Every route: the list, the
/// entries, each part's downloads, the add pages and forms, the add API, and the person page's
/// link to the add pages.
#[tokio::test]
async fn every_role_sees_the_children_not_in_school_register_as_the_sharing_rules_say() {
    let expected: BTreeMap<Role, Expected> =
        toml::from_str(include_str!("access_matrix.toml")).unwrap();
    let app = common::spawn_app().await;
    app.store
        .open_not_in_school_entries(&app.county.tenant, app.clock.now())
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let (_, list) = app.page("/children-not-in-school", &officer).await;
    // The first entry's address (each part's download links come before its entries).
    let first = |prefix: &str| {
        list.split(&format!("href=\"/children-not-in-school/{prefix}/"))
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .find(|id| !id.starts_with("export."))
            .unwrap()
            .to_owned()
    };
    let ehe = format!(
        "/children-not-in-school/home-education/{}",
        first("home-education")
    );
    let cme = format!(
        "/children-not-in-school/missing-education/{}",
        first("missing-education")
    );
    let seaview = app
        .county
        .agencies
        .iter()
        .find(|a| a.code == "seaview")
        .unwrap()
        .id
        .0;
    let mut checked = BTreeSet::new();
    for user in &app.county.users {
        let role = *user.roles.iter().next().unwrap();
        let response = app
            .client
            .post(app.url("/sign-in"))
            .form(&[("user_id", user.id.to_string())])
            .send()
            .await
            .unwrap();
        let cookie = response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let (list_status, list) = app.page("/children-not-in-school", &cookie).await;
        let (ehe_status, _) = app.page(&ehe, &cookie).await;
        let (cme_status, _) = app.page(&cme, &cookie).await;
        let (api_status, api) = app
            .json("/api/v1/registers/children-not-in-school", &cookie)
            .await;
        let (_, home) = app.page("/", &cookie).await;
        let linked = home.contains("href=\"/children-not-in-school\"");
        // The fair-access log and figures: the inclusion officers' alone
        // ([registers.fair_access]), page, API and navigation alike.
        let (fair_page, _) = app.page("/fair-access", &cookie).await;
        let (fair_api, _) = app.json("/api/v1/fair-access", &cookie).await;
        let fair = if role == Role::LaInclusionOfficer {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!((fair_page, fair_api), (fair, fair), "{role}: fair access");
        // Recording in the log kept here: the same keepers, page and API.
        let (fair_new, _) = app.page("/fair-access/new", &cookie).await;
        let fair_post = app
            .client
            .post(app.url("/api/v1/fair-access"))
            .header(COOKIE, &cookie)
            .json(&serde_json::json!({
                "person": app.jayden(), "on": "2026-07-13", "school": seaview,
                "reason": "Matrix decision", "response": "pending"
            }))
            .send()
            .await
            .unwrap()
            .status();
        let (fair_created, fair_form) = if fair == StatusCode::OK {
            (StatusCode::CREATED, StatusCode::OK)
        } else {
            (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN)
        };
        assert_eq!(
            (fair_new, fair_post),
            (fair_form, fair_created),
            "{role}: recording a fair-access decision"
        );
        assert_eq!(
            home.contains("href=\"/fair-access\""),
            fair == StatusCode::OK,
            "{role}: fair access in the navigation"
        );
        let ehe_access = expected[&role].home_education_register.as_str();
        let cme_access = expected[&role].missing_education_register.as_str();
        let access = match (ehe_access, cme_access) {
            ("keep", "keep") => "keep",
            ("none", "own_agency") => "own episodes",
            ("none", "none") => "none",
            other => panic!("{role}: no case for {other:?}"),
        };
        not_in_school_writes(&app, role, &cookie, ehe_access, cme_access).await;
        match access {
            "keep" => {
                assert_eq!(list_status, StatusCode::OK, "{role}");
                assert!(list.contains("Elective home education"), "{role}");
                assert_eq!(
                    (ehe_status, cme_status),
                    (StatusCode::OK, StatusCode::OK),
                    "{role}"
                );
                assert_eq!(api_status, StatusCode::OK, "{role}");
                assert_eq!(api["home_education_access"], "keep", "{role}");
                assert!(!api["missing_education"].as_array().unwrap().is_empty());
                assert!(linked, "{role}");
            }
            "own episodes" => {
                assert_eq!(list_status, StatusCode::OK, "{role}");
                assert!(!list.contains("Elective home education"), "{role}");
                assert!(!list.contains("Maisie"), "{role}: {list}");
                // The demo's episodes are the authority's, not a school's.
                assert_eq!(
                    (ehe_status, cme_status),
                    (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
                    "{role}"
                );
                assert_eq!(api_status, StatusCode::OK, "{role}");
                assert!(
                    api["home_education"].as_array().unwrap().is_empty(),
                    "{role}"
                );
                assert!(
                    api["missing_education"].as_array().unwrap().is_empty(),
                    "{role}: {api}"
                );
                assert!(linked, "{role}");
            }
            _ => {
                assert_eq!(list_status, StatusCode::FORBIDDEN, "{role}");
                assert_eq!(api_status, StatusCode::FORBIDDEN, "{role}: the API too");
                assert_eq!(
                    (ehe_status, cme_status),
                    (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
                    "{role}: answered as missing"
                );
                assert!(!linked, "{role}: no link to a register they cannot open");
            }
        }
        checked.insert(role);
    }
    assert_eq!(checked.len(), Role::ALL.len(), "every role checked");
}

/// Each part's downloads, the add pages, forms and API, and the person page's link, for one
/// role: a keeper adds (201, or 303 from a form), everyone else is refused (403); a download
/// is 200 for any access to its part, 403 without.
async fn not_in_school_writes(
    app: &common::App,
    role: Role,
    cookie: &str,
    ehe_access: &str,
    cme_access: &str,
) {
    let allowed = |access: &str| {
        if access == "none" {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        }
    };
    let keeps = |access: &str| access == "keep";
    for (part, access) in [
        ("home-education", ehe_access),
        ("missing-education", cme_access),
    ] {
        for format in ["csv", "xlsx"] {
            let path = format!("/children-not-in-school/{part}/export.{format}");
            let response = app.get(&path, cookie).await;
            assert_eq!(response.status(), allowed(access), "{role} {path}");
            if format == "csv" && access == "own_agency" {
                // The demo's episodes are the authority's: a school's download is the header.
                let body = response.text().await.unwrap();
                assert_eq!(body.lines().count(), 1, "{role} {path}: {body}");
            }
        }
        let path = format!("/children-not-in-school/{part}/new");
        let (status, _) = app.page(&path, cookie).await;
        let want = if keeps(access) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, want, "{role} {path}");
    }
    let (status, _) = app.page("/children-not-in-school/new", cookie).await;
    let keeps_any = keeps(ehe_access) || keeps(cme_access);
    assert_eq!(
        status,
        if keeps_any {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        },
        "{role} choice page"
    );

    let jayden = app.jayden();
    let (status, person) = app.page(&format!("/people/{jayden}"), cookie).await;
    if status == StatusCode::OK {
        assert_eq!(
            person.contains(&format!(
                "href=\"/children-not-in-school/new?person={jayden}\""
            )),
            keeps_any,
            "{role}: the person page's link"
        );
    }

    let post = |path: &'static str, body: serde_json::Value| {
        let request = app
            .client
            .post(app.url(path))
            .header(COOKIE, cookie)
            .json(&body);
        async move { request.send().await.unwrap().status() }
    };
    let created = |access: &str| {
        if keeps(access) {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        }
    };
    let status = post(
        "/api/v1/registers/children-not-in-school/home-education",
        serde_json::json!({
            "person": jayden,
            "first_day": "2026-11-02",
            "registration": {
                "parents": [["Matrix Parent", "1 Test Row"]],
                "educating_parents": ["Matrix Parent"],
                "hours_by_parents": 180,
                "hours_by_others": 0,
                "providers": []
            }
        }),
    )
    .await;
    assert_eq!(status, created(ehe_access), "{role} home education add api");
    let status = post(
        "/api/v1/registers/children-not-in-school/missing-education",
        serde_json::json!({"person": jayden, "first_day": "2026-11-02"}),
    )
    .await;
    assert_eq!(
        status,
        created(cme_access),
        "{role} missing education add api"
    );

    let token = app.form_token(cookie).await;
    let redirected = |access: &str| {
        if keeps(access) {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::FORBIDDEN
        }
    };
    let response = app
        .post_form(
            "/children-not-in-school/missing-education/new",
            cookie,
            &[
                ("csrf_token", token.as_str()),
                ("person", jayden.as_str()),
                ("first_day", "3/11/2026"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        redirected(cme_access),
        "{role} missing education add form"
    );
    let response = app
        .post_form(
            "/children-not-in-school/home-education/new",
            cookie,
            &[
                ("csrf_token", token.as_str()),
                ("person", jayden.as_str()),
                ("first_day", "3/11/2026"),
                ("parent1_name", "Matrix Parent"),
                ("parent1_address", "1 Test Row"),
                ("parent1_educates", "yes"),
                ("hours_by_parents", "18"),
                ("hours_by_others", "0"),
                ("consent", "not_needed"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        redirected(ehe_access),
        "{role} home education add form"
    );
}

/// The alternative-provision placements, as `access_matrix.toml` says: the inclusion officers
/// keep them; every other role is refused the list, the API and the add form, finds each
/// placement missing, may record nothing, and has no link to them.
#[tokio::test]
async fn every_role_sees_the_alternative_provision_placements_as_the_sharing_rules_say() {
    let expected: BTreeMap<Role, Expected> =
        toml::from_str(include_str!("access_matrix.toml")).unwrap();
    let app = common::spawn_app().await;
    let tenant = &app.county.tenant;
    let now = app.clock.now();
    app.store.open_exclusion_entries(tenant, now).await.unwrap();
    assert!(app.store.open_placement_entries(tenant, now).await.unwrap() >= 1);
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (_, list) = app
        .json("/api/v1/registers/alternative-provision", &officer)
        .await;
    let first = list["placements"][0]["id"].as_str().unwrap().to_owned();
    let entry = format!("/registers/alternative-provision/{first}");
    let jayden = app.jayden();
    let mut checked = BTreeSet::new();
    for user in &app.county.users {
        let role = *user.roles.iter().next().unwrap();
        let response = app
            .client
            .post(app.url("/sign-in"))
            .form(&[("user_id", user.id.to_string())])
            .send()
            .await
            .unwrap();
        let cookie = common::App::cookie_of(&response);
        let keeps = match expected[&role].alternative_provision.as_str() {
            "keep" => true,
            "none" => false,
            other => panic!("{role}: no case for {other}"),
        };
        let (list_status, _) = app.page("/registers/alternative-provision", &cookie).await;
        let (api_status, _) = app
            .json("/api/v1/registers/alternative-provision", &cookie)
            .await;
        let (entry_status, _) = app.page(&entry, &cookie).await;
        let (entry_api, _) = app.json(&format!("/api/v1{entry}"), &cookie).await;
        let (new_status, _) = app
            .page("/registers/alternative-provision/new", &cookie)
            .await;
        let (_, home) = app.page("/", &cookie).await;
        let post = |path: String, body: serde_json::Value| {
            let request = app
                .client
                .post(app.url(&path))
                .header(COOKIE, &cookie)
                .json(&body);
            async move { request.send().await.unwrap().status() }
        };
        let recorded = post(
            format!("/api/v1{entry}/facts"),
            serde_json::json!({ "fact": "reviewed", "on": "2026-07-17", "notes": "Matrix review", "next_on": null }),
        )
        .await;
        let added = post(
            "/api/v1/registers/alternative-provision".into(),
            serde_json::json!({ "person": jayden, "starts_on": "2026-07-13", "provider": "Matrix Tuition", "kind": "tuition", "hours": 50 }),
        )
        .await;
        let (ok, created, refused, missing) = if keeps {
            (
                StatusCode::OK,
                StatusCode::CREATED,
                StatusCode::OK,
                StatusCode::OK,
            )
        } else {
            (
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::NOT_FOUND,
            )
        };
        assert_eq!((list_status, api_status), (ok, ok), "{role}: the list");
        assert_eq!(
            (entry_status, entry_api),
            (missing, missing),
            "{role}: an entry"
        );
        assert_eq!(new_status, refused, "{role}: the add form");
        assert_eq!(recorded, refused, "{role}: recording");
        assert_eq!(added, created, "{role}: adding");
        assert_eq!(
            home.contains("href=\"/registers/alternative-provision\""),
            keeps,
            "{role}: in the navigation"
        );
        checked.insert(role);
    }
    assert_eq!(checked.len(), Role::ALL.len(), "every role checked");
}
