use super::*;
use harbour_domain::{AgencyId, Handling, Role, TenantCode, UserId};

fn principal(agency: AgencyId, roles: &[Role]) -> Principal {
    Principal {
        user: UserId::new_v7(),
        tenant: TenantCode::parse("845").unwrap(),
        agency,
        roles: roles.iter().copied().collect(),
    }
}

fn facts(supplier: AgencyId, handling: Handling, known: bool) -> EventFacts {
    EventFacts {
        supplier,
        handling,
        known_to_viewer_agency: known,
        break_glass: false,
    }
}

#[test]
fn the_shipped_policy_loads() {
    let policy = Policy::default_policy().unwrap();
    assert!(policy.rules().len() >= 6);
    assert_eq!(policy.break_glass().minutes, 60);
}

#[test]
fn police_intelligence_stays_with_police_roles() {
    let policy = Policy::default_policy().unwrap();
    let police = AgencyId::new_v7();
    let school = AgencyId::new_v7();
    let intel = facts(police, Handling::PoliceIntelligence, true);
    assert!(
        policy
            .decide(
                &principal(police, &[Role::PoliceIntelligenceOfficer]),
                intel
            )
            .is_allowed()
    );
    assert_eq!(
        policy.decide(&principal(school, &[Role::SchoolDsl]), intel),
        Decision::Deny
    );
    assert_eq!(
        policy.decide(&principal(school, &[Role::SocialWorker]), intel),
        Decision::Deny
    );
    // Emergency access never opens it.
    let glass = EventFacts {
        break_glass: true,
        ..intel
    };
    assert_eq!(
        policy.decide(&principal(school, &[Role::SchoolDsl]), glass),
        Decision::Deny
    );
}

#[test]
fn a_school_sees_partners_ordinary_events_only_for_children_it_knows() {
    let policy = Policy::default_policy().unwrap();
    let school = AgencyId::new_v7();
    let police = AgencyId::new_v7();
    let dsl = principal(school, &[Role::SchoolDsl]);
    let allowed = policy.decide(&dsl, facts(police, Handling::Ordinary, true));
    assert!(
        matches!(&allowed, Decision::Allow { rule, lawful_basis } if rule == "partner-ordinary-own-children" && lawful_basis.contains("Keeping Children Safe"))
    );
    assert_eq!(
        policy.decide(&dsl, facts(police, Handling::Ordinary, false)),
        Decision::Deny
    );
    let glass = EventFacts {
        break_glass: true,
        ..facts(police, Handling::Ordinary, false)
    };
    assert!(
        matches!(policy.decide(&dsl, glass), Decision::Allow { rule, .. } if rule == BREAK_GLASS_RULE)
    );
}

#[test]
fn roles_without_a_rule_see_nothing_and_cannot_break_glass() {
    let policy = Policy::default_policy().unwrap();
    let agency = AgencyId::new_v7();
    for role in [
        Role::SystemAdministrator,
        Role::DataProtectionOfficer,
        Role::PartnershipAnalyst,
    ] {
        let who = principal(agency, &[role]);
        assert!(policy.scope(&who).is_empty(), "{role} has a scope");
        assert!(!policy.may_break_glass(&who));
        for handling in Handling::ALL {
            for known in [true, false] {
                let event = EventFacts {
                    supplier: agency,
                    handling: *handling,
                    known_to_viewer_agency: known,
                    break_glass: true,
                };
                assert_eq!(
                    policy.decide(&who, event),
                    Decision::Deny,
                    "{role} {handling}"
                );
            }
        }
    }
}

#[test]
fn functions_and_second_factor_follow_the_file() {
    let policy = Policy::default_policy().unwrap();
    let agency = AgencyId::new_v7();
    assert!(policy.allows_function(
        &principal(agency, &[Role::DataProtectionOfficer]),
        Function::AuditReview
    ));
    assert!(!policy.allows_function(
        &principal(agency, &[Role::SystemAdministrator]),
        Function::AuditReview
    ));
    assert!(policy.requires_second_factor(&[Role::PoliceIntelligenceOfficer].into()));
    assert!(!policy.requires_second_factor(&[Role::SchoolDsl].into()));
}

