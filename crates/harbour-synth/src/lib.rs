//! Fictional data for Harbour. Nothing here is, or is drawn from, a real person.
//!
//! [`demo`] is the small hand-written county `harbour demo` serves: a local authority, two
//! schools, a pupil referral unit, police, health and youth justice, one demo account per
//! role, and a handful of children whose timelines cross agencies, one of them following the
//! pattern of the Child AA review. [`county`] generates a whole synthetic county of agency
//! feeds, with a ground-truth file for scoring.

pub mod county;
pub mod demo;
