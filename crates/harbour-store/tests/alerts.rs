//! Alerts end to end on every backend: the rules run over the demo county, each firing is
//! raised once in each recipient's queue, practitioners act on it, overdue alerts escalate,
//! and an incremental run looks only at what changed.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

use harbour_domain::Role;
use harbour_rules::RuleSet;
use harbour_store::{AlertAction, AlertRefusal, RunScope};
use harbour_synth::demo;
use time::macros::{date, datetime};

mod common;
use common::{backends, principal};

/// The member of staff a command-line replay is credited to (the demo's social worker).
async fn operator(store: &harbour_store::Store) -> harbour_store::StaffMember {
    store
        .account_by_email("social.worker@la.example")
        .await
        .unwrap()
        .unwrap()
        .staff
}

#[tokio::test]
async fn alerts_are_raised_once_routed_acted_on_and_escalated() {
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let tenant = &county.tenant;
        let jayden = demo::jayden(&county).unwrap();

        // 19 July 2026: within the last 90 days only the stabbing (18 July) fires, to the
        // social worker, the police MACE coordinator and the DSL of the PRU (his last school).
        let now = datetime!(2026-07-19 09:00 UTC);
        let report = store
            .run_rules(tenant, &rules, RunScope::All, now.date(), now)
            .await
            .unwrap();
        assert_eq!(report.alerts_raised, 3, "{name}: {report:?}");
        assert!(
            report.firings > 10,
            "{name}: the whole history is evaluated: {report:?}"
        );
        let again = store
            .run_rules(tenant, &rules, RunScope::All, now.date(), now)
            .await
            .unwrap();
        assert_eq!(
            again.alerts_raised, 0,
            "{name}: the same firing is never raised twice"
        );

        let social = principal(&county, Role::SocialWorker, "la");
        let queue = store
            .alert_queue(&social, &Default::default(), now)
            .await
            .unwrap();
        assert_eq!(queue.len(), 1, "{name}");
        let alert = &queue[0];
        assert_eq!(
            (alert.rule.as_str(), alert.person, alert.fired_on),
            ("victim-of-violence", jayden, date!(2026 - 07 - 18))
        );
        assert_eq!(alert.due_on, date!(2026 - 07 - 21));
        assert!(!alert.evidence.is_empty());
        // Sent to the PRU's lead, not Northgate's; not to roles the rule does not name.
        for (role, agency) in [
            (Role::SchoolDsl, "northgate"),
            (Role::PoliceIntelligenceOfficer, "police"),
            (Role::LaCmeEheOfficer, "la"),
        ] {
            let who = principal(&county, role, agency);
            assert!(
                store
                    .alert_queue(&who, &Default::default(), now)
                    .await
                    .unwrap()
                    .is_empty(),
                "{name}: {role}"
            );
            assert_eq!(
                store.alert_for(&who, alert.id, now).await.unwrap(),
                None,
                "{name}: {role}"
            );
            assert_eq!(
                store
                    .act_on_alert(&who, alert.id, AlertAction::Acknowledge, now)
                    .await
                    .unwrap(),
                Err(AlertRefusal::NotYours),
                "{name}: {role}"
            );
        }

        // Acknowledge, then action with a note; a short note and a second action are refused.
        assert_eq!(
            store
                .act_on_alert(&social, alert.id, AlertAction::Acknowledge, now)
                .await
                .unwrap(),
            Ok(())
        );
        assert_eq!(
            store
                .act_on_alert(
                    &social,
                    alert.id,
                    AlertAction::Actioned {
                        note: "done".into()
                    },
                    now
                )
                .await
                .unwrap(),
            Err(AlertRefusal::NoteTooShort)
        );
        let note = "Strategy meeting held; safety plan agreed with the family".to_owned();
        assert_eq!(
            store
                .act_on_alert(
                    &social,
                    alert.id,
                    AlertAction::Actioned { note: note.clone() },
                    now
                )
                .await
                .unwrap(),
            Ok(())
        );
        let closed = store
            .alert_for(&social, alert.id, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (closed.alert.status.as_str(), closed.alert.note.as_str()),
            ("actioned", note.as_str())
        );
        // Its history: raised by the rules run, then acknowledged and actioned by the social
        // worker, named.
        let history: Vec<(&str, Option<&str>)> = closed
            .history
            .iter()
            .map(|f| (f.action.as_str(), f.by_name.as_deref()))
            .collect();
        assert_eq!(history.len(), 3, "{name}: {history:?}");
        assert_eq!(history[0], ("raised", None), "{name}");
        assert_eq!(
            (history[1].0, history[2].0),
            ("acknowledged", "actioned"),
            "{name}"
        );
        assert!(
            history[1].1.is_some() && history[1].1 == history[2].1,
            "{name}: the history names who acted"
        );
        assert_eq!(
            store
                .act_on_alert(
                    &social,
                    alert.id,
                    AlertAction::Dismiss {
                        reason: "not a concern at all".into()
                    },
                    now
                )
                .await
                .unwrap(),
            Err(AlertRefusal::Closed)
        );
        assert!(
            store
                .alert_queue(&social, &Default::default(), now)
                .await
                .unwrap()
                .is_empty(),
            "{name}: actioned alerts leave the queue"
        );

        // A week on, the police coordinator's alert is overdue: it escalates to the MACE chair
        // (and the PRU lead's to the LA inclusion officer). The actioned one does not.
        let later = datetime!(2026-07-26 09:00 UTC);
        let report = store
            .run_rules(tenant, &rules, RunScope::Changed, later.date(), later)
            .await
            .unwrap();
        assert_eq!(
            report.persons_evaluated, 0,
            "{name}: nothing changed since the last run"
        );
        assert_eq!(
            report.escalated, 2,
            "{name}: the coordinator's and the PRU lead's alerts"
        );
        let chair = principal(&county, Role::MaceChair, "la");
        let escalated = store
            .alert_queue(&chair, &Default::default(), later)
            .await
            .unwrap();
        assert_eq!(escalated.len(), 1, "{name}");
        assert_eq!(escalated[0].escalated_to, Some(Role::MaceChair));
        assert_eq!(escalated[0].recipient_role, Role::PoliceMaceCoordinator);
        let seen_by_chair = store
            .alert_for(&chair, escalated[0].id, later)
            .await
            .unwrap()
            .unwrap();
        let actions: Vec<&str> = seen_by_chair
            .history
            .iter()
            .map(|f| f.action.as_str())
            .collect();
        assert_eq!(
            actions,
            ["raised", "escalated"],
            "{name}: the escalation is in the history"
        );

        // The replay timeline holds every event, whoever may see it.
        let timeline = store
            .rule_timeline(tenant, jayden, &rules, &operator(store).await, later)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(timeline.events.len(), 24, "{name}");
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                harbour_store::AuditVerification::Intact { .. }
            ),
            "{name}"
        );
    }
}

