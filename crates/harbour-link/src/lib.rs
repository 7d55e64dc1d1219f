//! Record linkage for Harbour: deciding which agencies' records are the same child.
//!
//! Pure: plain values in, plain values out, no database. This first part holds the building
//! blocks of a Fellegi–Sunter model: how names are normalised ([`normalise`]), which given
//! names are the same name ([`nicknames`]), and the comparison levels each field can reach
//! ([`compare`]). Estimating m and u probabilities, blocking, scoring and clustering build on
//! these.

pub mod blocking;
pub mod compare;
pub mod model;
pub mod nicknames;
pub mod normalise;
