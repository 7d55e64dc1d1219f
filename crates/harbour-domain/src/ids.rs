//! Typed identifiers, so a person id can never be passed where an agency id is wanted.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A person: the single view that linkage builds from agencies' source records.
    PersonId
);
uuid_id!(
    /// One agency's own record of a person (a school's pupil record, a police nominal…).
    SourceRecordId
);
uuid_id!(
    /// One event on a child's timeline, as one agency supplied it.
    EventId
);
uuid_id!(
    /// A partner agency (a school, the police force, the local authority…).
    AgencyId
);
uuid_id!(
    /// A member of staff who signs in.
    UserId
);
uuid_id!(
    /// One job of the ingest queue: the linking and rules still to run after a feed is stored.
    IngestJobId
);

/// A tenant: one local authority area, named by its three-digit DfE LA code (e.g. `845`).
///
/// Every row of personal data carries it, first in every key, so that a region can later be
/// partitioned or distributed by local authority without re-keying.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantCode(String);

impl TenantCode {
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(format!(
                "a local-authority code is three digits (e.g. 845), not {code:?}"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TenantCode> for String {
    fn from(value: TenantCode) -> Self {
        value.0
    }
}

impl fmt::Display for TenantCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_codes_are_three_digits() {
        assert_eq!(TenantCode::parse(" 845 ").unwrap().as_str(), "845");
        for bad in ["", "84", "8450", "84a", "８４５"] {
            assert!(TenantCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ids_round_trip_through_text() {
        let id = PersonId::new_v7();
        assert_eq!(id.to_string().parse::<PersonId>().unwrap(), id);
        assert!("not-a-uuid".parse::<PersonId>().is_err());
    }
}