/// A full run reads every timeline in one pass (on SQLite through its own reader, see
/// `sqlite_timelines.rs`); replay and incremental runs read a few persons' timelines by id.
/// Both must give the rules the same timelines: the same events, versions, agencies and
/// dates of birth, so the same firings.
#[tokio::test]
async fn a_full_run_reads_the_same_timelines_as_reading_each_person() {
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let now = datetime!(2026-07-19 09:00 UTC);
        let county = demo::load_demo(store, now).await.unwrap();
        let tenant = &county.tenant;
        let everyone = store.evaluate_all(tenant, &rules, now).await.unwrap();
        assert!(everyone.len() >= 5, "{name}: {}", everyone.len());
        let operator = operator(store).await;
        let mut events = 0;
        let mut fired = 0;
        for (person, firings) in &everyone {
            let timeline = store
                .rule_timeline(tenant, *person, &rules, &operator, now)
                .await
                .unwrap()
                .unwrap_or_default();
            // The registers' clocks are added to the timeline, not stored as events.
            events += timeline
                .events
                .iter()
                .filter(|e| e.kind != harbour_domain::EventKind::RegisterClock)
                .count() as u64;
            let one: Vec<(String, time::Date)> = rules
                .evaluate(&timeline, now.date())
                .into_iter()
                .map(|f| (f.rule, f.on))
                .collect();
            assert_eq!(&one, firings, "{name}: {person:?}");
            fired += firings.len();
        }
        assert!(fired > 10, "{name}: the demo county raises firings");
        assert_eq!(
            store.count_rule_events(tenant, now).await.unwrap(),
            events,
            "{name}"
        );
    }
}

