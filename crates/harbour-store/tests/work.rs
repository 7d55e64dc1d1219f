//! The work queue on every backend: alerts and the exclusions register's tasks appear for
//! the roles whose work they are and no others, register tasks overdue too long escalate by
//! the alert routing, records are given to colleagues who may work them (and refused
//! otherwise, with the reason), and every read and assignment is audited.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

use harbour_casework::Escalation;
use harbour_casework::exclusions::Settings;
use harbour_domain::{Role, UserId};
use harbour_policy::Principal;
use harbour_rules::RuleSet;
use harbour_store::{
    AssignRefusal, AuditPage, NewUser, RegisterDay, RunScope, Store, WorkDay, WorkFilter, WorkItem,
    Workflow,
};
use harbour_synth::demo::{self, DemoCounty};
use std::collections::BTreeSet;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

mod common;
use common::{backends, principal};

fn day(rules: &RuleSet, today: Date) -> WorkDay<'_> {
    WorkDay {
        register: RegisterDay {
            calendar: rules.calendar(),
            settings: Settings::default(),
            today,
        },
        rules,
        escalation: Escalation::default(),
    }
}

/// A second member of staff with `role` at the agency `agency_code`.
async fn colleague(
    store: &Store,
    county: &DemoCounty,
    role: Role,
    agency_code: &str,
    email: &str,
    now: OffsetDateTime,
) -> Principal {
    let agency = county
        .agencies
        .iter()
        .find(|a| a.code == agency_code)
        .unwrap()
        .id;
    let user = NewUser {
        id: UserId(uuid::Uuid::now_v7()),
        tenant: county.tenant.clone(),
        agency,
        email: email.into(),
        display_name: format!("Second {}", role.label()),
        roles: BTreeSet::from([role]),
        is_demo: false,
    };
    store.create_user(&user, now).await.unwrap();
    Principal {
        user: user.id,
        tenant: county.tenant.clone(),
        agency,
        roles: user.roles,
    }
}

async fn work(
    store: &Store,
    who: &Principal,
    filter: WorkFilter,
    day: WorkDay<'_>,
    now: OffsetDateTime,
) -> Vec<WorkItem> {
    store.my_work(who, filter, day, now).await.unwrap().items
}

fn of(items: &[WorkItem], workflow: Workflow) -> Vec<&WorkItem> {
    items.iter().filter(|i| i.workflow == workflow).collect()
}

