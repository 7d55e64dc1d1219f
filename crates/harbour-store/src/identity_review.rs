//! People deciding identity: the review queue of uncertain pairs, and merging, splitting and
//! undoing people. Each needs the policy's identity-review function; each look and each
//! change is audited with the children concerned as subjects. Decisions are kept, and every
//! later linking run obeys them.

use crate::StoreError;
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::store::Store;
use harbour_domain::PersonId;
use harbour_link::incremental::Trained;
use harbour_link::score::Evidence;
use harbour_link::{Prepared, Record};
use harbour_policy::{Function, Principal};
use serde::Serialize;
use std::collections::BTreeSet;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// One record of a pair, as a reviewer sees it: identity only, never events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewSide {
    pub record: Uuid,
    pub person: PersonId,
    pub agency_name: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    pub postcode: Option<String>,
    pub upn: Option<String>,
    pub nhs_number: Option<String>,
    /// Another name the person uses, where the agency gave one.
    pub alias: Option<String>,
}

/// A pair waiting for a decision, with each field's evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkReviewItem {
    pub id: Uuid,
    pub probability: f64,
    pub weight: f64,
    pub a: ReviewSide,
    pub b: ReviewSide,
    pub evidence: Vec<Evidence>,
}

/// A merge, split or undo that touched a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonChange {
    pub id: Uuid,
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
    pub made_by: Option<String>,
    pub reason: String,
    pub records_moved: i64,
    pub undone: bool,
}

/// How a pair that has left the queue was decided, for a reviewer whose own decision came
/// after a colleague's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewDecided {
    /// "The same child" (true) or "different children" (false).
    pub same: bool,
    /// Who decided, if a person did.
    pub by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
}

/// Why an identity change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityRefusal {
    #[error("your role cannot change which records belong to which child")]
    NotAllowed,
    #[error("there is no such pair, person or change")]
    NotFound,
    #[error("that pair has already been decided")]
    AlreadyDecided,
    #[error("choose at least one of this child's records to split off, and leave at least one")]
    BadSplit,
    #[error("this change has already been undone")]
    AlreadyUndone,
    #[error("later changes moved some of these records again; undo those first")]
    MovedSince,
    #[error("only merges and splits made by a person can be undone here")]
    NotUndoable,
    #[error("give a reason")]
    NoReason,
    #[error("that is the same child")]
    SamePerson,
}

macro_rules! side {
    ($r:expr) => {
        ReviewSide {
            record: $r.id,
            person: PersonId($r.person_id),
            agency_name: $r.agency_name,
            given_name: $r.given_name,
            family_name: $r.family_name,
            date_of_birth: $r.date_of_birth,
            sex: $r.sex,
            postcode: $r.postcode,
            upn: $r.upn,
            nhs_number: $r.nhs_number,
            alias: $r.alias,
        }
    };
}

/// Ends an identity change: a refusal is audited as denied with its reason (and nothing the
/// change wrote is kept), a success is committed with its audit entry.
async fn finish<T>(
    g: Guarded,
    outcome: Result<T, IdentityRefusal>,
    about: impl Serialize,
) -> Result<Result<T, IdentityRefusal>, StoreError> {
    match &outcome {
        Err(refusal) => {
            let detail = serde_json::json!({ "about": about, "refused": refusal.to_string() });
            g.refuse(Some(detail.to_string())).await?;
        }
        Ok(_) => g.commit().await?,
    }
    Ok(outcome)
}

/// Every identity decision needs the policy's identity-review function.
const IDENTITY_REVIEW: Needs = Needs::Function(Function::IdentityReview);

