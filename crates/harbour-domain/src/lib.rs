//! Harbour's shared vocabulary.
//!
//! Everything here is plain data with no I/O. Identifiers are "parse, don't validate" types:
//! an [`Upn`], [`NhsNumber`] or [`Postcode`] can only hold a value that passed its check, so
//! code further in never re-checks and never forgets to.

mod clock;
mod codes;
pub mod feed_codes;
pub mod feeds;
mod ids;
mod london;
mod nhs_number;
mod postcode;
mod school_number;
mod upn;

pub use clock::{Clock, FixedClock, SystemClock};
pub use codes::{AgencyKind, EventKind, Handling, Role, UnknownCode};
pub use ids::{AgencyId, EventId, IngestJobId, PersonId, SourceRecordId, TenantCode, UserId};
pub use london::{london, london_today};
pub use nhs_number::{NhsNumber, NhsNumberError};
pub use postcode::{Postcode, PostcodeError};
pub use school_number::{SchoolNumber, SchoolNumberError};
pub use upn::{Upn, UpnError};