#[tokio::test]
async fn each_role_sees_its_own_alerts_and_register_tasks_and_assigns_to_colleagues_who_may_work_them()
 {
    let rules = RuleSet::builtin().unwrap();
    let now = datetime!(2026-07-19 09:00 UTC);
    let today = now.date();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let tenant = &county.tenant;
        let jayden = demo::jayden(&county).unwrap();
        let pru_dsl = colleague(
            store,
            &county,
            Role::SchoolDsl,
            "pru",
            "dsl@pru.example",
            now,
        )
        .await;
        let second_officer = colleague(
            store,
            &county,
            Role::LaInclusionOfficer,
            "la",
            "inclusion2@la.example",
            now,
        )
        .await;
        let second_social = colleague(
            store,
            &county,
            Role::SocialWorker,
            "la",
            "social2@la.example",
            now,
        )
        .await;
        // The stabbing of 18 July raises alerts for the social workers, the police MACE
        // coordinator and the PRU's lead; Northgate's exclusion of January 2023 opens an
        // entry on the register.
        store
            .run_rules(tenant, &rules, RunScope::All, today, now)
            .await
            .unwrap();
        assert_eq!(store.open_exclusion_entries(tenant, now).await.unwrap(), 1);
        let day = day(&rules, today);

        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let mine = work(store, &officer, WorkFilter::All, day, now).await;
        assert!(of(&mine, Workflow::Alert).is_empty(), "{name}: {mine:?}");
        let register = of(&mine, Workflow::Exclusions);
        assert!(!register.is_empty(), "{name}");
        let provision = register
            .iter()
            .find(|i| i.what.starts_with("Arrange full-time education"))
            .unwrap();
        assert_eq!(provision.person, jayden);
        assert_eq!(
            provision.child.as_ref().map(|c| c.family_name.as_str()),
            Some("Mercer"),
            "{name}: the register's keeper sees which child"
        );
        assert_eq!(provision.due, date!(2023 - 01 - 24));
        assert!(provision.overdue && provision.escalated);
        assert!(provision.school_days_left.unwrap() < -5, "{name}");
        assert!(provision.owner.is_none() && provision.may_open);
        assert!(provision.assignable.contains(&second_officer.user));
        assert!(
            mine.windows(2)
                .all(|w| (!w[0].overdue, w[0].due) <= (!w[1].overdue, w[1].due)),
            "{name}: overdue first, then the soonest"
        );

        // The social worker: the alert, no register tasks.
        let social = principal(&county, Role::SocialWorker, "la");
        let theirs = work(store, &social, WorkFilter::All, day, now).await;
        let alerts = of(&theirs, Workflow::Alert);
        assert_eq!(alerts.len(), 1, "{name}: {theirs:?}");
        assert!(of(&theirs, Workflow::Exclusions).is_empty(), "{name}");
        let alert = alerts[0].clone();
        assert_eq!(alert.person, jayden);
        assert_eq!(alert.due, date!(2026 - 07 - 21));
        assert_eq!(alert.school_days_left, None);
        assert!(!alert.overdue && !alert.escalated);
        assert!(!alert.what.is_empty());
        assert!(alert.child.is_some());
        assert!(alert.assignable.contains(&second_social.user));
        assert!(!alert.assignable.contains(&officer.user));

        // A school's lead sees its own school's alerts only, and no register tasks (the
        // register's clocks are the authority's work, not the excluding school's).
        let pru = work(store, &pru_dsl, WorkFilter::All, day, now).await;
        assert_eq!(of(&pru, Workflow::Alert).len(), 1, "{name}: {pru:?}");
        assert!(of(&pru, Workflow::Exclusions).is_empty());
        let northgate = principal(&county, Role::SchoolDsl, "northgate");
        assert!(
            work(store, &northgate, WorkFilter::All, day, now)
                .await
                .is_empty(),
            "{name}: the excluding school has no task here"
        );
        // The police see their own queue's alert and no register.
        let police = principal(&county, Role::PoliceMaceCoordinator, "police");
        let theirs = work(store, &police, WorkFilter::All, day, now).await;
        assert_eq!(theirs.len(), 1, "{name}: {theirs:?}");
        assert_eq!(theirs[0].workflow, Workflow::Alert);
        let intel = principal(&county, Role::PoliceIntelligenceOfficer, "police");
        assert!(
            work(store, &intel, WorkFilter::All, day, now)
                .await
                .is_empty()
        );

        // Overdue by more than five school days, the register's tasks go up the line to the
        // MACE chair (the routing above the inclusion officer), marked and unnamed, and not
        // theirs to give away.
        let chair = principal(&county, Role::MaceChair, "la");
        let escalated = work(store, &chair, WorkFilter::All, day, now).await;
        let escalated = of(&escalated, Workflow::Exclusions);
        assert!(!escalated.is_empty(), "{name}");
        for item in &escalated {
            assert!(
                item.escalated && item.child.is_none() && !item.may_open,
                "{name}: {item:?}"
            );
            assert!(item.assignable.is_empty());
        }

        // Giving the entry to a colleague who keeps the register; a social worker does not.
        let entry = provision.record;
        assert_eq!(
            store
                .assign_task(&officer, Workflow::Exclusions, entry, social.user, "", now)
                .await
                .unwrap(),
            Err(AssignRefusal::CannotWork {
                name: "Grace Adeyemi".into(),
                reason: "their role does not keep the permanent exclusions register",
            }),
            "{name}"
        );
        for who in [&social, &chair, &northgate] {
            assert_eq!(
                store
                    .assign_task(
                        who,
                        Workflow::Exclusions,
                        entry,
                        second_officer.user,
                        "",
                        now
                    )
                    .await
                    .unwrap(),
                Err(AssignRefusal::NotAllowed),
                "{name}: only a keeper assigns a register entry"
            );
        }
        assert_eq!(
            store
                .assign_task(
                    &officer,
                    Workflow::Exclusions,
                    entry,
                    UserId(uuid::Uuid::now_v7()),
                    "",
                    now
                )
                .await
                .unwrap(),
            Err(AssignRefusal::NoSuchColleague)
        );
        store
            .assign_task(
                &officer,
                Workflow::Exclusions,
                entry,
                second_officer.user,
                "Please arrange the PRU place",
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let theirs = work(store, &second_officer, WorkFilter::Mine, day, now).await;
        assert_eq!(
            theirs.len(),
            register.len(),
            "{name}: every task of the entry"
        );
        assert!(
            theirs.iter().all(|i| i.record == entry
                && i.owner.as_ref().map(|o| o.user) == Some(second_officer.user)),
            "{name}: {theirs:?}"
        );
        assert!(
            of(
                &work(store, &officer, WorkFilter::Unassigned, day, now).await,
                Workflow::Exclusions
            )
            .is_empty(),
            "{name}: the entry has an owner now"
        );
        assert!(
            work(store, &officer, WorkFilter::Mine, day, now)
                .await
                .is_empty()
        );
        // The latest assignment wins: taking it back.
        store
            .assign_task(
                &second_officer,
                Workflow::Exclusions,
                entry,
                officer.user,
                "",
                now + time::Duration::minutes(1),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            work(store, &officer, WorkFilter::Mine, day, now)
                .await
                .len(),
            register.len(),
            "{name}"
        );

        // An alert goes to a colleague whose queue it is in; not to one whose it is not, and
        // a member of staff outside its queue cannot give it away.
        assert_eq!(
            store
                .assign_task(&social, Workflow::Alert, alert.record, police.user, "", now)
                .await
                .unwrap(),
            Err(AssignRefusal::CannotWork {
                name: "DS Chris Walsh".into(),
                reason: "the alert is not in their queue",
            })
        );
        assert_eq!(
            store
                .assign_task(&police, Workflow::Alert, alert.record, police.user, "", now)
                .await
                .unwrap(),
            Err(AssignRefusal::NotFound),
            "{name}: another queue's alert is answered as missing"
        );
        assert_eq!(
            store
                .assign_task(
                    &social,
                    Workflow::Alert,
                    alert.record,
                    second_social.user,
                    &"x".repeat(501),
                    now
                )
                .await
                .unwrap(),
            Err(AssignRefusal::NoteTooLong)
        );
        store
            .assign_task(
                &social,
                Workflow::Alert,
                alert.record,
                second_social.user,
                "",
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let theirs = work(store, &second_social, WorkFilter::Mine, day, now).await;
        assert_eq!(theirs.len(), 1, "{name}");
        assert_eq!(theirs[0].record, alert.record);
        assert!(
            work(store, &social, WorkFilter::Unassigned, day, now)
                .await
                .is_empty()
        );
        let history = store
            .alert_for(&social, alert.record, now)
            .await
            .unwrap()
            .unwrap()
            .history;
        assert!(
            history.iter().any(|h| h.action == "assigned"
                && h.by == Some(social.user)
                && h.detail.contains(&second_social.user.0.to_string())),
            "{name}: the assignment is in the alert's history: {history:?}"
        );

        // Audited: the queue reads and the assignments, allowed and refused, naming the child.
        let dpo = principal(&county, Role::DataProtectionOfficer, "la");
        let audit = store
            .audit_for_person(
                &dpo,
                jayden,
                AuditPage {
                    offset: 0,
                    limit: 500,
                },
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let lines = &audit.lines.lines;
        let count = |action: &str, outcome: &str| {
            lines
                .iter()
                .filter(|l| l.action == action && l.outcome == outcome)
                .count()
        };
        assert!(count("view_work_queue", "allowed") >= 8, "{name}");
        assert_eq!(count("assign_task", "allowed"), 3, "{name}");
        // The refusals once the child was known: to a social worker and to the police.
        assert_eq!(count("assign_task", "denied"), 2, "{name}: {lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| l.action != "assign_task" || !l.detail.contains("PRU place")),
            "{name}: the note stays out of the audit"
        );
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                harbour_store::AuditVerification::Intact { .. }
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_register_task_escalates_only_after_more_than_five_school_days_overdue() {
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let now = datetime!(2023-01-26 10:00 UTC);
        store
            .open_exclusion_entries(&county.tenant, now)
            .await
            .unwrap();
        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let chair = principal(&county, Role::MaceChair, "la");
        let provision = |items: Vec<WorkItem>| {
            items
                .into_iter()
                .find(|i| i.what.starts_with("Arrange full-time education"))
        };
        // Day six was Tuesday 24 January 2023: on Thursday the 26th it is two school days
        // late, on the officer's queue only.
        let thursday = day(&rules, date!(2023 - 01 - 26));
        let late = provision(work(store, &officer, WorkFilter::All, thursday, now).await).unwrap();
        assert!(late.overdue && !late.escalated, "{name}: {late:?}");
        assert_eq!(late.school_days_left, Some(-2));
        assert!(provision(work(store, &chair, WorkFilter::All, thursday, now).await).is_none());
        // Five school days late (Tuesday 31st) still is not more than five; six (1 February) is.
        let tuesday = day(&rules, date!(2023 - 01 - 31));
        assert!(provision(work(store, &chair, WorkFilter::All, tuesday, now).await).is_none());
        let wednesday = day(&rules, date!(2023 - 02 - 01));
        let up = provision(work(store, &chair, WorkFilter::All, wednesday, now).await).unwrap();
        assert!(up.escalated && up.child.is_none(), "{name}");
        assert_eq!(up.school_days_left, Some(-6));
        let theirs = provision(work(store, &officer, WorkFilter::All, wednesday, now).await);
        assert!(
            theirs.unwrap().escalated,
            "{name}: the keeper sees it has gone up"
        );
    }
}

#[tokio::test]
async fn assignments_cannot_be_changed_or_removed() {
    use sqlx::Connection;
    let now = datetime!(2023-01-26 10:00 UTC);
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        store
            .open_exclusion_entries(&county.tenant, now)
            .await
            .unwrap();
        let rules = RuleSet::builtin().unwrap();
        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let items = work(
            store,
            &officer,
            WorkFilter::All,
            day(&rules, now.date()),
            now,
        )
        .await;
        store
            .assign_task(
                &officer,
                Workflow::Exclusions,
                items[0].record,
                officer.user,
                "",
                now,
            )
            .await
            .unwrap()
            .unwrap();
        for sql in [
            "UPDATE task_assignments SET note = 'changed'",
            "DELETE FROM task_assignments",
        ] {
            let refused = match store.location() {
                harbour_store::StoreLocation::Sqlite(path) => {
                    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                    let mut conn = sqlx::SqliteConnection::connect_with(&options)
                        .await
                        .unwrap();
                    sqlx::query(sql).execute(&mut conn).await.is_err()
                }
                harbour_store::StoreLocation::Postgres(url) => {
                    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::query(sql).execute(&mut conn).await.is_err()
                }
            };
            assert!(refused, "{name}: {sql} must be refused");
        }
    }
}