/// Replay runs the rules over the whole timeline, as live, but a viewer sees only the events
/// their role opens and only the alerts whose every piece of evidence is among them: a
/// school's lead must not learn from an alert's title or reason what a health or police
/// record said. The rest is counted.
#[tokio::test]
async fn replay_shows_each_viewer_only_what_their_role_may_open() {
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let now = datetime!(2026-07-19 09:00 UTC);
        let county = demo::load_demo(store, now).await.unwrap();
        let jayden = demo::jayden(&county).unwrap();
        let whole = store
            .rule_timeline(&county.tenant, jayden, &rules, &operator(store).await, now)
            .await
            .unwrap()
            .unwrap();
        let all_alerts = harbour_rules::replay::replay(&rules, &whole, now.date()).alerts;

        let school = principal(&county, Role::SchoolDsl, "northgate");
        let social = principal(&county, Role::SocialWorker, "la");
        let for_school = store
            .replay(&school, jayden, &rules, now)
            .await
            .unwrap()
            .unwrap();
        let for_social = store
            .replay(&social, jayden, &rules, now)
            .await
            .unwrap()
            .unwrap();
        for view in [&for_school, &for_social] {
            assert_eq!(
                view.events.len() + view.hidden_events,
                whole.events.len(),
                "{name}: every event is shown or counted"
            );
            assert_eq!(
                view.alerts.len() + view.hidden_alerts,
                all_alerts.len(),
                "{name}"
            );
            let shown: std::collections::HashSet<&str> =
                view.events.iter().map(|e| e.id.as_str()).collect();
            for alert in &view.alerts {
                assert!(
                    alert.evidence.iter().all(|id| shown.contains(id.as_str())),
                    "{name}: {} rests on an event not shown",
                    alert.rule
                );
            }
        }
        let person_view = store
            .person_view(&school, jayden, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            for_school.events.len(),
            person_view.timeline.len(),
            "{name}: replay shows what the single view shows"
        );
        assert!(
            for_school.hidden_events > 0 && for_school.hidden_alerts > 0,
            "{name}: the school may not open the health and police records behind some alerts"
        );
        assert!(
            for_social.alerts.len() > for_school.alerts.len(),
            "{name}: the social worker may see more"
        );
        // A viewer who may see nothing of the child gets nothing, as for an unknown id.
        let analyst = principal(&county, Role::PartnershipAnalyst, "la");
        assert!(
            store
                .replay(&analyst, jayden, &rules, now)
                .await
                .unwrap()
                .is_none()
        );
    }
}