/// The scope a list query uses must agree with the single decision, for every role, marker,
/// supplier, relationship and emergency grant; otherwise a search could show what a page
/// would refuse.
#[test]
fn scope_and_decide_agree_everywhere() {
    let policy = Policy::default_policy().unwrap();
    let own = AgencyId::new_v7();
    let other = AgencyId::new_v7();
    let mut cells = 0;
    for role in Role::ALL {
        let who = principal(own, &[*role]);
        let scope = policy.scope(&who);
        for handling in Handling::ALL {
            for supplier in [own, other] {
                for known in [true, false] {
                    for break_glass in [true, false] {
                        let event = EventFacts {
                            supplier,
                            handling: *handling,
                            known_to_viewer_agency: known,
                            break_glass,
                        };
                        assert_eq!(
                            scope.admits(event),
                            policy.decide(&who, event).is_allowed(),
                            "{role} {event:?}"
                        );
                        cells += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cells, Role::ALL.len() * Handling::ALL.len() * 8);
}

const MINIMAL_TAIL: &str = r#"
[break_glass]
roles = ["social_worker"]
handling = ["ordinary"]
minutes = 60
min_reason_length = 20
lawful_basis = "x"

[second_factor]
required_for = []
"#;

fn with_tail(rules: &str) -> String {
    format!("version = 2\n{rules}\n{MINIMAL_TAIL}")
}

#[test]
fn bad_policy_files_are_refused_with_the_reason() {
    let unknown_role = with_tail(
        r#"[[rule]]
id = "x"
description = "x"
roles = ["caretaker"]
handling = ["ordinary"]
supplier = "any_agency"
relationship = "any"
lawful_basis = "x""#,
    );
    let error = Policy::parse(&unknown_role).unwrap_err().to_string();
    assert!(
        error.contains("caretaker") && error.contains("line 5"),
        "{error}"
    );

    let rule = |id: &str| {
        format!(
            "[[rule]]\nid = \"{id}\"\ndescription = \"d\"\nroles = [\"social_worker\"]\nhandling = [\"ordinary\"]\nsupplier = \"any_agency\"\nrelationship = \"any\"\nlawful_basis = \"b\"\n"
        )
    };
    let duplicate = with_tail(&format!("{}{}", rule("x"), rule("x")));
    assert!(matches!(Policy::parse(&duplicate), Err(PolicyError::DuplicateId(id)) if id == "x"));
    assert!(matches!(
        Policy::parse("version = 1"),
        Err(PolicyError::Version(1))
    ));
    let no_basis = with_tail(&rule("y").replace("lawful_basis = \"b\"", "lawful_basis = \" \""));
    assert!(matches!(
        Policy::parse(&no_basis),
        Err(PolicyError::NoLawfulBasis(_))
    ));
    let misspelt = with_tail(&rule("z").replace("relationship", "relation"));
    assert!(
        Policy::parse(&misspelt)
            .unwrap_err()
            .to_string()
            .contains("relation")
    );

    let wide_glass = with_tail("").replace(
        "handling = [\"ordinary\"]",
        "handling = [\"police_intelligence\"]",
    );
    assert!(matches!(
        Policy::parse(&wide_glass),
        Err(PolicyError::BreakGlassTooWide(Handling::PoliceIntelligence))
    ));

    let intel_without_2fa =
        with_tail(&rule("i").replace("[\"ordinary\"]", "[\"police_intelligence\"]"));
    assert!(matches!(
        Policy::parse(&intel_without_2fa),
        Err(PolicyError::SecondFactorMissing(Role::SocialWorker))
    ));
}

#[test]
fn registers_open_to_their_keepers_and_to_the_agency_they_name() {
    let policy = Policy::default_policy().unwrap();
    let school = AgencyId::new_v7();
    let keeper = principal(school, &[Role::LaInclusionOfficer]);
    let dsl = principal(school, &[Role::SchoolDsl]);
    let police = principal(school, &[Role::PoliceMaceCoordinator]);
    let register = Register::Exclusions;
    assert_eq!(
        policy.register_access(&keeper, register),
        Some(RegisterAccess::Keep)
    );
    assert_eq!(
        policy.register_access(&dsl, register),
        Some(RegisterAccess::OwnAgency)
    );
    assert_eq!(policy.register_access(&police, register), None);
    assert!(policy.register_lawful_basis(register).is_some());

    // Children not in school: the CME/EHE officer keeps both; a school sees the missing
    // education episodes naming it, and no home education; the inclusion officer neither.
    let cme_ehe = principal(school, &[Role::LaCmeEheOfficer]);
    for register in [Register::HomeEducation, Register::MissingEducation] {
        assert_eq!(
            policy.register_access(&cme_ehe, register),
            Some(RegisterAccess::Keep)
        );
        assert_eq!(policy.register_access(&police, register), None);
        assert_eq!(policy.register_access(&keeper, register), None);
        assert!(policy.register_lawful_basis(register).is_some());
    }
    assert_eq!(
        policy.register_access(&dsl, Register::MissingEducation),
        Some(RegisterAccess::OwnAgency)
    );
    assert_eq!(policy.register_access(&dsl, Register::HomeEducation), None);
    assert_eq!(policy.register_access(&cme_ehe, Register::Exclusions), None);

    // A file that lists no registers opens none.
    let bare = Policy::parse(&with_tail("")).unwrap();
    assert_eq!(bare.register_access(&keeper, register), None);
    let no_basis = with_tail("").replace(
        "[second_factor]",
        "[registers.exclusions]\nkeep = [\"la_inclusion_officer\"]\nlawful_basis = \"\"\n\n[second_factor]",
    );
    assert!(matches!(
        Policy::parse(&no_basis),
        Err(PolicyError::RegisterNoLawfulBasis("exclusions"))
    ));
    let unknown = with_tail("").replace(
        "[second_factor]",
        "[registers.detentions]\nkeep = [\"la_inclusion_officer\"]\nlawful_basis = \"b\"\n\n[second_factor]",
    );
    assert!(
        Policy::parse(&unknown)
            .unwrap_err()
            .to_string()
            .contains("detentions")
    );
}
