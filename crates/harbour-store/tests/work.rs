//! The work queue on every backend: alerts and the exclusions register's tasks appear for
//! the roles whose work they are and no others, register tasks overdue too long escalate by
//! the alert routing, records are given to colleagues who may work them (and refused
//! otherwise, with the reason), and every read and assignment is audited.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

use harbour_casework::RegisterSettings;
use harbour_domain::{Role, UserId};
use harbour_policy::Principal;
use harbour_rules::RuleSet;
use harbour_store::{
    AssignRefusal, AuditPage, NewUser, RunScope, Store, WorkDay, WorkFilter, WorkItem, Workflow,
};
use harbour_synth::demo::{self, DemoCounty};
use std::collections::BTreeSet;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

mod common;
use common::{backends, principal};

fn day(rules: &RuleSet, today: Date) -> WorkDay<'_> {
    WorkDay {
        today,
        rules,
        settings: RegisterSettings::default(),
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
    store
        .my_work(who, filter, harbour_store::WorkWindow::ALL, day, now)
        .await
        .unwrap()
        .items
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

#[tokio::test]
async fn the_children_not_in_school_registers_put_their_tasks_in_the_cme_and_ehe_officers_queue() {
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let tenant = &county.tenant;
        // Jayden's two spells missing education and the two home-education registrations
        // (Jayden's, Maisie's) of the demo feeds; the feed ended his first spell and his home
        // education, so his second spell and Maisie's registration have tasks.
        let now = datetime!(2026-07-19 09:00 UTC);
        let opened = store.open_not_in_school_entries(tenant, now).await.unwrap();
        assert_eq!((opened.home_education, opened.missing_education), (2, 2));
        let today = day(&rules, date!(2026 - 07 - 20));

        let officer = principal(&county, Role::LaCmeEheOfficer, "la");
        let mine = work(store, &officer, WorkFilter::All, today, now).await;
        let tracing = of(&mine, Workflow::MissingEducation);
        assert_eq!(tracing.len(), 1, "{name}: {mine:?}");
        for task in &tracing {
            assert_eq!(task.what, "Trace a child missing education");
            assert!(task.overdue && task.escalated && task.may_open, "{name}");
            assert!(task.school_days_left.is_some_and(|d| d < 0));
            assert!(task.child.is_some(), "{name}: the keeper sees who it is");
        }
        let home = of(&mine, Workflow::HomeEducation);
        assert!(
            home.iter()
                .any(|t| t.what == "Ask for information about home education"),
            "{name}: {home:?}"
        );
        assert!(home.iter().all(|t| t.school_days_left.is_none()), "{name}");
        assert!(of(&mine, Workflow::Exclusions).is_empty(), "{name}");

        // Overdue more than five school days, the tracing goes up to the inclusion officer
        // (the routing above the CME officer), without the child's name; a school's lead,
        // who sees only its own roll deletions' episodes read only, gets no tasks.
        let inclusion = principal(&county, Role::LaInclusionOfficer, "la");
        let theirs = work(store, &inclusion, WorkFilter::All, today, now).await;
        let up = of(&theirs, Workflow::MissingEducation);
        assert_eq!(up.len(), 1, "{name}");
        assert!(
            up.iter()
                .all(|t| t.child.is_none() && !t.may_open && t.assignable.is_empty())
        );
        let dsl = principal(&county, Role::SchoolDsl, "northgate");
        let theirs = work(store, &dsl, WorkFilter::All, today, now).await;
        assert!(of(&theirs, Workflow::MissingEducation).is_empty(), "{name}");
        assert!(of(&theirs, Workflow::HomeEducation).is_empty(), "{name}");

        // The officer gives an episode to a second CME officer; not to the inclusion officer.
        let second = colleague(
            store,
            &county,
            Role::LaCmeEheOfficer,
            "la",
            "cme2@la.example",
            now,
        )
        .await;
        let episode = tracing[0].record;
        let refused = store
            .assign_task(
                &officer,
                Workflow::MissingEducation,
                episode,
                inclusion.user,
                "",
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(
                &refused,
                Err(AssignRefusal::CannotWork { reason, .. })
                    if *reason == "their role does not keep the children missing education register"
            ),
            "{name}: {refused:?}"
        );
        store
            .assign_task(
                &officer,
                Workflow::MissingEducation,
                episode,
                second.user,
                "please trace",
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let theirs = work(store, &second, WorkFilter::Mine, today, now).await;
        assert_eq!(theirs.len(), 1, "{name}: {theirs:?}");
        assert_eq!(theirs[0].record, episode);
        assert_eq!(theirs[0].owner.as_ref().unwrap().user, second.user);
        // The inclusion officer may not assign what their role does not keep.
        let refused = store
            .assign_task(
                &inclusion,
                Workflow::MissingEducation,
                episode,
                inclusion.user,
                "",
                now,
            )
            .await
            .unwrap();
        assert_eq!(refused, Err(AssignRefusal::NotAllowed), "{name}");
    }
}

/// The queue reads only open entries, and a closed entry has no tasks: closing the demo's
/// open spell missing education takes its task out of the CME officer's queue (the register
/// still lists it, closed), and reopening it puts the task back.
#[tokio::test]
async fn closing_an_entry_takes_its_tasks_out_of_the_queue_and_reopening_puts_them_back() {
    use harbour_casework::not_in_school::{CmeClosure, CmeFact};
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let now = datetime!(2026-07-19 09:00 UTC);
        store
            .open_not_in_school_entries(&county.tenant, now)
            .await
            .unwrap();
        let today = day(&rules, date!(2026 - 07 - 20));
        let cnis_day = harbour_store::NotInSchoolDay {
            calendar: rules.calendar(),
            settings: RegisterSettings::default().not_in_school,
            today: today.today,
        };
        let officer = principal(&county, Role::LaCmeEheOfficer, "la");
        let tracing = |items: &[WorkItem]| -> Vec<uuid::Uuid> {
            of(items, Workflow::MissingEducation)
                .iter()
                .map(|i| i.record)
                .collect()
        };
        let before = tracing(&work(store, &officer, WorkFilter::All, today, now).await);
        assert_eq!(before.len(), 1, "{name}: {before:?}");
        let episode = before[0];

        let closed = CmeFact::Closed {
            on: today.today,
            closure: CmeClosure::FoundOnRoll {
                school: "Northgate Academy".into(),
            },
        };
        store
            .record_on_missing_education(&officer, episode, &closed, cnis_day, now)
            .await
            .unwrap()
            .unwrap();
        let after = tracing(&work(store, &officer, WorkFilter::All, today, now).await);
        assert!(after.is_empty(), "{name}: {after:?}");
        let register = store
            .children_not_in_school(&officer, cnis_day, now)
            .await
            .unwrap()
            .unwrap();
        let entry = register
            .missing_education
            .iter()
            .find(|e| e.id == episode)
            .unwrap();
        assert!(!entry.assessment.open, "{name}: listed, closed");

        let reopened = CmeFact::Reopened {
            on: today.today,
            why: "Not on Northgate's roll after all".into(),
        };
        store
            .record_on_missing_education(&officer, episode, &reopened, cnis_day, now)
            .await
            .unwrap()
            .unwrap();
        let again = tracing(&work(store, &officer, WorkFilter::All, today, now).await);
        assert_eq!(again, vec![episode], "{name}");
    }
}