/// Issue 14, point 7: the hospital's record of an assault raised an alert; the police's
/// record of the same assault arrives later. The recipients keep one alert, now with both
/// pieces of evidence, and running the rules again changes nothing.
#[tokio::test]
async fn a_later_record_of_the_same_moment_joins_the_alert_already_raised() {
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let now = datetime!(2026-07-19 09:00 UTC);
        let county = demo::load_demo(store, now).await.unwrap();
        let jayden = demo::jayden(&county).unwrap();
        store
            .run_rules(&county.tenant, &rules, RunScope::All, now.date(), now)
            .await
            .unwrap();
        let social = principal(&county, Role::SocialWorker, "la");
        let violence = |queue: Vec<harbour_store::Alert>| -> Vec<harbour_store::Alert> {
            queue
                .into_iter()
                .filter(|a| a.rule == "victim-of-violence")
                .collect()
        };
        let before = violence(
            store
                .alert_queue(&social, &Default::default(), now)
                .await
                .unwrap(),
        );
        assert_eq!(before.len(), 1, "{name}");
        assert_eq!(before[0].evidence.len(), 1, "{name}");

        let police = county
            .agencies
            .iter()
            .find(|a| a.code == "police")
            .unwrap()
            .id;
        let record = harbour_domain::SourceRecordId::new_v7();
        let later = now + time::Duration::hours(2);
        store
            .load(
                &harbour_store::Batch {
                    tenant: county.tenant.clone(),
                    persons: vec![],
                    source_records: vec![harbour_store::NewSourceRecord {
                        id: record,
                        agency: police,
                        record_key: "late-victim".into(),
                        person: jayden,
                        given_name: "Jayden".into(),
                        family_name: "Mercer".into(),
                        date_of_birth: Some(date!(2009 - 05 - 14)),
                        sex: None,
                        upn: None,
                        nhs_number: None,
                        postcode: None,
                    }],
                    events: vec![harbour_store::NewEvent {
                        id: harbour_domain::EventId::new_v7(),
                        source_record: record,
                        agency: police,
                        record_key: "late-victim-event".into(),
                        kind: harbour_domain::EventKind::VictimOfCrime,
                        occurred_on: date!(2026 - 07 - 18),
                        handling: harbour_domain::Handling::Ordinary,
                        summary: "Victim of wounding with a knife".into(),
                        details: serde_json::json!({ "offence": "Wounding" }),
                    }],
                },
                "a later record of the same assault",
                later,
            )
            .await
            .unwrap();
        for _ in 0..2 {
            store
                .run_rules(&county.tenant, &rules, RunScope::All, later.date(), later)
                .await
                .unwrap();
            let after = violence(
                store
                    .alert_queue(&social, &Default::default(), later)
                    .await
                    .unwrap(),
            );
            assert_eq!(after.len(), 1, "{name}: one alert for one assault");
            assert_eq!(after[0].id, before[0].id, "{name}");
            assert_eq!(after[0].evidence.len(), 2, "{name}: with both records");
        }
    }
}

