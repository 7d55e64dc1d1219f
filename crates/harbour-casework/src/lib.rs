//! The rules of Harbour's casework: registers a council keeps about children (permanently
//! excluded children first; children not in school, fair access, file transfers, MACE and
//! transition plans follow the same shape), as pure code with no I/O.
//!
//! Every workflow here is the same kind of thing: a case about one person, opened from a feed
//! or by hand, whose history is a list of dated facts that is only ever appended to. From the
//! history and the school calendar each workflow works out, for any day, its state, its
//! statutory clocks (due, met or missed), the tasks due and the register's figures. Storage
//! (`harbour-store`) keeps the facts and asks this crate what they mean; the web crate shows
//! the answers. Nothing here reads a clock or a database, so every rule is tested on its own.

pub mod clock;
pub mod exclusions;
pub mod fair_access;
pub mod hours;
pub mod journey;
pub mod lifecycle;
pub mod moments;
pub mod not_in_school;
pub mod placements;
pub mod settings;
pub mod task;

pub use clock::{ClockState, Deadline, Window, WindowState};
pub use hours::Hours;
pub use lifecycle::Lifecycle;
pub use settings::RegisterSettings;
pub use task::{Escalation, Task, TaskKind};
