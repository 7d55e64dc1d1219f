//! Identity resolution over the store: which agencies' records are the same child.
//!
//! [`Store::relink`] links every record afresh (obeying reviewers' decisions) and keeps the
//! model it learnt; [`Store::link_new`] places only records that arrived since, through their
//! blocking keys, scored by that model. Both write in one transaction, record each move so it
//! can be undone, and append one audit entry. Events belong to source records, so moving a
//! record between persons carries its whole history with it.

use crate::StoreError;
use crate::gate::Work;
use crate::store::Store;
use harbour_domain::TenantCode;
use harbour_link::blocking;
use harbour_link::incremental::{Candidate, Trained, place};
use harbour_link::{Decision, Prepared, Record, Settings, link};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

/// What a linking run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkReport {
    /// Whether every record was linked afresh (rather than only new ones).
    pub full: bool,
    /// Records considered.
    pub records: u64,
    /// Records moved to another person.
    pub moved: u64,
    /// People the store now holds records for.
    pub persons: u64,
    /// Pairs waiting for a person to decide.
    pub reviews: u64,
}

/// The linking-side view of a stored record.
struct Row {
    id: Uuid,
    person: Uuid,
    prepared: Prepared,
}

/// A stored row's identity as the linkage engine reads it (a macro because each backend
/// has its own row type).
macro_rules! identity {
    ($r:expr) => {
        Record {
            given_name: $r.given_name,
            family_name: $r.family_name,
            date_of_birth: $r.date_of_birth,
            sex: $r.sex,
            postcode: $r.postcode.unwrap_or_default(),
            upn: $r.upn,
            nhs_number: $r.nhs_number,
            aliases: $r.alias.into_iter().collect(),
        }
    };
}

macro_rules! rows_from {
    ($rows:expr) => {
        $rows
            .into_iter()
            .map(|r| Row {
                id: r.id,
                person: r.person_id,
                prepared: Prepared::new(&identity!(r)),
            })
            .collect::<Vec<Row>>()
    };
}

/// Stored keys are the hash's bits in a signed 64-bit column.
fn stored_keys(prepared: &Prepared) -> Vec<(i32, i64)> {
    blocking::keys(prepared)
        .iter()
        .zip(0i32..)
        .filter(|(key, _)| **key != 0)
        .map(|(key, rule)| (rule, i64::from_ne_bytes(key.to_ne_bytes())))
        .collect()
}

fn ordered(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    (a.min(b), a.max(b))
}

