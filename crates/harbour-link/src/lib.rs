//! Record linkage for Harbour: which agencies' records describe the same child.
//!
//! Pure: plain records in, scored pairs and clusters out, no database. The steps, each in its
//! own module: [`record`] prepares each record once; [`blocking`] chooses which pairs to
//! compare; [`bound`] rules out, before their names are compared, pairs that cannot matter;
//! [`compare`] gives each field of a pair a level; [`model`] learns how much each
//! level says (Fellegi–Sunter, u from random pairs, m by EM); [`score`] weighs a pair and
//! explains the weight; [`twins`] learns how far to distrust a pair that agrees on everything
//! a family shares but the given name; [`cluster`] groups linked pairs into persons without chaining twins;
//! [`linkage`] runs the lot in parallel; [`incremental`] places new records among people
//! already linked; [`evaluate`] scores a result against the truth.

pub mod blocking;
pub mod bound;
pub mod cluster;
pub mod compare;
pub mod evaluate;
pub mod incremental;
pub mod linkage;
pub mod model;
pub mod nicknames;
pub mod normalise;
pub mod record;
pub mod score;
pub mod twins;

pub use linkage::{Decision, Linkage, ScoredPair, Settings, link};
pub use record::{Prepared, Record};
