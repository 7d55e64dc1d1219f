//! The gate: the only way to read personal data.
//!
//! Each read asks the policy for the viewer's [`Scope`], filters inside the database with it
//! (so nothing the viewer may not see is loaded, counted or timed), and appends the audit
//! entry in the same transaction before returning. If the audit write fails, the read fails.

use harbour_domain::{NhsNumber, Upn};
use harbour_policy::Scope;

/// What a person search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    /// Part of a name, matched in either order ("jordan", "price jor").
    Name(String),
    Upn(Upn),
    NhsNumber(NhsNumber),
}

/// Why a search was refused, for the form's error message.
pub const QUERY_TOO_SHORT: &str = "Enter at least 2 characters of a name, or a UPN or NHS number";
pub const QUERY_TOO_LONG: &str = "Enter 100 characters or fewer";

impl SearchQuery {
    /// Reads what was typed in the search box. A valid UPN or NHS number searches by it;
    /// anything else is a name.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        if text.chars().count() > 100 {
            return Err(QUERY_TOO_LONG);
        }
        if let Ok(upn) = Upn::parse(text) {
            return Ok(Self::Upn(upn));
        }
        if let Ok(nhs) = NhsNumber::parse(text) {
            return Ok(Self::NhsNumber(nhs));
        }
        let name = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if name.chars().count() < 2 {
            return Err(QUERY_TOO_SHORT);
        }
        Ok(Self::Name(name))
    }

    /// A SQL condition over `sr` using `$3`, and the value to bind to it.
    pub(crate) fn matcher(&self) -> (&'static str, String) {
        match self {
            Self::Name(name) => {
                let escaped = name
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                (
                    "lower(sr.given_name || ' ' || sr.family_name) LIKE $3 ESCAPE '\\' \
                     OR lower(sr.family_name || ' ' || sr.given_name) LIKE $3 ESCAPE '\\'",
                    format!("%{escaped}%"),
                )
            }
            Self::Upn(upn) => ("sr.upn = $3", upn.as_str().to_owned()),
            Self::NhsNumber(nhs) => ("sr.nhs_number = $3", nhs.as_str().to_owned()),
        }
    }

    /// What the audit records about the search: its kind, never its text.
    pub(crate) fn audit_kind(&self) -> &'static str {
        match self {
            Self::Name(_) => "name",
            Self::Upn(_) => "upn",
            Self::NhsNumber(_) => "nhs_number",
        }
    }
}

/// The viewer's scope as a SQL condition over the events table `e`, with the viewer's
/// agency bound as `$2`. Handling codes come from a closed enum, never from input, so
/// writing them into the SQL text is safe.
pub(crate) fn scope_sql(scope: &Scope) -> String {
    fn list(set: &std::collections::BTreeSet<harbour_domain::Handling>) -> String {
        set.iter()
            .map(|h| format!("'{}'", h.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    let mut parts = Vec::new();
    if !scope.any_agency_handling.is_empty() {
        parts.push(format!(
            "e.handling IN ({})",
            list(&scope.any_agency_handling)
        ));
    }
    if !scope.own_agency_handling.is_empty() {
        parts.push(format!(
            "(e.agency_id = $2 AND e.handling IN ({}))",
            list(&scope.own_agency_handling)
        ));
    }
    if parts.is_empty() {
        "1 = 0".to_owned()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harbour_domain::{AgencyId, Handling};

    #[test]
    fn search_text_is_read_as_identifier_or_name() {
        assert!(matches!(
            SearchQuery::parse(" R201100018042 "),
            Ok(SearchQuery::Upn(_))
        ));
        assert!(matches!(
            SearchQuery::parse("943 476 5919"),
            Ok(SearchQuery::NhsNumber(_))
        ));
        assert_eq!(
            SearchQuery::parse("  Jordan   PRICE "),
            Ok(SearchQuery::Name("jordan price".into()))
        );
        assert_eq!(SearchQuery::parse("j"), Err(QUERY_TOO_SHORT));
        assert_eq!(SearchQuery::parse(&"a".repeat(101)), Err(QUERY_TOO_LONG));
    }

    #[test]
    fn like_wildcards_in_names_are_literal() {
        let (_, value) = SearchQuery::parse("100%_o'neil").unwrap().matcher();
        assert_eq!(value, "%100\\%\\_o'neil%");
    }

    #[test]
    fn an_empty_scope_matches_nothing() {
        let scope = Scope {
            own_agency: AgencyId::new_v7(),
            own_agency_handling: Default::default(),
            any_agency_handling: Default::default(),
        };
        assert_eq!(scope_sql(&scope), "1 = 0");
        let scope = Scope {
            own_agency_handling: [Handling::Restricted].into(),
            any_agency_handling: [Handling::Ordinary].into(),
            ..scope
        };
        assert_eq!(
            scope_sql(&scope),
            "(e.handling IN ('ordinary') OR (e.agency_id = $2 AND e.handling IN ('restricted')))"
        );
    }
}
