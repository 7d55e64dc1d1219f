//! Placing new records among people already linked, without re-linking everyone: the new
//! record is compared with the records that share one of its blocking keys, and joins the
//! person of the best match if that match is strong enough and nothing in that person's
//! records must be held apart from it.

use crate::compare::{Field, Pattern, compare};
use crate::linkage::Settings;
use crate::model::Model;
use crate::record::Prepared;
use crate::score::{
    Scorer, TermFrequencies, conflicting, disputed_identifier, doubtful_twins, held_apart,
    probability, undecided,
};
use serde::{Deserialize, Serialize};

/// What a full run learnt, kept so later records are scored the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trained {
    pub model: Model,
    pub tf: TermFrequencies,
}

/// An existing record a new one is compared with.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a, P> {
    pub record: &'a Prepared,
    pub person: P,
}

/// A candidate the new record resembles but not enough to join: for a person to decide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Doubt {
    /// Index into the candidates.
    pub candidate: usize,
    pub weight: f64,
    pub probability: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placement<P> {
    /// The person to join, with the match probability, or `None` to stay alone.
    pub join: Option<(P, f64)>,
    pub doubts: Vec<Doubt>,
}

/// Where `record` belongs among `candidates`. `members(person)` gives every record of a
/// person, so the guard sees the whole person, not only the matching record.
pub fn place<'a, P: Copy + PartialEq>(
    scorer: &Scorer,
    settings: &Settings,
    record: &Prepared,
    candidates: &[Candidate<'a, P>],
    members: impl Fn(P) -> Vec<&'a Prepared>,
) -> Placement<P> {
    // A verified identifier it shares with a candidate places it with no score and no rule.
    let shares = |c: &Prepared| {
        (record.verified_upn && c.verified_upn && record.upn == c.upn)
            || (record.verified_nhs && c.verified_nhs && record.nhs_number == c.nhs_number)
    };
    if let Some(c) = candidates
        .iter()
        .find(|c| shares(c.record) && !disputed_identifier(compare(record, c.record)))
    {
        return Placement {
            join: Some((c.person, 1.0)),
            doubts: Vec::new(),
        };
    }
    // Each candidate compared once; the pattern serves the join, the guard and the doubts.
    struct Scored {
        candidate: usize,
        pattern: Pattern,
        weight: f64,
        probability: f64,
    }
    let mut scored: Vec<Scored> = candidates
        .iter()
        .enumerate()
        .map(|(candidate, c)| {
            let pattern = compare(record, c.record);
            let weight = scorer.weight(record, pattern);
            Scored {
                candidate,
                pattern,
                weight,
                probability: probability(weight),
            }
        })
        .collect();
    scored.sort_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then(x.candidate.cmp(&y.candidate))
    });
    let mut join = None;
    for s in &scored {
        if s.probability < settings.match_probability {
            break;
        }
        let Some(candidate) = candidates.get(s.candidate) else {
            continue;
        };
        if conflicting(s.pattern)
            || undecided(s.pattern)
            || members(candidate.person).iter().any(|m| {
                let pattern = compare(record, m);
                held_apart(pattern, scorer.weight(record, pattern))
            })
        {
            continue;
        }
        join = Some((candidate.person, s.probability));
        break;
    }
    let joined = join.map(|(person, _)| person);
    // Undecided pairs (initials, a disputed number) are doubts however high they score, and
    // twin-like pairs in doubt whatever the review band.
    let doubts = scored
        .iter()
        .filter(|s| {
            (s.probability >= settings.review_probability
                || doubtful_twins(s.pattern, s.probability))
                && (s.probability < settings.match_probability || undecided(s.pattern))
                && !conflicting(s.pattern)
                && candidates.get(s.candidate).map(|c| c.person) != joined
        })
        .map(|s| Doubt {
            candidate: s.candidate,
            weight: s.weight,
            probability: s.probability,
        })
        .collect();
    Placement { join, doubts }
}

impl Trained {
    /// Whether the model has a weight for every level the comparisons give today: one trained
    /// before a level was added (the given name's "initials or a part") must be trained again.
    pub fn fits(&self) -> bool {
        let shape = |table: &[Vec<f64>]| {
            table.len() == Field::ALL.len()
                && table
                    .iter()
                    .zip(Field::ALL)
                    .all(|(levels, field)| levels.len() == field.levels().len())
        };
        shape(&self.model.m) && shape(&self.model.u)
    }

