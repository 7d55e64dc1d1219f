//! The closed code lists of the feeds' optional detail columns (`docs/feeds.md` lists them
//! for senders), each code with the plain words shown on a timeline. They are closed so that
//! a rule condition such as `outcome == "arrest"` can rely on the spelling: a value outside a
//! list is refused when the row is read, never stored as something no rule would match.

/// Where a child went when they left a school roll (`school_roll` column `destination`, and
/// the CTF's `LeavingReason` when it names one of these). The grounds follow the reasons a
/// pupil may be deleted from the admission register (The School Attendance (Pupil
/// Registration) (England) Regulations 2024), grouped as a safeguarding reader needs them.
pub const DESTINATIONS: &[(&str, &str)] = &[
    ("another_school", "to another school"),
    (
        "alternative_provision",
        "to alternative provision or a pupil referral unit",
    ),
    ("home_education", "to elective home education"),
    ("moved_away", "moved out of the area"),
    ("moved_abroad", "moved abroad"),
    (
        "post_16",
        "end of compulsory schooling (further education, training or work)",
    ),
    ("permanent_exclusion", "permanently excluded"),
    ("not_known", "destination not known"),
    ("other", "other reason"),
];

/// What the school a fair-access panel allocated a child to said (`la_education` column
/// `response`, on `fair_access` rows): the consistency view counts accepted placements and
/// refusals by school.
pub const FAIR_ACCESS_RESPONSES: &[(&str, &str)] = &[
    ("accepted", "accepted by the school"),
    ("refused", "refused by the school"),
    ("pending", "awaiting the school's answer"),
];

/// Why a child was referred to children's social care (`social_care` column
/// `referral_reason`): the concern the referrer gave. Harbour's own short list, chosen for the
/// critical moments its rules look for; it is not the CIN census's coded list of factors at
/// assessment, which is recorded later, by the social worker, and often more than one.
pub const REFERRAL_REASONS: &[(&str, &str)] = &[
    ("criminal_exploitation", "criminal exploitation"),
    ("sexual_exploitation", "sexual exploitation"),
    ("going_missing", "going missing"),
    ("gangs", "gang association or serious youth violence"),
    ("trafficking", "trafficking or modern slavery"),
    ("neglect", "neglect"),
    ("physical_abuse", "physical abuse"),
    ("emotional_abuse", "emotional abuse"),
    ("sexual_abuse", "sexual abuse"),
    ("domestic_abuse", "domestic abuse"),
    ("substance_misuse", "alcohol or drug misuse"),
    ("mental_health", "mental health"),
    ("self_harm", "self-harm"),
    ("other", "another concern"),
];

/// Who made a referral (`referrer`: to children's social care, or to the MACE panel).
pub const REFERRERS: &[(&str, &str)] = &[
    ("school", "a school"),
    ("la_education", "the local authority's education service"),
    ("social_care", "children's social care"),
    ("police", "the police"),
    ("youth_justice", "the youth justice service"),
    ("health", "a health service"),
    ("family", "the child's family"),
    ("self", "the child"),
    ("other", "someone else"),
];

/// What a stop and search led to (`police` column `outcome`, on `stop_search` rows): the
/// outcome categories the Home Office's stop-and-search data and police.uk publish.
pub const STOP_SEARCH_OUTCOMES: &[(&str, &str)] = &[
    ("arrest", "arrest"),
    ("summons", "summons or charged by post"),
    ("caution", "caution (simple or conditional)"),
    ("cannabis_warning", "khat or cannabis warning"),
    ("penalty_notice", "penalty notice for disorder"),
    ("community_resolution", "community resolution"),
    ("no_further_action", "no further action"),
];

/// How severe an injury seen at an emergency department was (`health` column `severity`),
/// as the treating clinician judged it; not the triage category, which measures urgency.
pub const INJURY_SEVERITIES: &[(&str, &str)] = &[
    ("minor", "minor"),
    ("moderate", "moderate"),
    ("serious", "serious"),
    ("life_threatening", "life-threatening"),
];

/// The code in `list` that `value` spells (any case, spaces or hyphens for underscores).
pub fn code_in(list: &[(&'static str, &'static str)], value: &str) -> Option<&'static str> {
    let value = value.trim().to_lowercase().replace([' ', '-'], "_");
    list.iter()
        .find(|(code, _)| *code == value)
        .map(|(c, _)| *c)
}

/// The words shown for `code` (the code itself if it is not in `list`).
pub fn meaning<'a>(list: &[(&'static str, &'static str)], code: &'a str) -> &'a str {
    list.iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, words)| *words)
}

/// A list's codes, comma-separated, for a message saying what is allowed.
pub fn codes(list: &[(&'static str, &'static str)]) -> String {
    list.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_read_in_any_spelling() {
        for list in [
            DESTINATIONS,
            REFERRAL_REASONS,
            REFERRERS,
            STOP_SEARCH_OUTCOMES,
            INJURY_SEVERITIES,
        ] {
            let mut seen = std::collections::HashSet::new();
            for (code, words) in list {
                assert!(seen.insert(*code), "{code} twice");
                assert!(
                    code.chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                    "{code}"
                );
                assert!(!words.is_empty());
                assert_eq!(
                    code_in(list, &code.to_uppercase().replace('_', " ")),
                    Some(*code)
                );
            }
        }
        assert_eq!(code_in(STOP_SEARCH_OUTCOMES, "released"), None);
        assert_eq!(
            meaning(INJURY_SEVERITIES, "life_threatening"),
            "life-threatening"
        );
        assert!(codes(REFERRERS).starts_with("school, la_education"));
    }
}
