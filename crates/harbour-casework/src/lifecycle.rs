//! Whether a record is open, fact by fact. A record's facts are its history and decide its
//! state; the store also keeps, beside each register entry, whether it is open, so that the
//! work queue reads only the open ones (a closed entry has no tasks) instead of every entry a
//! register has ever held. Each kind of fact says here what it does to that, and the store
//! applies it as the fact is written.

/// What recording a fact does to whether its record is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// The record is closed from now on (a closure, a placement's end).
    Closes,
    /// The record is open again.
    Reopens,
    /// Whether the record is open does not change.
    Leaves,
}

impl Lifecycle {
    /// Whether a record is open after facts with these lifecycles, in order (every record
    /// opens open).
    pub fn open_after(lifecycles: impl IntoIterator<Item = Self>) -> bool {
        lifecycles.into_iter().fold(true, |open, l| match l {
            Self::Closes => false,
            Self::Reopens => true,
            Self::Leaves => open,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The lifecycle each fact reports agrees with the state its register works out from the
    //! same facts, and a record it says is closed has no tasks: the store may then leave
    //! closed records out of the work queue without losing a task.
    #![allow(clippy::unwrap_used)]

    use super::Lifecycle;
    use crate::exclusions::{self, Closure, Fact, Status};
    use crate::hours::Hours;
    use crate::not_in_school::{
        self, ChildCircumstances, CmeClosure, CmeEpisode, CmeFact, EheCase, EheClosure, EheFact,
        TraceStep,
    };
    use crate::placements::{Placement, PlacementFact, PlacementOutcome};
    use harbour_rules::calendar::Calendar;
    use proptest::prelude::*;
    use time::{Date, Duration, macros::date};

    const FIRST: Date = date!(2025 - 01 - 13);

    /// What a fact in a generated history does: close, reopen or neither.
    fn histories() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(0u8..3, 0..8)
    }

    fn day(i: usize) -> Date {
        FIRST + Duration::days(i64::try_from(i).unwrap() * 7 + 1)
    }

    proptest! {
        #[test]
        fn exclusions_agree(history in histories(), special in any::<bool>()) {
            let facts: Vec<Fact> = history.iter().enumerate().map(|(i, h)| match h {
                0 => Fact::Closed { on: day(i), closure: if special { Closure::Reinstated } else { Closure::LeftCompulsoryEducation } },
                1 => Fact::Reopened { on: day(i), why: "Back in the area".into() },
                _ => Fact::Offer { provider: "PRU".into(), hours: Hours::whole(25), starts_on: day(i), placement: None },
            }).collect();
            let open = Lifecycle::open_after(facts.iter().map(Fact::lifecycle));
            let entry = exclusions::Entry { first_day: FIRST, facts };
            let a = entry.assess(&Calendar::default(), &exclusions::Settings::default(), day(9));
            prop_assert_eq!(a.status == Status::Open, open);
            prop_assert_eq!(entry.is_closed(), !open);
            if !open {
                prop_assert!(a.tasks.is_empty());
            }
        }

        #[test]
        fn home_education_agrees(history in histories()) {
            let facts: Vec<EheFact> = history.iter().enumerate().map(|(i, h)| match h {
                0 => EheFact::Closed { on: day(i), closure: EheClosure::LeftCompulsoryEducation },
                1 => EheFact::Reopened { on: day(i), why: "Back in the area".into() },
                _ => EheFact::InformationRequested { on: day(i) },
            }).collect();
            let open = Lifecycle::open_after(facts.iter().map(EheFact::lifecycle));
            let case = EheCase { first_day: FIRST, circumstances: ChildCircumstances { at_special_school: true, under_child_protection: false }, facts };
            let a = case.assess(&not_in_school::Settings::default(), day(9));
            prop_assert_eq!(a.open, open);
            if !open {
                prop_assert!(a.tasks.is_empty());
            }
        }

        #[test]
        fn missing_education_agrees(history in histories()) {
            let facts: Vec<CmeFact> = history.iter().enumerate().map(|(i, h)| match h {
                0 => CmeFact::Closed { on: day(i), closure: CmeClosure::FoundOnRoll { school: "Carrow Academy".into() } },
                1 => CmeFact::Reopened { on: day(i), why: "Missing again".into() },
                _ => CmeFact::Step { step: TraceStep::HomeVisit, on: day(i), outcome: "No one home".into() },
            }).collect();
            let open = Lifecycle::open_after(facts.iter().map(CmeFact::lifecycle));
            let episode = CmeEpisode { first_day: FIRST, facts };
            let a = episode.assess(&Calendar::default(), &not_in_school::Settings::default(), day(9));
            prop_assert_eq!(a.open, open);
            prop_assert_eq!(a.tasks.is_empty(), !open);
        }

        #[test]
        fn placements_agree(history in histories()) {
            // A placement ends once: the rules refuse anything after its end.
            let mut facts: Vec<PlacementFact> = Vec::new();
            for (i, h) in history.iter().enumerate() {
                facts.push(match h {
                    0 => PlacementFact::Ended { on: day(i), outcome: PlacementOutcome::BrokeDown, notes: String::new() },
                    _ => PlacementFact::Reviewed { on: day(i), notes: "Settled".into(), next_on: None },
                });
                if *h == 0 {
                    break;
                }
            }
            let open = Lifecycle::open_after(facts.iter().map(PlacementFact::lifecycle));
            let placement = Placement { starts_on: FIRST, facts };
            let a = placement.assess(None, &Calendar::default(), &exclusions::Settings::default(), day(9));
            prop_assert_eq!(a.ended.is_none(), open);
            prop_assert_eq!(a.tasks.is_empty(), !open);
        }
    }
}