/// `harbour demo`'s recent register cases: on the demo's day each register has an entry on
/// time, one due and one overdue, recorded by the demo's officers through the registers' own
/// rules (a refusal would fail the load).
#[tokio::test]
async fn the_demos_recent_cases_give_each_register_entries_on_time_due_and_overdue() {
    use harbour_casework::ClockState;
    let rules = RuleSet::builtin().unwrap();
    let now = datetime!(2026-11-20 16:00 UTC);
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo_today(store, now).await.unwrap();
        let done = demo::record_casework(
            store,
            &county,
            rules.calendar(),
            RegisterSettings::default(),
            demo::shift_to(now.date()),
            now,
        )
        .await
        .unwrap();
        assert_eq!((done.entries, done.facts), (5, 13), "{name}");
        let today = day(&rules, now.date());
        let child = |given: &str| {
            county
                .batch
                .source_records
                .iter()
                .find(|r| r.given_name == given && r.record_key.starts_with("demo-recent"))
                .unwrap()
                .person
        };
        let report = store
            .exclusions_register_report(
                &county.tenant,
                harbour_store::RegisterDay {
                    calendar: rules.calendar(),
                    settings: Default::default(),
                    today: now.date(),
                },
                now,
            )
            .await
            .unwrap();
        let entry = |given: &str| {
            report
                .entries
                .iter()
                .find(|e| e.person == child(given))
                .unwrap()
                .assessment
                .clone()
        };
        let kayla = entry("Kayla");
        assert!(
            matches!(kayla.day_six.state(now.date()), ClockState::Due { .. }),
            "{name}: {kayla:?}"
        );
        let reece = entry("Reece");
        assert!(
            matches!(reece.day_six.state(now.date()), ClockState::Met { .. }),
            "{name}"
        );
        assert!(
            matches!(reece.board.state(now.date()), ClockState::Met { .. }),
            "{name}"
        );
        assert!(reece.tasks.iter().all(|t| !t.overdue), "{name}: {reece:?}");
        let tyler = entry("Tyler");
        assert!(
            matches!(
                tyler.day_six.state(now.date()),
                ClockState::MetLate { .. } | ClockState::Missed { .. }
            ),
            "{name}"
        );
        assert!(tyler.part_time_too_long, "{name}");
        assert!(tyler.tasks.iter().any(|t| t.overdue), "{name}: {tyler:?}");

        let officer = principal(&county, Role::LaCmeEheOfficer, "la");
        let mine = work(store, &officer, WorkFilter::All, today, now).await;
        let tracing = |given: &str| {
            mine.iter()
                .find(|i| i.workflow == Workflow::MissingEducation && i.person == child(given))
                .unwrap()
        };
        let leon = tracing("Leon");
        assert!(
            !leon.overdue && leon.school_days_left.unwrap() > 0,
            "{name}: {leon:?}"
        );
        let chloe = tracing("Chloe");
        assert!(chloe.overdue && chloe.escalated, "{name}: {chloe:?}");
        assert!(
            mine.iter().any(|i| i.workflow == Workflow::HomeEducation
                && i.person == child("Amelia")
                && !i.overdue),
            "{name}"
        );
    }
}
