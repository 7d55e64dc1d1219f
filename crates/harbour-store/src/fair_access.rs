//! The fair-access panel's log and the consistency view (recommendation 5 of the Child AA
//! review: consistency in fair-access placements across the county), read through the gate.
//!
//! The panel's decisions are recorded where the council keeps them, in its own education
//! system, and reach Harbour in the authority's education feed: each `fair_access` row is one
//! decision (the child, the day, the school allocated by its DfE number in
//! `allocated_school`, the school's answer in `response`, the reason in its detail). A council
//! whose clerk keeps no log elsewhere records decisions here instead, as entries of the
//! `fair_access` register with their facts (`LogFact`: the decision, then the school's answer
//! if it came later); both kinds are counted alike. Harbour adds what no single system shows:
//! every school's share beside its size and the county's rate. What the figures mean is `harbour_casework::fair_access`; this module reads the
//! decisions and the schools' rolls and applies it.
//!
//! Access is the policy's `[registers.fair_access]`: its keepers (the inclusion officers) see
//! the log and the figures; everyone else is refused at the gate and the refusal audited. The
//! read is audited naming every child in the log.

use crate::StoreError;
use crate::case_events::NewCaseEvent;
use crate::gate::{Actor, Needs, Work};
use crate::registers::{EntryRow, FeedEventRow, RegisterChild, RegisterRefusal, Which};
use crate::store::Store;
use harbour_casework::Lifecycle;
use harbour_casework::fair_access::{
    Consistency, Decision, LogFact, LoggedDecision, Response, School, consistency,
};
use harbour_domain::{AgencyId, EventKind, PersonId, TenantCode};
use harbour_policy::{Principal, Register, RegisterAccess};
use serde::Serialize;
use sqlx::FromRow;
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const FAIR_ACCESS: Register = Register::FairAccess;
/// The decisions kept in Harbour, in `case_events`.
const WORKFLOW: &str = "fair_access_log";

/// The area a school without one recorded is counted in.
pub const NO_AREA: &str = "Area not recorded";

/// One decision of the panel's log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairAccessDecision {
    /// The decision's entry when it was recorded in Harbour by the panel's clerk (who may
    /// then record the school's answer); `None` for one from the authority's feed.
    pub id: Option<Uuid>,
    pub person: PersonId,
    pub child: Option<RegisterChild>,
    pub on: Date,
    /// The allocated school's DfE number as the feed gave it, if it did.
    pub school_number: Option<String>,
    /// The allocated school's name, when the number is one of the authority's schools.
    pub school_name: Option<String>,
    pub response: Response,
    /// Why the child came to the panel: the feed row's detail.
    pub reason: String,
}

/// The log of a period and its consistency figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairAccessView {
    pub from: Date,
    pub to: Date,
    /// The period's decisions, oldest first.
    pub decisions: Vec<FairAccessDecision>,
    pub consistency: Consistency,
    /// Decisions whose school is not one of the authority's registered schools (no number, or
    /// one no agency has): counted in the county's figures only.
    pub unmatched: usize,
}

/// A school with its current roll (see `backend/fair_access.rs`).
#[derive(Debug, FromRow)]
pub(crate) struct SchoolRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub school_number: Option<String>,
    pub area: Option<String>,
    pub pupils_on_roll: i64,
}

/// What the feed's detail columns say, as the pure rules take it.
fn response_of(details: &serde_json::Value) -> Response {
    match details.get("response").and_then(|v| v.as_str()) {
        Some("accepted") => Response::Accepted,
        Some("refused") => Response::Refused,
        _ => Response::Pending,
    }
}

impl Store {
    /// Sets (or, with `None`, clears) the area a school is counted in for the fair-access
    /// figures. Administrators' work, audited as Harbour's own.
    pub async fn set_school_area(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        area: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("set_school_area", "say which area a school is in");
        let mut g = self.service_gate(tenant, Some(agency), work, now).await?;
        let area = area.map(str::trim).filter(|a| !a.is_empty());
        g.entry.detail = serde_json::json!({ "area": area }).to_string();
        let updated =
            in_gate!(g, fair_access as f, tx => f::set_area(tx, tenant, agency, area).await)?;
        if !updated {
            return Err(StoreError::Conflict(format!(
                "no school {agency} in local authority {tenant}"
            )));
        }
        g.commit().await
    }

