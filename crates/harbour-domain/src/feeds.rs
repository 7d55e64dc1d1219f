//! The agency feeds Harbour accepts: one CSV layout per kind of feed, shared by the synthetic
//! county (which writes them) and the importer (which reads them). `docs/feeds.md` describes
//! each field for agencies' IT teams.

use crate::{AgencyKind, EventKind, Handling};
use serde::{Deserialize, Serialize};

/// A kind of feed, each with its own columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// A school's admissions and leavers.
    SchoolRoll,
    /// The DfE Common Transfer File (XML): pupils with their school history and attendance.
    SchoolCtf,
    /// A school's attendance summaries, one row a pupil a period (usually a half-term).
    SchoolAttendance,
    /// A school's suspensions and permanent exclusions, with DfE reason codes.
    SchoolExclusions,
    /// The local authority's education records: EHE, CME, alternative provision, fair access.
    LaEducation,
    /// Police: cautions, arrests, charges, missing episodes, victims, RUI, stop and search, intelligence.
    Police,
    /// Children's social care: contacts, referrals, assessments, plans, looked-after episodes, MACE referrals.
    SocialCare,
    /// Health: emergency department attendances.
    Health,
    /// Youth justice: orders and interventions.
    YouthJustice,
}

impl Feed {
    pub const ALL: &'static [Self] = &[
        Self::SchoolRoll,
        Self::SchoolCtf,
        Self::SchoolAttendance,
        Self::SchoolExclusions,
        Self::LaEducation,
        Self::Police,
        Self::SocialCare,
        Self::Health,
        Self::YouthJustice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SchoolRoll => "school_roll",
            Self::SchoolCtf => "school_ctf",
            Self::SchoolAttendance => "school_attendance",
            Self::SchoolExclusions => "school_exclusions",
            Self::LaEducation => "la_education",
            Self::Police => "police",
            Self::SocialCare => "social_care",
            Self::Health => "health",
            Self::YouthJustice => "youth_justice",
        }
    }

    /// The kind of agency that sends this feed.
    pub fn agency_kind(self) -> AgencyKind {
        match self {
            Self::SchoolRoll
            | Self::SchoolCtf
            | Self::SchoolAttendance
            | Self::SchoolExclusions => AgencyKind::School,
            Self::LaEducation | Self::SocialCare => AgencyKind::LocalAuthority,
            Self::Police => AgencyKind::Police,
            Self::Health => AgencyKind::Health,
            Self::YouthJustice => AgencyKind::YouthJustice,
        }
    }

    /// Whether the feed is XML (the CTF) rather than CSV.
    pub fn is_xml(self) -> bool {
        self == Self::SchoolCtf
    }

    /// The handling marker an event gets when its row leaves the optional `handling` column
    /// out or empty: **the one place these defaults are decided** (`docs/feeds.md` lists
    /// them). Social care is restricted, health is health-confidential, police intelligence
    /// is police intelligence, and a youth-justice row whose `detail` mentions MACE is
    /// restricted (work with a child known to the exploitation panel is not for every school
    /// the child attended); everything else is ordinary.
    /// A MACE referral is restricted whoever sends it (police and youth justice may send one
    /// too): that a child is before the exploitation panel is not for every school.
    pub fn default_handling(self, kind: EventKind, detail: Option<&str>) -> Handling {
        match self {
            Self::SocialCare => Handling::Restricted,
            _ if kind == EventKind::MaceReferral => Handling::Restricted,
            Self::Health => Handling::HealthConfidential,
            Self::Police if kind == EventKind::IntelligenceReport => Handling::PoliceIntelligence,
            Self::YouthJustice if detail.is_some_and(mentions_mace) => Handling::Restricted,
            _ => Handling::Ordinary,
        }
    }

    /// Columns any CSV feed may carry beyond [`Self::columns`]; a file without them is read
    /// as before. `handling` is the sender's handling marker for the row's event (see
    /// [`Self::default_handling`] for the marker when it is left out).
    pub const OPTIONAL_COLUMNS: &'static [&'static str] = &["handling"];

    /// Every column this feed may carry beyond [`Self::columns`]: [`Self::OPTIONAL_COLUMNS`]
    /// and the feed's own optional details (a file without them is read as before; the
    /// code lists are in [`crate::feed_codes`], and `docs/feeds.md` says which rows each
    /// belongs to).
    pub fn optional_columns(self) -> &'static [&'static str] {
        match self {
            Self::SchoolRoll => &["handling", "destination", "year_group"],
            Self::SocialCare => &["handling", "referral_reason", "referrer"],
            Self::Police => &[
                "handling",
                "referrer",
                "missing_hours",
                "found_out_of_area",
                "found_at",
                "outcome",
            ],
            Self::YouthJustice => &["handling", "referrer"],
            Self::Health => &["handling", "severity"],
            Self::LaEducation => &[
                "handling",
                "provider",
                "hours_per_week",
                "allocated_school",
                "response",
            ],
            Self::SchoolCtf | Self::SchoolAttendance | Self::SchoolExclusions => {
                Self::OPTIONAL_COLUMNS
            }
        }
    }

    /// The CSV header, in order (none for the XML feed).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::SchoolCtf => &[],
            Self::SchoolRoll => &[
                "record_key",
                "upn",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "type",
                "date",
            ],
            Self::SchoolAttendance => &[
                "record_key",
                "upn",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "period_start",
                "period_end",
                "sessions_possible",
                "sessions_attended",
            ],
            Self::SchoolExclusions => &[
                "record_key",
                "upn",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "category",
                "start_date",
                "sessions",
                "reason",
            ],
            Self::LaEducation => &[
                "record_key",
                "upn",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "type",
                "date",
                "detail",
            ],
            Self::Police => &[
                "record_key",
                "given_name",
                "family_name",
                "alias",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "type",
                "date",
                "offence",
                "grading",
            ],
            Self::SocialCare => &[
                "record_key",
                "nhs_number",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "type",
                "date",
            ],
            Self::Health => &[
                "record_key",
                "nhs_number",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "type",
                "date",
                "reason",
            ],
            Self::YouthJustice => &[
                "record_key",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "postcode",
                "event_key",
                "type",
                "date",
                "detail",
            ],
        }
    }
}

