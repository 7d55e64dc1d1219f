//! What a search for a child can ask for. The search itself goes through the gate (`gate.rs`);
//! the SQL is in `backend/queries.rs`.

use harbour_domain::{NhsNumber, Upn};

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

    /// What the audit records about the search: its kind, never its text.
    pub(crate) fn audit_kind(&self) -> &'static str {
        match self {
            Self::Name(_) => "name",
            Self::Upn(_) => "upn",
            Self::NhsNumber(_) => "nhs_number",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
