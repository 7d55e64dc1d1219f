//! The fair-access panel's log and the consistency view (recommendation 5 of the Child AA
//! review: consistency in fair-access placements across the county), read through the gate.
//!
//! The panel's decisions are recorded where the council keeps them, in its own education
//! system, and reach Harbour in the authority's education feed: each `fair_access` row is one
//! decision (the child, the day, the school allocated by its DfE number in
//! `allocated_school`, the school's answer in `response`, the reason in its detail). Harbour
//! adds what no single system shows: every school's share beside its size and the county's
//! rate. What the figures mean is `harbour_casework::fair_access`; this module reads the
//! decisions and the schools' rolls and applies it.
//!
//! Access is the policy's `[registers.fair_access]`: its keepers (the inclusion officers) see
//! the log and the figures; everyone else is refused at the gate and the refusal audited. The
//! read is audited naming every child in the log.

use crate::StoreError;
use crate::gate::{Actor, Needs, Work};
use crate::registers::{FeedEventRow, RegisterChild};
use crate::store::Store;
use harbour_casework::fair_access::{Consistency, Decision, Response, School, consistency};
use harbour_domain::{AgencyId, EventKind, PersonId, TenantCode};
use harbour_policy::{Principal, Register};
use serde::Serialize;
use sqlx::FromRow;
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const FAIR_ACCESS: Register = Register::FairAccess;

/// The area a school without one recorded is counted in.
pub const NO_AREA: &str = "Area not recorded";

/// One decision of the panel's log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairAccessDecision {
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
        let (events, schools, names) = in_gate!(g, [registers as r, fair_access as f], tx => {
            let events: Vec<FeedEventRow> = r::events_of_kind(tx, tenant, EventKind::FairAccessPlacement)
                .await?
                .into_iter()
                .filter(|e| from <= e.occurred_on && e.occurred_on <= to)
                .collect();
            let schools = f::schools(tx, tenant).await?;
            let mut names: BTreeMap<Uuid, RegisterChild> = BTreeMap::new();
            for event in &events {
                if !names.contains_key(&event.person_id)
                    && let Some(name) = r::name_of(tx, tenant, event.person_id).await?
                {
                    names.insert(event.person_id, name.into());
                }
            }
            (events, schools, names)
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
                person: PersonId(event.person_id),
                child: names.get(&event.person_id).cloned(),
                on: event.occurred_on,
                school_number: number,
                school_name: school.map(|s| s.name.clone()),
                response,
                reason: event.summary.clone(),
            });
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
}