/// Issue 16 point 7: a register clock that runs out raises an alert, and replay shows it.
/// The demo child was permanently excluded on 17 January 2023 and offered 15 hours a week
/// at the PRU from 25 January: the sixth school day (24 January) passed without full-time
/// education. His second spell missing education (from 3 July 2024) is never traced. Only
/// those who may open the register entry see the alert or the clock in replay.
#[tokio::test]
async fn a_register_clock_running_out_raises_an_alert_and_replay_shows_it() {
    let rules = RuleSet::builtin().unwrap();
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let tenant = &county.tenant;
        let jayden = demo::jayden(&county).unwrap();
        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let social = principal(&county, Role::SocialWorker, "la");

        // Day 6: the register opens the entry from the feed, and the next run raises it.
        let now = datetime!(2023-01-30 10:00 UTC);
        assert_eq!(store.open_exclusion_entries(tenant, now).await.unwrap(), 1);
        store
            .run_rules(tenant, &rules, RunScope::All, now.date(), now)
            .await
            .unwrap();
        let alerts = store.alerts_of_person(&officer, jayden, now).await.unwrap();
        let day_six: Vec<_> = alerts
            .iter()
            .filter(|a| a.rule == "exclusion-no-provision-by-day-six")
            .collect();
        assert_eq!(day_six.len(), 1, "{name}: {alerts:#?}");
        let alert = day_six[0];
        assert_eq!(alert.fired_on, date!(2023 - 01 - 25), "{name}");
        assert_eq!(alert.withheld, 0, "{name}: the keeper opens the entry");
        assert_eq!(alert.evidence.len(), 1, "{name}: the register entry");
        let shown = store
            .alert_for(&officer, alert.id, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(shown.alert.rule, alert.rule, "{name}");
        assert!(
            shown
                .alert
                .because
                .starts_with("No full-time education by the sixth school day (due 2023-01-24)"),
            "{name}: {}",
            shown.alert.because
        );

        // Raised once: the next run, and an incremental one, raise nothing more.
        let again = store
            .run_rules(tenant, &rules, RunScope::All, now.date(), now)
            .await
            .unwrap();
        assert_eq!(again.alerts_raised, 0, "{name}");
        let later = datetime!(2023-01-31 10:00 UTC);
        let changed = store
            .run_rules(tenant, &rules, RunScope::Changed, later.date(), later)
            .await
            .unwrap();
        assert!(
            changed.persons_evaluated >= 1,
            "{name}: the clock's child is looked at"
        );
        assert_eq!(changed.alerts_raised, 0, "{name}");

        // Replay: the keeper sees the clock on the day it ran out and the alert on it; a
        // social worker (who sees the authority's events but not the register) sees neither,
        // only that something is withheld.
        let replay = store
            .replay(&officer, jayden, &rules, now)
            .await
            .unwrap()
            .unwrap();
        assert!(
            replay
                .events
                .iter()
                .any(|e| e.kind == "register_clock" && e.on == date!(2023 - 01 - 25)),
            "{name}: {:#?}",
            replay.events
        );
        assert!(
            replay.alerts.iter().any(|a| a.rule == alert.rule
                && a.on == date!(2023 - 01 - 25)
                && a.roles == ["la_inclusion_officer"]),
            "{name}: {:#?}",
            replay.alerts
        );
        let theirs = store
            .replay(&social, jayden, &rules, now)
            .await
            .unwrap()
            .unwrap();
        assert!(
            !theirs.events.iter().any(|e| e.kind == "register_clock"),
            "{name}"
        );
        assert!(
            !theirs.alerts.iter().any(|a| a.rule == alert.rule),
            "{name}"
        );
        assert!(theirs.hidden_alerts >= 1, "{name}");

        // The operator's replay at the command line holds the clocks too.
        let timeline = store
            .rule_timeline(tenant, jayden, &rules, &operator(store).await, now)
            .await
            .unwrap()
            .unwrap();
        assert!(
            timeline
                .events
                .iter()
                .any(|e| e.kind == harbour_domain::EventKind::RegisterClock),
            "{name}"
        );

        // Missing education: the spell from 3 July 2024 is not traced by its twentieth
        // school day (after the summer holiday); the CME officer is told.
        let now = datetime!(2024-10-01 10:00 UTC);
        store.open_not_in_school_entries(tenant, now).await.unwrap();
        store
            .run_rules(tenant, &rules, RunScope::All, now.date(), now)
            .await
            .unwrap();
        let cme_officer = principal(&county, Role::LaCmeEheOfficer, "la");
        let alerts = store
            .alerts_of_person(&cme_officer, jayden, now)
            .await
            .unwrap();
        let not_traced: Vec<_> = alerts
            .iter()
            .filter(|a| a.rule == "cme-not-traced")
            .collect();
        assert_eq!(not_traced.len(), 1, "{name}: {alerts:#?}");
        assert!(
            not_traced[0].fired_on > date!(2024 - 09 - 01)
                && not_traced[0].fired_on < date!(2024 - 10 - 01),
            "{name}: {:?}",
            not_traced[0].fired_on
        );
        assert_eq!(not_traced[0].withheld, 0, "{name}");
        // The spell of 2021 was traced a day late: replay shows that too, as history.
        let replay = store
            .replay(&cme_officer, jayden, &rules, now)
            .await
            .unwrap()
            .unwrap();
        let days: Vec<time::Date> = replay
            .alerts
            .iter()
            .filter(|a| a.rule == "cme-not-traced")
            .map(|a| a.on)
            .collect();
        assert_eq!(days.len(), 2, "{name}: {days:?}");
        assert_eq!(days[1], not_traced[0].fired_on, "{name}");
    }
}