impl Store {
    /// Links every record of the tenant afresh. Each resulting cluster keeps the person id
    /// most of its records already had, so people's ids (and links to them) survive a relink.
    pub async fn relink(
        &self,
        tenant: &TenantCode,
        settings: &Settings,
        now: OffsetDateTime,
    ) -> Result<LinkReport, StoreError> {
        let work = Work::new("link_records", "identity resolution");
        let mut g = self.service_gate(tenant, None, work, now).await?;
        let (report, detail) = in_gate!(g, [queries as q, linking as l], tx => {
            let raw = l::records(tx, tenant, false).await?;
            let rows: Vec<(Uuid, Uuid)> = raw.iter().map(|r| (r.id, r.person_id)).collect();
            let identities: Vec<Record> = raw.into_iter().map(|r| identity!(r)).collect();
            let index: HashMap<Uuid, u32> =
                rows.iter().zip(0u32..).map(|(r, i)| (r.0, i)).collect();
            let decisions: Vec<Decision> = l::decisions(tx, tenant)
                .await?
                .into_iter()
                .filter_map(|(a, b, same)| {
                    Some(Decision { a: *index.get(&a)?, b: *index.get(&b)?, same })
                })
                .collect();
            let linkage = link(&identities, settings, &decisions);

            // Give each cluster the person most of its records already belong to, biggest
            // clusters choosing first; a person id goes to one cluster only.
            let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
            for (i, c) in linkage.clusters.iter().enumerate() {
                members.entry(*c).or_default().push(i);
            }
            let mut clusters: Vec<(u32, Vec<usize>)> = members.into_iter().collect();
            clusters.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
            let mut taken: BTreeSet<Uuid> = BTreeSet::new();
            let mut write = l::LinkWrite {
                change_id: Uuid::now_v7(),
                kind: "relink",
                reason: "full linking run".into(),
                replace_open_reviews: true,
                ..l::LinkWrite::default()
            };
            for (_, list) in &clusters {
                let mut counts: HashMap<Uuid, usize> = HashMap::new();
                for i in list {
                    if let Some((_, person)) = rows.get(*i) {
                        *counts.entry(*person).or_default() += 1;
                    }
                }
                let mut choices: Vec<(Uuid, usize)> = counts.into_iter().collect();
                choices.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let person = match choices.iter().find(|(p, _)| !taken.contains(p)) {
                    Some((p, _)) => *p,
                    None => {
                        let fresh = Uuid::now_v7();
                        write.new_persons.push(fresh);
                        fresh
                    }
                };
                taken.insert(person);
                for i in list {
                    if let Some((id, from)) = rows.get(*i)
                        && *from != person
                    {
                        write.moves.push((*id, *from, person));
                    }
                }
            }
            let unlinked: BTreeSet<Uuid> = l::records(tx, tenant, true)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect();
            for ((id, _), identity) in rows.iter().zip(&identities) {
                if unlinked.contains(id) {
                    for (rule, key) in stored_keys(&Prepared::new(identity)) {
                        write.keys.push((*id, rule, key));
                    }
                    write.linked.push(*id);
                }
            }
            for pair in &linkage.review {
                if let (Some(a), Some(b)) = (rows.get(pair.a as usize), rows.get(pair.b as usize)) {
                    let (a, b) = ordered(a.0, b.0);
                    write.reviews.push((a, b, pair.weight, pair.probability));
                }
            }
            let trained = Trained {
                model: linkage.scorer.model.clone(),
                tf: linkage.scorer.tf.clone(),
            };
            let json = serde_json::to_string(&trained)
                .map_err(|e| StoreError::corrupt(format!("cannot encode the model: {e}")))?;
            write.model = Some((json, rows.len() as i64));
            let report = LinkReport {
                full: true,
                records: rows.len() as u64,
                moved: write.moves.len() as u64,
                persons: clusters.len() as u64,
                reviews: write.reviews.len() as u64,
            };
            l::write(tx, tenant, &write, now).await?;
            let detail = serde_json::json!({ "report": report, "stats": linkage.stats }).to_string();
            (report, detail)
        });
        g.entry.detail = detail;
        g.commit().await?;
        Ok(report)
    }