impl std::fmt::Display for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Feed {
    type Err = crate::UnknownCode;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == value)
            .ok_or_else(|| crate::UnknownCode {
                list: "feed",
                value: value.to_owned(),
                expected: Self::ALL
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// Whether `text` mentions MACE (the multi-agency child exploitation panel) as a word.
fn mentions_mace(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|word| word.eq_ignore_ascii_case("mace"))
}

/// DfE suspension and exclusion reason codes (CBDS), with their meaning.
pub const EXCLUSION_REASONS: &[(&str, &str)] = &[
    ("PP", "Physical assault against a pupil"),
    ("PA", "Physical assault against an adult"),
    (
        "VP",
        "Verbal abuse or threatening behaviour against a pupil",
    ),
    (
        "VA",
        "Verbal abuse or threatening behaviour against an adult",
    ),
    (
        "OW",
        "Use or threat of use of an offensive weapon or prohibited item",
    ),
    ("BU", "Bullying"),
    ("RA", "Racist abuse"),
    ("LG", "Abuse against sexual orientation and gender identity"),
    ("DS", "Abuse relating to disability"),
    ("SM", "Sexual misconduct"),
    ("DA", "Drug and alcohol related"),
    ("DM", "Damage to property"),
    ("TH", "Theft"),
    ("DB", "Persistent or general disruptive behaviour"),
    (
        "MT",
        "Inappropriate use of social media or online technology",
    ),
    (
        "PH",
        "Wilful and repeated transgression of protective measures",
    ),
    ("BW", "Brought a weapon or prohibited item into school"),
    ("TB", "Cyber-bullying or threatening behaviour online"),
    ("SB", "Harmful sexual behaviour"),
    ("MB", "Misogynistic behaviour"),
    ("AB", "Misandry behaviour"),
    ("DR", "Drug related"),
    ("AR", "Alcohol related"),
    ("SR", "Smoking related"),
    ("VR", "Vape related"),
    (
        "LD",
        "Persistent disruptive behaviour: low-level disruption",
    ),
    (
        "CB",
        "Persistent disruptive behaviour: challenging behaviour",
    ),
    ("MP", "Use of mobile phone"),
    ("OS", "Misbehaviour outside of school"),
];

/// A set of feed files and the agencies that send them (`manifest.json`, as `harbour synth`
/// writes it and `harbour import --manifest` reads it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub tenant: String,
    pub tenant_name: String,
    pub seed: u64,
    pub children: u64,
    pub agencies: Vec<ManifestAgency>,
    pub feeds: Vec<ManifestFeed>,
}

/// One agency in a manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestAgency {
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
    /// A school's DfE number (`999/2001`), as other feeds name it: the authority's
    /// fair-access rows (`allocated_school`) and other schools' transfer files. Set on the
    /// school when the import creates it (as `harbour agency add --school-number` would).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_number: Option<String>,
}

/// One feed file in a manifest: which agency sends it, which feed it is, where it is
/// (relative to the manifest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestFeed {
    pub agency: String,
    pub feed: Feed,
    pub file: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feed_round_trips_and_starts_with_its_record_key() {
        for feed in Feed::ALL {
            assert_eq!(feed.as_str().parse::<Feed>().unwrap(), *feed);
            if feed.is_xml() {
                continue;
            }
            assert_eq!(feed.columns().first(), Some(&"record_key"));
            assert!(feed.columns().contains(&"event_key"));
        }
        assert_eq!(
            Feed::YouthJustice.default_handling(
                EventKind::YouthJusticeIntervention,
                Some("Seen at the MACE panel")
            ),
            Handling::Restricted
        );
        assert_eq!(
            Feed::YouthJustice
                .default_handling(EventKind::YouthJusticeIntervention, Some("Menace")),
            Handling::Ordinary
        );
        assert_eq!(
            Feed::Police.default_handling(EventKind::MaceReferral, None),
            Handling::Restricted
        );
        for feed in Feed::ALL {
            assert!(feed.optional_columns().starts_with(Feed::OPTIONAL_COLUMNS));
            assert!(
                feed.optional_columns()
                    .iter()
                    .all(|c| !feed.columns().contains(c)),
                "{feed}: an optional column is also required"
            );
        }
        assert!(
            "school_census"
                .parse::<Feed>()
                .unwrap_err()
                .to_string()
                .contains("school_roll")
        );
    }
}