    /// The fair-access panel's decisions from `from` to `to` (inclusive) and the
    /// consistency figures over them, if `who` keeps the log; `None` (refused and audited)
    /// otherwise. Audited naming every child in the log.
    pub async fn fair_access(
        &self,
        who: &Principal,
        from: Date,
        to: Date,
        now: OffsetDateTime,
    ) -> Result<Option<FairAccessView>, StoreError> {
        let work = Work::new("view_register", "see the fair-access panel's log");
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Register(FAIR_ACCESS), work, now)
            .await?
        else {
            return Ok(None);
        };
        let tenant = &who.tenant;
        let (events, kept, kept_facts, schools, names) = in_gate!(g, [registers as r, fair_access as f], tx => {
            let events: Vec<FeedEventRow> = r::events_of_kind(tx, tenant, EventKind::FairAccessPlacement)
                .await?
                .into_iter()
                .filter(|e| from <= e.occurred_on && e.occurred_on <= to)
                .collect();
            let kept: Vec<EntryRow> = r::entries(tx, tenant, FAIR_ACCESS.as_str(), Which::All(None))
                .await?
                .into_iter()
                .filter(|e| from <= e.first_day && e.first_day <= to)
                .collect();
            let kept_facts = r::facts(tx, tenant, FAIR_ACCESS.as_str(), Which::All(None)).await?;
            let schools = f::schools(tx, tenant).await?;
            let mut names: BTreeMap<Uuid, RegisterChild> = BTreeMap::new();
            let people = events.iter().map(|e| e.person_id).chain(kept.iter().map(|e| e.person_id));
            for person in people.collect::<Vec<_>>() {
                if !names.contains_key(&person)
                    && let Some(name) = r::name_of(tx, tenant, person).await?
                {
                    names.insert(person, name.into());
                }
            }
            (events, kept, kept_facts, schools, names)
        });
        let by_number: BTreeMap<&str, &SchoolRow> = schools
            .iter()
            .filter_map(|s| s.school_number.as_deref().map(|n| (n, s)))
            .collect();
        let mut decisions = Vec::new();
        let mut pure = Vec::new();
        let mut unmatched = 0;
        for event in &events {
            let details: serde_json::Value =
                serde_json::from_str(&event.details).unwrap_or_default();
            let number = details
                .get("allocated_school")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let school = number.as_deref().and_then(|n| by_number.get(n)).copied();
            if school.is_none() {
                unmatched += 1;
            }
            let response = response_of(&details);
            pure.push(Decision {
                on: event.occurred_on,
                // A school the authority has not registered is counted in the county only.
                school: school.map_or_else(
                    || format!("unregistered:{}", number.as_deref().unwrap_or("")),
                    |s| s.code.clone(),
                ),
                reason: event.summary.clone(),
                response,
            });
            decisions.push(FairAccessDecision {
                id: None,
                person: PersonId(event.person_id),
                child: names.get(&event.person_id).cloned(),
                on: event.occurred_on,
                school_number: number,
                school_name: school.map(|s| s.name.clone()),
                response,
                reason: event.summary.clone(),
            });
        }
        // The decisions kept in Harbour, counted the same way.
        let by_id: BTreeMap<Uuid, &SchoolRow> = schools.iter().map(|s| (s.id, s)).collect();
        let mut facts_of: BTreeMap<Uuid, Vec<LogFact>> = BTreeMap::new();
        for f in kept_facts {
            if let Ok(fact) = serde_json::from_str::<LogFact>(&f.fact) {
                facts_of.entry(f.entry_id).or_default().push(fact);
            }
        }
        for entry in kept {
            let school = entry.agency_id.and_then(|a| by_id.get(&a)).copied();
            let logged = LoggedDecision {
                on: entry.first_day,
                school: school.map_or_else(|| "unregistered:".to_owned(), |s| s.code.clone()),
                facts: facts_of.remove(&entry.id).unwrap_or_default(),
            };
            let decision = logged.decision();
            if school.is_none() {
                unmatched += 1;
            }
            decisions.push(FairAccessDecision {
                id: Some(entry.id),
                person: PersonId(entry.person_id),
                child: names.get(&entry.person_id).cloned(),
                on: entry.first_day,
                school_number: school.and_then(|s| s.school_number.clone()),
                school_name: school.map(|s| s.name.clone()),
                response: decision.response,
                reason: decision.reason.clone(),
            });
            pure.push(decision);
        }
        decisions.sort_by_key(|d| (d.on, d.person));
        let schools: Vec<School> = schools
            .iter()
            .map(|s| School {
                code: s.code.clone(),
                name: s.name.clone(),
                area: s.area.clone().unwrap_or_else(|| NO_AREA.to_owned()),
                pupils_on_roll: u32::try_from(s.pupils_on_roll.max(0)).unwrap_or(u32::MAX),
            })
            .collect();
        g.entry.set_subjects(decisions.iter().map(|d| d.person));
        g.entry.detail = serde_json::json!({
            "register": FAIR_ACCESS.as_str(),
            "from": from.to_string(),
            "to": to.to_string(),
            "decisions": decisions.len(),
        })
        .to_string();
        g.commit().await?;
        Ok(Some(FairAccessView {
            from,
            to,
            consistency: consistency(&schools, &pure, from, to),
            decisions,
            unmatched,
        }))
    }

    /// Records a panel decision in Harbour, for a council whose clerk keeps the log here
    /// rather than sending it in the education feed: the child, the panel's day, the school
    /// allocated (one of the authority's schools) and why, with the school's answer if given
    /// at the panel. The log's keepers only; checked by the log's rules (a decision in the
    /// future, no reason) and audited either way. Returns the decision's id.
    #[allow(clippy::too_many_arguments)]
    pub async fn log_fair_access_decision(
        &self,
        who: &Principal,
        person: PersonId,
        on: Date,
        school: AgencyId,
        reason: &str,
        response: Response,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Result<Uuid, RegisterRefusal>, StoreError> {
        let work = Work::new("register_add_entry", "record a fair-access panel decision");
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(FAIR_ACCESS), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        let action = "log_decision";
        if self.policy.register_access(who, FAIR_ACCESS) != Some(RegisterAccess::Keep) {
            let refusal = Err(RegisterRefusal::NotAllowed);
            crate::not_in_school::finish_write(g, FAIR_ACCESS, None, action, person, &refusal)
                .await?;
            return Ok(refusal);
        }
        let tenant = &who.tenant;
        let id = Uuid::now_v7();
        let fact = LogFact::Decided {
            reason: reason.trim().to_owned(),
            response,
        };
        let text = serde_json::to_string(&fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = in_gate!(g, [registers as r, fair_access as f, case_events as c], tx => {
            let schools = f::schools(tx, tenant).await?;
            match schools.iter().find(|s| s.id == school.0) {
                None => Err(RegisterRefusal::Invalid(harbour_casework::exclusions::Refusal {
                    field: "school",
                    message: "Choose one of the authority's schools".into(),
                })),
                Some(row) => {
                    let decision = Decision { on, school: row.code.clone(), reason: reason.to_owned(), response };
                    match decision.check(today) {
                        Err(refusal) => Err(RegisterRefusal::Invalid(refusal)),
                        Ok(()) => {
                            r::insert_entry(tx, tenant, &r::NewEntry {
                                id,
                                register: FAIR_ACCESS.as_str(),
                                person: person.0,
                                agency: Some(school.0),
                                first_day: on,
                                source_key: None,
                                opened_by: Some(who.user.0),
                            }, now).await?;
                            r::insert_fact(tx, tenant, id, &text, Lifecycle::Leaves, Some(who.user.0), now).await?;
                            c::append(tx, tenant, &[NewCaseEvent {
                                person,
                                workflow: WORKFLOW,
                                record: id,
                                action: "decided".into(),
                                at: now,
                                by: Some(who.user),
                                detail: serde_json::json!({ "response": response }).to_string(),
                            }]).await?;
                            Ok(id)
                        }
                    }
                }
            }
        });
        crate::not_in_school::finish_write(g, FAIR_ACCESS, Some(id), action, person, &outcome)
            .await?;
        Ok(outcome)
    }

    /// Records the allocated school's answer on a decision kept in Harbour that still awaits
    /// it. The log's keepers only; audited either way.
    pub async fn answer_fair_access_decision(
        &self,
        who: &Principal,
        id: Uuid,
        on: Date,
        response: Response,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Result<(), RegisterRefusal>, StoreError> {
        let work = Work::new("register_record", "record a school's fair-access answer");
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(FAIR_ACCESS), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        let kind = "answered";
        if self.policy.register_access(who, FAIR_ACCESS) != Some(RegisterAccess::Keep) {
            return crate::not_in_school::finish_record(
                g,
                FAIR_ACCESS,
                id,
                kind,
                Err(RegisterRefusal::NotAllowed),
            )
            .await;
        }
        let tenant = &who.tenant;
        let fact = LogFact::Answered { on, response };
        let text = serde_json::to_string(&fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = in_gate!(g, [registers as r, case_events as c], tx => {
            match r::entry(tx, tenant, FAIR_ACCESS.as_str(), id).await? {
                None => Err(RegisterRefusal::NotFound),
                Some(row) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let logged = LoggedDecision {
                        on: row.first_day,
                        school: String::new(),
                        facts: facts.iter().filter_map(|f| serde_json::from_str(&f.fact).ok()).collect(),
                    };
                    match logged.check_answer(on, response, today) {
                        Err(refusal) => Err(RegisterRefusal::Invalid(refusal)),
                        Ok(()) => {
                            r::insert_fact(tx, tenant, id, &text, Lifecycle::Leaves, Some(who.user.0), now).await?;
                            c::append(tx, tenant, &[NewCaseEvent {
                                person: PersonId(row.person_id),
                                workflow: WORKFLOW,
                                record: id,
                                action: kind.into(),
                                at: now,
                                by: Some(who.user),
                                detail: serde_json::json!({ "response": response }).to_string(),
                            }]).await?;
                            Ok(PersonId(row.person_id))
                        }
                    }
                }
            }
        });
        crate::not_in_school::finish_record(g, FAIR_ACCESS, id, kind, outcome).await
    }
}