    /// Links the records that arrived since the last run, through their blocking keys, with
    /// the stored model. With no model yet (the first import), links everything instead.
    pub async fn link_new(
        &self,
        tenant: &TenantCode,
        settings: &Settings,
        now: OffsetDateTime,
    ) -> Result<LinkReport, StoreError> {
        let work = Work::new("link_records", "identity resolution");
        // Everything from here is read and written in one transaction, so two feeds linked
        // at once cannot both place the same records.
        let mut g = self.service_gate(tenant, None, work, now).await?;
        let stored = in_gate!(g, linking as l, tx => l::model(tx, tenant).await?);
        let Some(json) = stored else {
            drop(g);
            return self.relink(tenant, settings, now).await;
        };
        let trained: Trained = serde_json::from_str(&json)
            .map_err(|e| StoreError::corrupt(format!("the stored linking model: {e}")))?;
        if !trained.fits() {
            // Learnt before the comparisons changed: learn again from everyone.
            drop(g);
            return self.relink(tenant, settings, now).await;
        }
        let scorer = trained.scorer();
        let (report, detail) = in_gate!(g, [queries as q, linking as l], tx => {
            let fresh = rows_from!(l::records(tx, tenant, true).await?);
            if fresh.is_empty() {
                return Ok(LinkReport::default());
            }
            let mut wanted: Vec<(i32, i64)> =
                fresh.iter().flat_map(|r| stored_keys(&r.prepared)).collect();
            wanted.sort_unstable();
            wanted.dedup();
            let near = rows_from!(l::records_by_keys(tx, tenant, &wanted).await?);
            let persons: Vec<Uuid> = near
                .iter()
                .map(|r| r.person)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let kin = rows_from!(l::records_of_persons(tx, tenant, &persons).await?);

            // Everyone this run can meet: existing records first, then the new ones, each
            // entered in the key index only once placed, so new records meet each other too.
            let mut all: Vec<Row> = Vec::new();
            let mut seen: BTreeSet<Uuid> = BTreeSet::new();
            for row in near.into_iter().chain(kin) {
                if seen.insert(row.id) {
                    all.push(row);
                }
            }
            let existing = all.len();
            all.extend(fresh);
            let mut person_of: Vec<Uuid> = all.iter().map(|r| r.person).collect();
            let mut by_key: HashMap<(i32, i64), Vec<usize>> = HashMap::new();
            let mut members: HashMap<Uuid, Vec<usize>> = HashMap::new();
            for (i, row) in all.iter().enumerate() {
                members.entry(row.person).or_default().push(i);
                if i < existing {
                    for key in stored_keys(&row.prepared) {
                        by_key.entry(key).or_default().push(i);
                    }
                }
            }
            let mut write = l::LinkWrite {
                change_id: Uuid::now_v7(),
                kind: "link",
                reason: "records received".into(),
                ..l::LinkWrite::default()
            };
            for n in existing..all.len() {
                let Some(row) = all.get(n) else { continue };
                let keys = stored_keys(&row.prepared);
                let mut near: Vec<usize> = keys
                    .iter()
                    .flat_map(|k| by_key.get(k).into_iter().flatten().copied())
                    .collect();
                near.sort_unstable();
                near.dedup();
                let candidates: Vec<Candidate<'_, Uuid>> = near
                    .iter()
                    .filter_map(|i| {
                        Some(Candidate { record: &all.get(*i)?.prepared, person: *person_of.get(*i)? })
                    })
                    .collect();
                let placed = place(&scorer, settings, &row.prepared, &candidates, |p| {
                    members
                        .get(&p)
                        .into_iter()
                        .flatten()
                        .filter_map(|i| all.get(*i).map(|r| &r.prepared))
                        .collect()
                });
                let current = person_of.get(n).copied().unwrap_or(row.person);
                // Only a record alone in its person moves: one that joined others by UPN or
                // NHS number on arrival stays with them, and any doubt goes to a reviewer.
                let alone = members.get(&current).is_none_or(|m| m.len() <= 1);
                if let Some((person, _)) = placed.join
                    && person != current
                    && alone
                {
                    write.moves.push((row.id, current, person));
                    if let Some(list) = members.get_mut(&current) {
                        list.retain(|i| *i != n);
                    }
                    members.entry(person).or_default().push(n);
                    if let Some(slot) = person_of.get_mut(n) {
                        *slot = person;
                    }
                }
                for doubt in &placed.doubts {
                    if let Some(other) = near.get(doubt.candidate).and_then(|i| all.get(*i)) {
                        let (a, b) = ordered(row.id, other.id);
                        write.reviews.push((a, b, doubt.weight, doubt.probability));
                    }
                }
                for key in keys {
                    write.keys.push((row.id, key.0, key.1));
                    by_key.entry(key).or_default().push(n);
                }
                write.linked.push(row.id);
            }
            let report = LinkReport {
                full: false,
                records: write.linked.len() as u64,
                moved: write.moves.len() as u64,
                persons: 0,
                reviews: write.reviews.len() as u64,
            };
            l::write(tx, tenant, &write, now).await?;
            let detail = serde_json::json!({ "report": report }).to_string();
            (report, detail)
        });
        g.entry.detail = detail;
        g.commit().await?;
        Ok(report)
    }

    /// (record, agency code, record key, person) for every record, to score linking against
    /// a synthetic county's truth. Names no one: keys and ids only.
    pub async fn record_persons(
        &self,
        tenant: &TenantCode,
        now: OffsetDateTime,
    ) -> Result<Vec<(Uuid, String, String, Uuid)>, StoreError> {
        let work = Work::new(
            "read_linkage",
            "score linking against synthetic ground truth",
        );
        let mut g = self.service_read(tenant, None, work, now).await?;
        let rows = in_gate!(g, linking as l, tx => l::record_persons(tx, tenant).await)?;
        g.commit().await?;
        Ok(rows)
    }
}