/// The "same child" decisions a merge records: `anchor` with every other record of both
/// people (each pair smaller first), so every later linking run keeps all of them together,
/// not only the two records a reviewer looked at. `except` is a pair already decided.
fn merged_pairs(
    anchor: Uuid,
    records: impl IntoIterator<Item = Uuid>,
    except: Option<(Uuid, Uuid)>,
) -> Vec<(Uuid, Uuid)> {
    let mut pairs: Vec<(Uuid, Uuid)> = records
        .into_iter()
        .filter(|r| *r != anchor)
        .map(|r| (anchor.min(r), anchor.max(r)))
        .filter(|pair| Some(*pair) != except)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

fn prepared(side: &ReviewSide) -> Prepared {
    Prepared::new(&Record {
        given_name: side.given_name.clone(),
        family_name: side.family_name.clone(),
        date_of_birth: side.date_of_birth,
        sex: side.sex.clone(),
        postcode: side.postcode.clone().unwrap_or_default(),
        upn: side.upn.clone(),
        nhs_number: side.nhs_number.clone(),
        aliases: side.alias.iter().cloned().collect(),
    })
}

impl Store {
    /// The open pairs, most likely matches first, or `None` if `who` may not review identity.
    /// Audited, naming every child shown.
    pub async fn link_reviews(
        &self,
        who: &Principal,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<LinkReviewItem>>, StoreError> {
        let work = Work::new(
            "identity_review",
            "decide whether records are the same child",
        );
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), IDENTITY_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        let items = in_gate!(g, linking as l, tx => {
            let mut items = Vec::new();
            let reviews = l::open_reviews(tx, &who.tenant, limit).await?;
            let ids: Vec<Uuid> = reviews.iter().flat_map(|r| [r.record_a, r.record_b]).collect();
            let sides = l::sides(tx, &who.tenant, &ids).await?;
            let scorer = l::model(tx, &who.tenant)
                .await?
                .and_then(|json| serde_json::from_str::<Trained>(&json).ok())
                .map(|t| t.scorer());
            for review in reviews {
                let find = |id: Uuid| sides.iter().find(|s| s.id == id).cloned();
                let (Some(a), Some(b)) = (find(review.record_a), find(review.record_b)) else {
                    continue;
                };
                let (a, b) = (side!(a), side!(b));
                let evidence = scorer
                    .as_ref()
                    .map(|s| s.explain(&prepared(&a), &prepared(&b)).fields)
                    .unwrap_or_default();
                items.push(LinkReviewItem {
                    id: review.id,
                    probability: review.probability,
                    weight: review.weight,
                    a,
                    b,
                    evidence,
                });
            }
            items
        });
        g.entry
            .set_subjects(items.iter().flat_map(|i| [i.a.person, i.b.person]));
        g.entry.detail = serde_json::json!({ "pairs": items.len() }).to_string();
        g.commit().await?;
        Ok(Some(items))
    }

    /// How pair `review` was decided, if it has been: `None` if `who` may not review identity,
    /// `Some(None)` if there is no such pair or it is still waiting. Names a member of staff
    /// and a decision, never a child; audited as a look at the review.
    pub async fn decided_review(
        &self,
        who: &Principal,
        review: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<Option<ReviewDecided>>, StoreError> {
        let work = Work::new(
            "identity_review",
            "decide whether records are the same child",
        );
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), IDENTITY_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        let decided = in_gate!(g, linking as l, tx => {
            l::decided_review(tx, &who.tenant, review).await?.map(|row| ReviewDecided {
                same: row.status == "same",
                by: row.decided_by_name,
                at: row.decided_at,
            })
        });
        g.entry.detail =
            serde_json::json!({ "review": review, "already_decided": decided.is_some() })
                .to_string();
        g.commit().await?;
        Ok(Some(decided))
    }

    /// Decides a pair. "Same" merges the two people (the second record's person joins the
    /// first's); "different" keeps them apart in every later linking run. Returns the person
    /// the records now belong to (the first record's).
    pub async fn decide_link_review(
        &self,
        who: &Principal,
        review: Uuid,
        same: bool,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<Result<PersonId, IdentityRefusal>, StoreError> {
        let work = Work::new(
            "identity_review",
            "decide whether records are the same child",
        );
        let Some(mut g) = self
            .gate(Actor::Staff(who), IDENTITY_REVIEW, work, now)
            .await?
        else {
            return Ok(Err(IdentityRefusal::NotAllowed));
        };
        let outcome = in_gate!(g, linking as l, tx => {
            {
                match l::review(tx, &who.tenant, review).await? {
                    None => Err(IdentityRefusal::NotFound),
                    Some(r) if r.status != "open" => Err(IdentityRefusal::AlreadyDecided),
                    Some(r) => {
                        let a = l::persons_of(tx, &who.tenant, l::Records::One(r.record_a)).await?;
                        let b = l::persons_of(tx, &who.tenant, l::Records::One(r.record_b)).await?;
                        match (a.first(), b.first()) {
                            (Some((_, pa)), Some((_, pb))) => {
                                let (pa, pb) = (*pa, *pb);
                                let mut change = None;
                                if same && pa != pb {
                                    let kept = l::persons_of(tx, &who.tenant, l::Records::OfPerson(pa)).await?;
                                    let moved = l::persons_of(tx, &who.tenant, l::Records::OfPerson(pb)).await?;
                                    let write = l::LinkWrite {
                                        change_id: Uuid::now_v7(),
                                        kind: "merge",
                                        made_by: Some(who.user.0),
                                        reason: if note.trim().is_empty() { "reviewed pair: same child".into() } else { note.trim().to_owned() },
                                        moves: moved.iter().map(|(id, _)| (*id, pb, pa)).collect(),
                                        ..l::LinkWrite::default()
                                    };
                                    l::write(tx, &who.tenant, &write, now).await?;
                                    let reviewed = (r.record_a.min(r.record_b), r.record_a.max(r.record_b));
                                    let pairs = merged_pairs(
                                        r.record_a,
                                        kept.iter().chain(&moved).map(|(id, _)| *id),
                                        Some(reviewed),
                                    );
                                    l::insert_decisions(tx, &who.tenant, &pairs, "same", who.user.0, note.trim(), write.change_id, now).await?;
                                    change = Some(write.change_id);
                                }
                                let status = if same { "same" } else { "different" };
                                l::set_decision(tx, &who.tenant, review, status, who.user.0, note.trim(), change, now).await?;
                                g.entry.subjects = BTreeSet::from([PersonId(pa), PersonId(pb)]).into_iter().collect();
                                g.entry.detail = serde_json::json!({ "review": review, "decision": status, "change": change }).to_string();
                                Ok(PersonId(pa))
                            }
                            _ => Err(IdentityRefusal::NotFound),
                        }
                    }
                }
            }
        });
        finish(g, outcome, review).await
    }

    /// Moves `records` out of `person` into a new person, and records that they are not the
    /// same child as the records left behind, so no later linking run puts them back.
    pub async fn split_person(
        &self,
        who: &Principal,
        person: PersonId,
        records: &[Uuid],
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Result<PersonId, IdentityRefusal>, StoreError> {
        let work = Work::new("identity_change", "split a person's records");
        let Some(mut g) = self
            .gate(Actor::Staff(who), IDENTITY_REVIEW, work, now)
            .await?
        else {
            return Ok(Err(IdentityRefusal::NotAllowed));
        };
        g.entry.subjects = vec![person];
        let outcome = in_gate!(g, linking as l, tx => {
            if reason.trim().is_empty() {
                Err(IdentityRefusal::NoReason)
            } else {
                let all = l::persons_of(tx, &who.tenant, l::Records::OfPerson(person.0)).await?;
                let chosen: BTreeSet<Uuid> = records.iter().copied().collect();
                let (moving, staying): (Vec<Uuid>, Vec<Uuid>) =
                    all.iter().map(|(id, _)| *id).partition(|id| chosen.contains(id));
                if all.is_empty() {
                    Err(IdentityRefusal::NotFound)
                } else if moving.is_empty() || staying.is_empty() || moving.len() != chosen.len() {
                    Err(IdentityRefusal::BadSplit)
                } else {
                    let fresh = Uuid::now_v7();
                    let write = l::LinkWrite {
                        change_id: Uuid::now_v7(),
                        kind: "split",
                        made_by: Some(who.user.0),
                        reason: reason.trim().to_owned(),
                        new_persons: vec![fresh],
                        moves: moving.iter().map(|id| (*id, person.0, fresh)).collect(),
                        ..l::LinkWrite::default()
                    };
                    l::write(tx, &who.tenant, &write, now).await?;
                    let pairs: Vec<(Uuid, Uuid)> = moving
                        .iter()
                        .flat_map(|m| staying.iter().map(move |s| (*m.min(s), *m.max(s))))
                        .collect();
                    l::insert_decisions(tx, &who.tenant, &pairs, "different", who.user.0, reason.trim(), write.change_id, now).await?;
                    g.entry.subjects = BTreeSet::from([person, PersonId(fresh)]).into_iter().collect();
                    g.entry.detail = serde_json::json!({ "change": write.change_id, "records": moving.len() }).to_string();
                    Ok(PersonId(fresh))
                }
            }
        });
        finish(g, outcome, person).await
    }

    /// Merges `other` into `keep` by hand (a reviewer knows they are one child): every record
    /// of `other` moves, and the decision is kept so no later linking run parts them.
    pub async fn merge_persons(
        &self,
        who: &Principal,
        keep: PersonId,
        other: PersonId,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Result<PersonId, IdentityRefusal>, StoreError> {
        let work = Work::new("identity_change", "merge two people's records");
        let Some(mut g) = self
            .gate(Actor::Staff(who), IDENTITY_REVIEW, work, now)
            .await?
        else {
            return Ok(Err(IdentityRefusal::NotAllowed));
        };
        g.entry.subjects = BTreeSet::from([keep, other]).into_iter().collect();
        let outcome = in_gate!(g, linking as l, tx => {
            if reason.trim().is_empty() {
                Err(IdentityRefusal::NoReason)
            } else if keep == other {
                Err(IdentityRefusal::SamePerson)
            } else {
                let kept = l::persons_of(tx, &who.tenant, l::Records::OfPerson(keep.0)).await?;
                let moving = l::persons_of(tx, &who.tenant, l::Records::OfPerson(other.0)).await?;
                match (kept.first(), moving.first()) {
                    (Some((a, _)), Some(_)) => {
                        let write = l::LinkWrite {
                            change_id: Uuid::now_v7(),
                            kind: "merge",
                            made_by: Some(who.user.0),
                            reason: reason.trim().to_owned(),
                            moves: moving.iter().map(|(id, _)| (*id, other.0, keep.0)).collect(),
                            ..l::LinkWrite::default()
                        };
                        l::write(tx, &who.tenant, &write, now).await?;
                        let pairs = merged_pairs(*a, kept.iter().chain(&moving).map(|(id, _)| *id), None);
                        l::insert_decisions(tx, &who.tenant, &pairs, "same", who.user.0, reason.trim(), write.change_id, now).await?;
                        g.entry.detail = serde_json::json!({ "change": write.change_id, "records": moving.len() }).to_string();
                        Ok(keep)
                    }
                    _ => Err(IdentityRefusal::NotFound),
                }
            }
        });
        finish(g, outcome, keep).await
    }

    /// Undoes a merge or split: every record it moved goes back, if none has moved since, and
    /// the decisions it made are withdrawn. Returns the person the first record returned to.
    pub async fn undo_person_change(
        &self,
        who: &Principal,
        change: Uuid,
        now: OffsetDateTime,
    ) -> Result<Result<PersonId, IdentityRefusal>, StoreError> {
        let work = Work::new("identity_change", "undo a merge or split");
        let Some(mut g) = self
            .gate(Actor::Staff(who), IDENTITY_REVIEW, work, now)
            .await?
        else {
            return Ok(Err(IdentityRefusal::NotAllowed));
        };
        let outcome = in_gate!(g, linking as l, tx => {
            {
                match l::change(tx, &who.tenant, change).await? {
                    None => Err(IdentityRefusal::NotFound),
                    Some((kind, _, _)) if kind != "merge" && kind != "split" => Err(IdentityRefusal::NotUndoable),
                    Some((_, Some(_), _)) => Err(IdentityRefusal::AlreadyUndone),
                    Some((_, None, moves)) => {
                        if l::moved_since(tx, &who.tenant, change).await? {
                            Err(IdentityRefusal::MovedSince)
                        } else {
                            let write = l::LinkWrite {
                                change_id: Uuid::now_v7(),
                                kind: "undo",
                                made_by: Some(who.user.0),
                                reason: format!("undo of {change}"),
                                moves: moves.iter().map(|(r, from, to)| (*r, *to, *from)).collect(),
                                ..l::LinkWrite::default()
                            };
                            l::write(tx, &who.tenant, &write, now).await?;
                            l::mark_undone(tx, &who.tenant, change, write.change_id).await?;
                            let persons: BTreeSet<PersonId> = moves
                                .iter()
                                .flat_map(|(_, from, to)| [PersonId(*from), PersonId(*to)])
                                .collect();
                            g.entry.subjects = persons.into_iter().collect();
                            g.entry.detail = serde_json::json!({ "undid": change, "change": write.change_id }).to_string();
                            Ok(PersonId(moves.first().map_or(Uuid::nil(), |m| m.1)))
                        }
                    }
                }
            }
        });
        finish(g, outcome, change).await
    }

    /// Merges, splits and undos that touched `person`, newest first; `None` if `who` may not
    /// review identity. Audited, naming the child.
    pub async fn person_changes(
        &self,
        who: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<PersonChange>>, StoreError> {
        let work = Work::new("identity_history", "see how a child's records were joined");
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), IDENTITY_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        g.entry.set_subjects([person]);
        let changes: Vec<PersonChange> = in_gate!(g, linking as l, tx => {
            l::changes_of(tx, &who.tenant, person.0)
                .await?
                .into_iter()
                .map(|c| PersonChange {
                    id: c.id,
                    kind: c.kind,
                    made_at: c.made_at,
                    made_by: c.made_by_name,
                    reason: c.reason,
                    records_moved: c.moves,
                    undone: c.undone_by.is_some(),
                })
                .collect()
        });
        g.commit().await?;
        Ok(Some(changes))
    }
}
