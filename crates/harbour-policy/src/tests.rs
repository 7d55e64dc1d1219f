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

#[test]
fn the_shipped_policy_loads() {
    let policy = Policy::default_policy().unwrap();
    assert!(policy.rules().len() >= 4);
}

#[test]
fn police_intelligence_stays_with_police_roles() {
    let policy = Policy::default_policy().unwrap();
    let police = AgencyId::new_v7();
    let school = AgencyId::new_v7();
    let intel = EventFacts {
        supplier: police,
        handling: Handling::PoliceIntelligence,
    };
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
}

#[test]
fn own_agency_sees_its_own_records_whatever_the_marker() {
    let policy = Policy::default_policy().unwrap();
    let school = AgencyId::new_v7();
    let dsl = principal(school, &[Role::SchoolDsl]);
    let own = EventFacts {
        supplier: school,
        handling: Handling::Restricted,
    };
    let other = EventFacts {
        supplier: AgencyId::new_v7(),
        handling: Handling::Restricted,
    };
    assert_eq!(
        policy.decide(&dsl, own),
        Decision::Allow {
            rule: "own-agency-records".into()
        }
    );
    assert_eq!(policy.decide(&dsl, other), Decision::Deny);
}

#[test]
fn roles_without_a_rule_see_nothing() {
    let policy = Policy::default_policy().unwrap();
    let agency = AgencyId::new_v7();
    for role in [
        Role::SystemAdministrator,
        Role::DataProtectionOfficer,
        Role::PartnershipAnalyst,
    ] {
        let who = principal(agency, &[role]);
        assert!(policy.scope(&who).is_empty(), "{role} has a scope");
        for handling in Handling::ALL {
            let event = EventFacts {
                supplier: agency,
                handling: *handling,
            };
            assert_eq!(
                policy.decide(&who, event),
                Decision::Deny,
                "{role} {handling}"
            );
        }
    }
}

/// The scope a list query uses must agree with the single decision, for every role, marker
/// and supplier; otherwise a search could show what a page would refuse.
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
                let event = EventFacts {
                    supplier,
                    handling: *handling,
                };
                assert_eq!(
                    scope.admits(event),
                    policy.decide(&who, event).is_allowed(),
                    "{role} {handling} own={}",
                    supplier == own
                );
                cells += 1;
            }
        }
    }
    assert_eq!(cells, Role::ALL.len() * Handling::ALL.len() * 2);
}

#[test]
fn bad_policy_files_are_refused_with_the_reason() {
    let unknown_role = r#"
version = 1
[[rule]]
id = "x"
description = "x"
roles = ["caretaker"]
handling = ["ordinary"]
supplier = "any_agency"
"#;
    let error = Policy::parse(unknown_role).unwrap_err().to_string();
    assert!(error.contains("caretaker"), "{error}");
    assert!(error.contains("line 6"), "{error}");

    let duplicate = r#"
version = 1
[[rule]]
id = "x"
description = "x"
roles = ["social_worker"]
handling = ["ordinary"]
supplier = "any_agency"
[[rule]]
id = "x"
description = "y"
roles = ["social_worker"]
handling = ["ordinary"]
supplier = "own_agency"
"#;
    assert!(matches!(Policy::parse(duplicate), Err(PolicyError::DuplicateId(id)) if id == "x"));
    assert!(matches!(
        Policy::parse("version = 2"),
        Err(PolicyError::Version(2))
    ));
    assert!(matches!(
        Policy::parse(
            "version = 1\n[[rule]]\nid='a'\ndescription='a'\nroles=[]\nhandling=['ordinary']\nsupplier='any_agency'"
        ),
        Err(PolicyError::Empty(_))
    ));
}
