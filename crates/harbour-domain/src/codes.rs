//! Closed code lists: agency kinds, event kinds, handling markers and staff roles.
//!
//! Each code has a stable snake_case form (stored in the database, used in files and the API)
//! and a plain-English label for pages. Adding a code is one line here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A code that is not on the list it was read against.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {list}; expected one of: {expected}")]
pub struct UnknownCode {
    pub list: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! code_list {
    (
        $(#[$doc:meta])*
        $name:ident, $list:literal {
            $($variant:ident => $code:literal, $label:literal;)+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            /// Every code on the list, in the order written.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stable code, as stored and exchanged.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// Plain English for pages.
            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($code => Ok(Self::$variant),)+
                    _ => Err(UnknownCode {
                        list: $list,
                        value: value.to_owned(),
                        expected: [$($code),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_list! {
    /// What sort of organisation an agency is.
    AgencyKind, "agency kind" {
        LocalAuthority => "local_authority", "Local authority";
        School => "school", "School or college";
        Police => "police", "Police";
        Health => "health", "Health";
        YouthJustice => "youth_justice", "Youth justice service";
    }
}

code_list! {
    /// How carefully an event must be handled; the access policy decides on it.
    Handling, "handling marker" {
        Ordinary => "ordinary", "Ordinary";
        Restricted => "restricted", "Restricted";
        PoliceIntelligence => "police_intelligence", "Police intelligence";
        HealthConfidential => "health_confidential", "Health confidential";
    }
}

code_list! {
    /// A member of staff's role. A user holds one or more.
    Role, "role" {
        SchoolDsl => "school_dsl", "School designated safeguarding lead";
        LaInclusionOfficer => "la_inclusion_officer", "LA inclusion officer";
        LaCmeEheOfficer => "la_cme_ehe_officer", "LA children missing education and EHE officer";
        SocialWorker => "social_worker", "Social worker";
        PoliceMaceCoordinator => "police_mace_coordinator", "Police MACE coordinator";
        PoliceIntelligenceOfficer => "police_intelligence_officer", "Police intelligence officer";
        YouthJusticeWorker => "youth_justice_worker", "Youth justice worker";
        HealthSafeguardingNurse => "health_safeguarding_nurse", "Health safeguarding nurse";
        MaceChair => "mace_chair", "MACE chair";
        PartnershipAnalyst => "partnership_analyst", "Partnership analyst";
        DataProtectionOfficer => "data_protection_officer", "Data-protection officer";
        SystemAdministrator => "system_administrator", "System administrator";
    }
}

code_list! {
    /// What happened, as one agency recorded it.
    EventKind, "event kind" {
        SchoolEnrolment => "school_enrolment", "Joined school roll";
        SchoolLeaving => "school_leaving", "Left school roll";
        AttendanceSummary => "attendance_summary", "Termly attendance";
        Suspension => "suspension", "Suspension";
        PermanentExclusion => "permanent_exclusion", "Permanent exclusion";
        EheRegistration => "ehe_registration", "Elective home education registered";
        EheEnd => "ehe_end", "Elective home education ended";
        CmeStart => "cme_start", "Child missing education";
        CmeEnd => "cme_end", "Child missing education episode closed";
        AlternativeProvision => "alternative_provision", "Alternative provision placement";
        FairAccessPlacement => "fair_access_placement", "Fair-access placement";
        SafeguardingFileTransfer => "safeguarding_file_transfer", "Safeguarding file transferred";
        Caution => "caution", "Police caution";
        Arrest => "arrest", "Arrest";
        Charge => "charge", "Charge";
        MissingEpisode => "missing_episode", "Missing from home";
        VictimOfCrime => "victim_of_crime", "Victim of crime";
        RuiStart => "rui_start", "Released under investigation";
        RuiEnd => "rui_end", "Release under investigation ended";
        StopAndSearch => "stop_and_search", "Stop and search";
        IntelligenceReport => "intelligence_report", "Intelligence report";
        SocialCareContact => "social_care_contact", "Contact to children's social care";
        SocialCareReferral => "social_care_referral", "Referral to children's social care";
        Assessment => "assessment", "Social care assessment";
        ChildInNeedPlan => "child_in_need_plan", "Child in need plan";
        ChildProtectionPlanStart => "child_protection_plan_start", "Child protection plan started";
        ChildProtectionPlanEnd => "child_protection_plan_end", "Child protection plan ended";
        LookedAfterStart => "looked_after_start", "Became looked after";
        LookedAfterEnd => "looked_after_end", "Ceased to be looked after";
        EmergencyAttendance => "emergency_attendance", "Emergency department attendance";
        YouthJusticeOrder => "youth_justice_order", "Youth justice order";
        YouthJusticeIntervention => "youth_justice_intervention", "Youth justice intervention";
        MaceReferral => "mace_referral", "Referral to MACE panel";
        MaceCaseClosed => "mace_case_closed", "MACE case closed";
        TransitionPlan => "transition_plan", "Transition plan to adult services";
        // Not sent by any agency: a statutory clock of one of the council's registers that
        // ran out, put on the timeline the rules read (never stored as an event; see
        // `harbour_casework::moments`).
        RegisterClock => "register_clock", "Register clock missed";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>().unwrap(), *kind);
            assert!(seen.insert(kind.as_str()), "duplicate code {kind}");
            assert!(!kind.label().is_empty());
        }
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        for handling in Handling::ALL {
            assert_eq!(handling.as_str().parse::<Handling>().unwrap(), *handling);
        }
    }

    #[test]
    fn an_unknown_code_says_what_is_allowed() {
        let error = "gang_member".parse::<Role>().unwrap_err();
        assert_eq!(error.value, "gang_member");
        assert!(error.to_string().contains("school_dsl"), "{error}");
    }
}