    pub fn scorer(&self) -> Scorer {
        Scorer::new(self.model.clone(), self.tf.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::{link, starting_m};
    use crate::record::Record;

    fn rec(given: &str, family: &str, day: u8, upn: Option<&str>) -> Record {
        Record {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: time::Date::from_calendar_date(2010, time::Month::March, day).ok(),
            sex: Some("F".into()),
            postcode: "BN7 2LD".into(),
            upn: upn.map(Into::into),
            nhs_number: None,
            aliases: Vec::new(),
        }
    }

    /// A hand-made model; `twin_share` is what a run would have learnt for twin-like pairs.
    fn scorer(twin_share: f64) -> Scorer {
        let u = vec![
            vec![0.01, 0.001, 0.001, 0.002, 0.005, 0.001, 0.98],
            vec![0.005, 0.001, 0.002, 0.001, 0.991],
            vec![0.0002, 0.0001, 0.01, 0.0003, 0.9894],
            vec![0.0001, 0.001, 0.01, 0.9889],
            vec![0.5, 0.5],
            vec![0.00001, 0.99999],
            vec![0.00001, 0.99999],
        ];
        let model = Model {
            lambda: 0.3,
            m: starting_m(),
            u,
            twin_share,
        };
        Scorer::new(model, TermFrequencies::default())
    }

    #[test]
    fn a_new_record_joins_its_person_and_never_a_twin() {
        let ruby = Prepared::new(&rec("Ruby", "Ashworth", 9, Some("A1")));
        let rose = Prepared::new(&rec("Rose", "Ashworth", 9, Some("A2")));
        let candidates = [
            Candidate {
                record: &ruby,
                person: 1,
            },
            Candidate {
                record: &rose,
                person: 2,
            },
        ];
        let members = |p: u32| match p {
            1 => vec![&ruby],
            _ => vec![&rose],
        };
        let police = Prepared::new(&rec("Ruby", "Ashworth", 9, None));
        // Learnt from data where twins with two UPNs share a surname, birthday and address.
        let knows_twins = scorer(0.01);
        let placed = place(
            &knows_twins,
            &Settings::default(),
            &police,
            &candidates,
            members,
        );
        assert_eq!(placed.join.map(|j| j.0), Some(1));

        let stranger = Prepared::new(&rec("Ivy", "Ashworth", 9, None));
        let placed = place(
            &knows_twins,
            &Settings::default(),
            &stranger,
            &candidates,
            members,
        );
        assert_eq!(
            placed.join, None,
            "where twins are known, a different given name is a different child"
        );
        assert!(placed.doubts.is_empty());
        let why = knows_twins.explain(&stranger, &ruby);
        assert!(
            why.fields
                .iter()
                .any(|e| e.field == "twins" && e.weight < 0.0),
            "the reviewer sees why: {why:?}"
        );
        let police_of_rose = Prepared::new(&rec("Rose", "Ashworth", 9, None));
        let placed = place(
            &knows_twins,
            &Settings::default(),
            &police_of_rose,
            &candidates,
            members,
        );
        assert_eq!(placed.join.map(|j| j.0), Some(2), "and her sister's record");
    }

    #[test]
    fn a_trained_model_round_trips_through_json() {
        let records: Vec<Record> = (1..20)
            .flat_map(|d| [rec("Amy", "Hart", d, None), rec("Amy", "Hart", d, None)])
            .collect();
        let linkage = link(&records, &Settings::default(), &[]);
        let trained = Trained {
            model: linkage.scorer.model.clone(),
            tf: linkage.scorer.tf.clone(),
        };
        let back: Trained =
            serde_json::from_str(&serde_json::to_string(&trained).unwrap()).unwrap();
        assert!(back.fits());
        let mut old = back.clone();
        old.model.m[0].pop();
        assert!(!old.fits(), "a model from before a level was added");
        assert_eq!(back.tf, trained.tf);
        // JSON may move a float by its last bit; nothing a score can notice.
        let (a, b) = (Prepared::new(&records[0]), Prepared::new(&records[1]));
        let (x, y) = (
            back.scorer().explain(&a, &b),
            trained.scorer().explain(&a, &b),
        );
        assert!((x.weight - y.weight).abs() < 1e-9);
    }
}
