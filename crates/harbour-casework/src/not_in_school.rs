//! The children not in school register: elective home education (EHE) and children missing
//! education (CME), for the council's CME and EHE officers. Child AA was home educated after
//! his permanent exclusion and twice missing education: the times he was most exposed.
//!
//! Both are cases in the same shape as [`crate::exclusions`]: a first day and an appended
//! list of facts, checked by `check` and read by `assess`. The law, from
//! `../shared/reference/domain-standards.md` sections 4.6 and 5:
//! - **EHE registration** holds the s.436C(1) content (parents, who educates, estimated hours
//!   by parents and by others, other providers). The authority asks for information at least
//!   every 12 months and not more often than every 3, may ask for a home visit within 15 days
//!   of registration, and records whether the education appears suitable.
//! - **Consent (s.434A)**: a registered pupil at a special school placed by the authority, or
//!   a child under s.47 enquiries or a child protection plan, may not be withdrawn for home
//!   education without the authority's consent. Such a registration stays flagged until the
//!   authority records its decision.
//! - **CME**: an episode is traced step by step (family, home visit, health, school-to-school
//!   search, neighbouring authorities, police, the Home Office where relevant), escalates when
//!   the child is not traced within 20 school days (configurable), and closes with where the
//!   child was found.

use crate::clock::Deadline;
use crate::hours::Hours;
use crate::lifecycle::Lifecycle;
use crate::task::{Task, TaskKind};
use harbour_rules::calendar::Calendar;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

/// What a council may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// School days to trace a missing child before escalation (20 by default).
    pub trace_within_school_days: u32,
    /// Days after registration within which a home visit may be asked for (15).
    pub home_visit_within: Duration,
    /// The longest gap between information requests (12 months, taken as 365 days).
    pub request_at_least_every: Duration,
    /// The shortest gap between information requests (3 months, taken as 91 days).
    pub request_at_most_every: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            trace_within_school_days: 20,
            home_visit_within: Duration::days(15),
            request_at_least_every: Duration::days(365),
            request_at_most_every: Duration::days(91),
        }
    }
}

pub use crate::exclusions::Refusal;

fn refuse(field: &'static str, message: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        field,
        message: message.into(),
    })
}

fn not_future(field: &'static str, day: Date, today: Date, what: &str) -> Result<(), Refusal> {
    if day > today {
        refuse(field, format!("{what} cannot be in the future"))
    } else {
        Ok(())
    }
}

fn not_before(
    field: &'static str,
    day: Date,
    first: Date,
    what: &str,
    since: &str,
) -> Result<(), Refusal> {
    if day < first {
        refuse(
            field,
            format!("{what} must be on or after {since} ({first})"),
        )
    } else {
        Ok(())
    }
}

fn required(field: &'static str, text: &str, message: &str) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        refuse(field, message)
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Elective home education
// ---------------------------------------------------------------------------------------

/// Why the authority's consent is needed before a child is home educated (s.434A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentCondition {
    /// Condition A: placed by the authority at a special school.
    SpecialSchool,
    /// Condition B: s.47 enquiries under way, or a child protection plan.
    ChildProtection,
}

/// What the timeline shows about the child when the registration is made, which decides
/// whether consent is needed. Worked out by the caller from the person's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChildCircumstances {
    pub at_special_school: bool,
    pub under_child_protection: bool,
}

impl ChildCircumstances {
    pub fn consent_condition(self) -> Option<ConsentCondition> {
        if self.at_special_school {
            Some(ConsentCondition::SpecialSchool)
        } else if self.under_child_protection {
            Some(ConsentCondition::ChildProtection)
        } else {
            None
        }
    }
}

/// What a child's timeline says that bears on s.434A consent, as the store reads it from the
/// child's events (a school is named by any stable number, e.g. its agency id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Joined the roll of a special school.
    JoinedSpecialSchool(u128),
    /// Left the roll of a special school.
    LeftSpecialSchool(u128),
    ChildProtectionPlanStarted,
    ChildProtectionPlanEnded,
}

impl ChildCircumstances {
    /// Where the child stood on `day` (the registration's first day), from `marks` in any
    /// order. A leaving or a plan's end dated `day` itself still counts as on roll or under
    /// the plan that day: a child withdrawn from a special school to home education leaves
    /// its roll on the day home education starts, and that is the withdrawal s.434A is about.
    /// (No feed sends s.47 enquiries yet: when one does, they join the plan's marks.)
    pub fn on(day: Date, marks: &[(Date, Mark)]) -> Self {
        let mut marks: Vec<(Date, Mark)> =
            marks.iter().copied().filter(|(on, _)| *on <= day).collect();
        marks.sort_by_key(|(on, _)| *on);
        let mut schools: Vec<u128> = Vec::new();
        let mut plan = false;
        for (on, mark) in marks {
            let ended_before = on < day;
            match mark {
                Mark::JoinedSpecialSchool(school) => {
                    if !schools.contains(&school) {
                        schools.push(school);
                    }
                }
                Mark::LeftSpecialSchool(school) if ended_before => {
                    schools.retain(|s| *s != school);
                }
                Mark::ChildProtectionPlanStarted => plan = true,
                Mark::ChildProtectionPlanEnded if ended_before => plan = false,
                Mark::LeftSpecialSchool(_) | Mark::ChildProtectionPlanEnded => {}
            }
        }
        Self {
            at_special_school: !schools.is_empty(),
            under_child_protection: plan,
        }
    }

    /// Whether a registration may be opened by hand for this child: where s.434A applies, the
    /// authority's consent decision must be recorded with it (`consent_decided`). A feed's
    /// registration is a fact and opens regardless, flagged until the decision is recorded.
    pub fn check_opening(self, consent_decided: bool) -> Result<(), Refusal> {
        match self.consent_condition() {
            Some(condition) if !consent_decided => refuse(
                "consent",
                format!(
                    "This child {}: record the authority's consent decision (s.434A) to register home education",
                    condition.reason()
                ),
            ),
            _ => Ok(()),
        }
    }
}

impl ConsentCondition {
    /// Why consent is needed, in words that end "This child ...".
    pub fn reason(self) -> &'static str {
        match self {
            Self::SpecialSchool => "is on the roll of a special school",
            Self::ChildProtection => "is subject to a child protection plan or s.47 enquiries",
        }
    }
}

/// Whether a school's deletion of a child from its roll opens a missing-education episode:
/// only when the school says it does not know where the child went. A leaving without a
/// destination says nothing either way (most school systems do not send one).
pub fn leaving_opens_episode(destination: Option<&str>) -> bool {
    destination == Some("not_known")
}

/// Whether two reports of a child missing education, first days `a` and `b`, are the same
/// spell (the school's deletion and the authority's own record of it): within 30 days.
pub fn same_spell(a: Date, b: Date) -> bool {
    (a - b).whole_days().abs() <= 30
}

/// Another person or organisation educating the child (s.436C(1)(f)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    pub address: String,
    pub kind: String,
    pub hours: Hours,
}

/// The s.436C(1) content of a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Each parent's name and home address.
    pub parents: Vec<(String, String)>,
    /// The names of the parents who provide education.
    pub educating_parents: Vec<String>,
    pub hours_by_parents: Hours,
    pub hours_by_others: Hours,
    pub providers: Vec<Provider>,
    /// What s.436C(2) lets the register also hold, when the authority knows it.
    #[serde(default, skip_serializing_if = "OptionalContent::is_empty")]
    pub optional: OptionalContent,
}

/// The optional content of s.436C(2) that Harbour keeps: the child's special educational
/// needs and what children's social care is doing. Protected characteristics, which the
/// section also allows, are not kept: no clock, task or figure here needs them, and a
/// register of children out of school is no place to gather them (UK GDPR Art. 5(1)(c)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionalContent {
    /// `None` when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sen: Option<SenProvision>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub social_care: Vec<SocialCare>,
}

impl OptionalContent {
    pub fn is_empty(&self) -> bool {
        self.sen.is_none() && self.social_care.is_empty()
    }

    /// Whether it says the child is under a s.47 enquiry or a child protection plan: a
    /// s.434A condition, whatever the timeline shows.
    pub fn under_child_protection(&self) -> bool {
        self.social_care.iter().any(|s| {
            matches!(
                s,
                SocialCare::Section47Enquiry | SocialCare::ChildProtectionPlan
            )
        })
    }
}

/// The child's special educational needs, as the SEN code of practice names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenProvision {
    NoSen,
    SenSupport,
    EhcPlan,
}

impl SenProvision {
    pub const ALL: [Self; 3] = [Self::NoSen, Self::SenSupport, Self::EhcPlan];

    pub fn code(self) -> &'static str {
        match self {
            Self::NoSen => "no_sen",
            Self::SenSupport => "sen_support",
            Self::EhcPlan => "ehc_plan",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NoSen => "No special educational needs",
            Self::SenSupport => "SEN support",
            Self::EhcPlan => "Education, health and care plan",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What children's social care is doing for the child (s.436C(2)'s child protection
/// information).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialCare {
    ChildInNeed,
    Section47Enquiry,
    ChildProtectionPlan,
    LookedAfter,
}

impl SocialCare {
    pub const ALL: [Self; 4] = [
        Self::ChildInNeed,
        Self::Section47Enquiry,
        Self::ChildProtectionPlan,
        Self::LookedAfter,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ChildInNeed => "child_in_need",
            Self::Section47Enquiry => "section_47_enquiry",
            Self::ChildProtectionPlan => "child_protection_plan",
            Self::LookedAfter => "looked_after",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ChildInNeed => "Child in need",
            Self::Section47Enquiry => "Section 47 enquiry under way",
            Self::ChildProtectionPlan => "Child protection plan",
            Self::LookedAfter => "Looked after by the authority",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The authority's view of whether the education is suitable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suitability {
    Suitable,
    /// Not shown to be suitable: the s.437 notice (at least 15 days) and a school attendance
    /// order may follow.
    NotSuitable,
}

/// Why a home-education case closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum EheClosure {
    ReturnedToSchool {
        school: String,
    },
    MovedAway {
        authority: String,
        told_on: Date,
    },
    LeftCompulsoryEducation,
    /// The education was not suitable and the child is now missing education.
    BecameMissingEducation,
    /// The authority's own records ended it: the `ehe_end` its education feed sent (the
    /// event's key), recorded by Harbour.
    EndedInFeed {
        event: String,
    },
}

/// Something recorded on a home-education case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum EheFact {
    /// The registration's content, first given or later updated.
    Registered(Registration),
    /// What the child's records showed for the registration's first day that bears on
    /// s.434A consent, as Harbour found it in the feeds: recorded when the entry is opened,
    /// and again whenever a later feed changes it (an event dated before the registration
    /// can arrive after it). Harbour's own record; the latest one counts.
    CircumstancesFound(ChildCircumstances),
    /// The authority's consent decision where s.434A applies.
    ConsentDecision {
        on: Date,
        granted: bool,
    },
    InformationRequested {
        on: Date,
    },
    InformationReceived {
        on: Date,
    },
    HomeVisitRequested {
        on: Date,
    },
    SuitabilityOutcome {
        on: Date,
        outcome: Suitability,
    },
    Closed {
        on: Date,
        closure: EheClosure,
    },
    Reopened {
        on: Date,
        why: String,
    },
}

impl EheFact {
    /// What recording it does to whether the registration is open.
    pub fn lifecycle(&self) -> Lifecycle {
        match self {
            Self::Closed { .. } => Lifecycle::Closes,
            Self::Reopened { .. } => Lifecycle::Reopens,
            _ => Lifecycle::Leaves,
        }
    }
}

/// A home-education case: registered on `first_day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EheCase {
    pub first_day: Date,
    /// What the timeline shows on the first day, for a case with no
    /// [`EheFact::CircumstancesFound`] (one opened before Harbour recorded them); the latest
    /// such fact counts instead where there is one.
    pub circumstances: ChildCircumstances,
    pub facts: Vec<EheFact>,
}

/// Where a home-education case stands on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EheAssessment {
    pub open: bool,
    pub consent_needed: Option<ConsentCondition>,
    /// `Some(granted)` once decided.
    pub consent: Option<bool>,
    /// Consent is needed and has not been granted: the case is flagged.
    pub without_consent: bool,
    pub home_visit: Deadline,
    pub last_request: Option<Date>,
    /// The latest day the next information request should be made.
    pub next_request_due: Option<Date>,
    /// The earliest day the next request may be made.
    pub next_request_allowed: Option<Date>,
    pub suitability: Option<Suitability>,
    pub tasks: Vec<Task>,
}

impl EheCase {
    /// The child's circumstances for s.434A: the timeline's, and a s.47 enquiry or child
    /// protection plan the latest registration details record (an officer may know of one
    /// before children's social care's feed shows it).
    fn circumstances(&self) -> ChildCircumstances {
        let recorded = self.facts.iter().rev().find_map(|f| match f {
            EheFact::Registered(r) => Some(r.optional.under_child_protection()),
            _ => None,
        });
        let found = self.found().unwrap_or(self.circumstances);
        ChildCircumstances {
            under_child_protection: found.under_child_protection || recorded == Some(true),
            ..found
        }
    }

    /// The latest circumstances Harbour recorded finding, if it has recorded any.
    pub fn found(&self) -> Option<ChildCircumstances> {
        self.facts.iter().rev().find_map(|f| match f {
            EheFact::CircumstancesFound(c) => Some(*c),
            _ => None,
        })
    }

    fn is_closed(&self) -> bool {
        self.facts.iter().rev().find_map(|f| match f {
            EheFact::Closed { .. } => Some(true),
            EheFact::Reopened { .. } => Some(false),
            _ => None,
        }) == Some(true)
    }

    fn last_request(&self) -> Option<Date> {
        self.facts
            .iter()
            .filter_map(|f| match f {
                EheFact::InformationRequested { on } => Some(*on),
                _ => None,
            })
            .max()
    }

    pub fn check(&self, fact: &EheFact, settings: &Settings, today: Date) -> Result<(), Refusal> {
        let closed = self.is_closed();
        match fact {
            // What the records show is kept up to date on a closed case too: its history
            // should say what was known.
            EheFact::CircumstancesFound(_) => return Ok(()),
            EheFact::Reopened { .. } if !closed => return refuse("why", "This case is open"),
            EheFact::Reopened { .. } => {}
            _ if closed => {
                return refuse(
                    "case",
                    "This case is closed: reopen it before recording anything else",
                );
            }
            _ => {}
        }
        let first = self.first_day;
        let since = "registration";
        match fact {
            EheFact::Registered(r) => {
                let decided = self
                    .facts
                    .iter()
                    .any(|f| matches!(f, EheFact::ConsentDecision { .. }));
                // What the child's records already show gates the registration. A plan this
                // registration itself records is not refused (the consent decision could not
                // be recorded before it): it flags the case, with its consent task, as a
                // feed's registration is flagged. The store applies it as a gate when a
                // registration is added by hand with its consent decision in one form.
                self.circumstances().check_opening(decided)?;
                if r.parents.is_empty() {
                    return refuse("parents", "Enter at least one parent's name and address");
                }
                for (name, address) in &r.parents {
                    required("parents", name, "Enter each parent's name")?;
                    required("parents", address, "Enter each parent's home address")?;
                }
                let weekly = [r.hours_by_parents, r.hours_by_others]
                    .into_iter()
                    .chain(r.providers.iter().map(|p| p.hours));
                if weekly.into_iter().any(|h| !h.within_a_week()) {
                    return refuse("hours_by_parents", "Enter hours of 60 or fewer a week");
                }
                if r.educating_parents.is_empty() && r.providers.is_empty() {
                    return refuse(
                        "educating_parents",
                        "Enter who educates the child: a parent or another provider",
                    );
                }
                for name in &r.educating_parents {
                    if !r.parents.iter().any(|(p, _)| p == name) {
                        return refuse(
                            "educating_parents",
                            format!("{name} is not one of the parents entered"),
                        );
                    }
                }
                for p in &r.providers {
                    required("providers", &p.name, "Enter each provider's name")?;
                    required(
                        "providers",
                        &p.address,
                        "Enter each provider's address (or website for online education)",
                    )?;
                }
                Ok(())
            }
            EheFact::ConsentDecision { on, .. } => {
                if self.circumstances().consent_condition().is_none() {
                    return refuse(
                        "granted",
                        "Consent is not needed for this child (no special school placement or child protection enquiry)",
                    );
                }
                not_future("on", *on, today, "The consent decision")
            }
            EheFact::InformationRequested { on } => {
                not_before("on", *on, first, "The request", since)?;
                not_future("on", *on, today, "The request")?;
                if let Some(last) = self.last_request() {
                    let allowed = last + settings.request_at_most_every;
                    if *on < allowed {
                        return refuse(
                            "on",
                            format!(
                                "Information was last requested on {last}: the next request may not be made before {allowed} (not more often than every 3 months)"
                            ),
                        );
                    }
                }
                Ok(())
            }
            EheFact::InformationReceived { on } => {
                if self.last_request().is_none_or(|r| r > *on) {
                    return refuse("on", "No request had been made by that day");
                }
                not_future("on", *on, today, "The date received")
            }
            EheFact::HomeVisitRequested { on } => {
                not_before("on", *on, first, "The visit request", since)?;
                not_future("on", *on, today, "The visit request")
            }
            EheFact::SuitabilityOutcome { on, .. } => {
                not_before("on", *on, first, "The outcome", since)?;
                not_future("on", *on, today, "The outcome")
            }
            EheFact::Closed { on, closure } => {
                not_before("on", *on, first, "The closure", since)?;
                not_future("on", *on, today, "The closure")?;
                match closure {
                    EheClosure::ReturnedToSchool { school } => {
                        required("school", school, "Enter the school")
                    }
                    EheClosure::MovedAway { authority, told_on } => {
                        required("authority", authority, "Enter the authority")?;
                        not_future("told_on", *told_on, today, "The date they were told")
                    }
                    _ => Ok(()),
                }
            }
            EheFact::Reopened { on, why } => {
                not_future("on", *on, today, "Reopening")?;
                required("why", why, "Say why the case is reopened")
            }
            EheFact::CircumstancesFound(_) => Ok(()),
        }
    }

    pub fn assess(&self, settings: &Settings, today: Date) -> EheAssessment {
        let open = !self.is_closed();
        let consent_needed = self.circumstances().consent_condition();
        let consent = self.facts.iter().rev().find_map(|f| match f {
            EheFact::ConsentDecision { granted, .. } => Some(*granted),
            _ => None,
        });
        let consent = consent_needed.and(consent);
        let without_consent = consent_needed.is_some() && consent != Some(true);
        let home_visit = Deadline::new(
            self.first_day + settings.home_visit_within,
            self.facts.iter().find_map(|f| match f {
                EheFact::HomeVisitRequested { on } => Some(*on),
                _ => None,
            }),
        );
        let last_request = self.last_request();
        let next_request_due =
            open.then(|| last_request.unwrap_or(self.first_day) + settings.request_at_least_every);
        let next_request_allowed = last_request.map(|r| r + settings.request_at_most_every);
        let suitability = self.facts.iter().rev().find_map(|f| match f {
            EheFact::SuitabilityOutcome { outcome, .. } => Some(*outcome),
            _ => None,
        });
        let mut tasks = Vec::new();
        if open {
            if without_consent && consent.is_none() {
                tasks.push(Task::new(TaskKind::EheConsent, self.first_day, today));
            }
            if home_visit.met_on.is_none() && today <= home_visit.due {
                tasks.push(Task::new(TaskKind::EheHomeVisit, home_visit.due, today));
            }
            if let Some(due) = next_request_due {
                tasks.push(Task::new(TaskKind::EheInformationRequest, due, today));
            }
        }
        tasks.sort_by_key(Task::queue_order);
        EheAssessment {
            open,
            consent_needed,
            consent,
            without_consent,
            home_visit,
            last_request,
            next_request_due,
            next_request_allowed,
            suitability,
            tasks,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Children missing education
// ---------------------------------------------------------------------------------------

/// The steps of tracing a missing child, in the order guidance suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceStep {
    FamilyContacted,
    HomeVisit,
    Health,
    SchoolToSchool,
    NeighbouringAuthorities,
    Police,
    HomeOffice,
}

impl TraceStep {
    pub const ALL: [Self; 7] = [
        Self::FamilyContacted,
        Self::HomeVisit,
        Self::Health,
        Self::SchoolToSchool,
        Self::NeighbouringAuthorities,
        Self::Police,
        Self::HomeOffice,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::FamilyContacted => "Family contacted",
            Self::HomeVisit => "Home visit",
            Self::Health => "Health services checked",
            Self::SchoolToSchool => "School-to-school search (Lost Pupil Database)",
            Self::NeighbouringAuthorities => "Neighbouring authorities asked",
            Self::Police => "Police asked",
            Self::HomeOffice => "Home Office asked (where relevant)",
        }
    }

    /// Whether a step is needed for every child (the Home Office only where relevant).
    pub fn always_needed(self) -> bool {
        self != Self::HomeOffice
    }
}

/// Where a missing child was found, closing the episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CmeClosure {
    FoundOnRoll {
        school: String,
    },
    MovedAway {
        authority: String,
        told_on: Date,
    },
    HomeEducated,
    LeftCompulsoryEducation,
    /// The authority's own records closed it: the `cme_end` its education feed sent (the
    /// event's key), recorded by Harbour.
    EndedInFeed {
        event: String,
    },
}

/// Something recorded on a missing-education episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum CmeFact {
    Step {
        step: TraceStep,
        on: Date,
        outcome: String,
    },
    Closed {
        on: Date,
        closure: CmeClosure,
    },
    Reopened {
        on: Date,
        why: String,
    },
}

impl CmeFact {
    /// What recording it does to whether the episode is open.
    pub fn lifecycle(&self) -> Lifecycle {
        match self {
            Self::Closed { .. } => Lifecycle::Closes,
            Self::Reopened { .. } => Lifecycle::Reopens,
            Self::Step { .. } => Lifecycle::Leaves,
        }
    }
}

/// A missing-education episode that opened on `first_day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmeEpisode {
    pub first_day: Date,
    pub facts: Vec<CmeFact>,
}

/// Where an episode stands on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CmeAssessment {
    pub open: bool,
    /// Traced by the limit, or not: met by the episode's (latest) closure.
    pub trace: Deadline,
    /// Steps done, each with its latest date.
    pub steps_done: Vec<(TraceStep, Date)>,
    /// Steps every child needs that are not done.
    pub steps_left: Vec<TraceStep>,
    /// Days missing: to the closure, or to the day if still open.
    pub days_missing: i64,
    pub escalated: bool,
    pub tasks: Vec<Task>,
}

impl CmeEpisode {
    fn closed_on(&self) -> Option<Date> {
        self.facts.iter().rev().find_map(|f| match f {
            CmeFact::Closed { on, .. } => Some(Some(*on)),
            CmeFact::Reopened { .. } => Some(None),
            CmeFact::Step { .. } => None,
        })?
    }

    pub fn check(&self, fact: &CmeFact, today: Date) -> Result<(), Refusal> {
        let closed = self.closed_on().is_some();
        match fact {
            CmeFact::Reopened { .. } if !closed => return refuse("why", "This episode is open"),
            CmeFact::Reopened { .. } => {}
            _ if closed => {
                return refuse(
                    "episode",
                    "This episode is closed: reopen it before recording anything else",
                );
            }
            _ => {}
        }
        let first = self.first_day;
        let since = "the day the child went missing from education";
        match fact {
            CmeFact::Step { on, outcome, .. } => {
                not_before("on", *on, first, "The step", since)?;
                not_future("on", *on, today, "The step")?;
                required("outcome", outcome, "Enter what the step found")
            }
            CmeFact::Closed { on, closure } => {
                not_before("on", *on, first, "The closure", since)?;
                not_future("on", *on, today, "The closure")?;
                match closure {
                    CmeClosure::FoundOnRoll { school } => {
                        required("school", school, "Enter the school")
                    }
                    CmeClosure::MovedAway { authority, told_on } => {
                        required("authority", authority, "Enter the authority")?;
                        not_future("told_on", *told_on, today, "The date they were told")
                    }
                    _ => Ok(()),
                }
            }
            CmeFact::Reopened { on, why } => {
                not_future("on", *on, today, "Reopening")?;
                required("why", why, "Say why the episode is reopened")
            }
        }
    }

    pub fn assess(&self, calendar: &Calendar, settings: &Settings, today: Date) -> CmeAssessment {
        let closed_on = self.closed_on();
        let open = closed_on.is_none();
        let due = calendar.add_school_days(self.first_day, settings.trace_within_school_days);
        // Traced when first closed: a reopened episode keeps its first trace date for the
        // clock, since the duty was met then; the reopening starts new work.
        let traced = self.facts.iter().find_map(|f| match f {
            CmeFact::Closed { on, .. } => Some(*on),
            _ => None,
        });
        let trace = Deadline::new(due, traced);
        let mut steps_done: Vec<(TraceStep, Date)> = Vec::new();
        for fact in &self.facts {
            if let CmeFact::Step { step, on, .. } = fact {
                match steps_done.iter_mut().find(|(s, _)| s == step) {
                    Some((_, latest)) => *latest = (*latest).max(*on),
                    None => steps_done.push((*step, *on)),
                }
            }
        }
        steps_done.sort();
        let steps_left: Vec<TraceStep> = TraceStep::ALL
            .into_iter()
            .filter(|s| s.always_needed() && !steps_done.iter().any(|(d, _)| d == s))
            .collect();
        let end = closed_on.unwrap_or(today);
        let escalated = open && today > due;
        let mut tasks = Vec::new();
        if open {
            tasks.push(Task::new(TaskKind::TraceMissingChild, due, today));
        }
        CmeAssessment {
            open,
            trace,
            steps_done,
            steps_left,
            days_missing: (end - self.first_day).whole_days().max(0),
            escalated,
            tasks,
        }
    }
}

/// The register's figures on a day, for the list pages and
/// `harbour report children-not-in-school`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub home_educated: usize,
    pub home_educated_without_consent: usize,
    pub information_requests_overdue: usize,
    pub missing_education: usize,
    /// Median days missing over every episode (open ones to the day).
    pub median_days_missing: Option<f64>,
    /// Episodes whose limit has passed or that are closed: the cohort of the next figure.
    pub episodes_due: usize,
    pub traced_within_limit: usize,
    pub share_traced_within_limit: Option<f64>,
}

impl Figures {
    pub fn of<'a>(
        ehe: impl IntoIterator<Item = &'a EheAssessment>,
        cme: impl IntoIterator<Item = &'a CmeAssessment>,
        today: Date,
    ) -> Self {
        let mut f = Self {
            home_educated: 0,
            home_educated_without_consent: 0,
            information_requests_overdue: 0,
            missing_education: 0,
            median_days_missing: None,
            episodes_due: 0,
            traced_within_limit: 0,
            share_traced_within_limit: None,
        };
        for a in ehe.into_iter().filter(|a| a.open) {
            f.home_educated += 1;
            if a.without_consent {
                f.home_educated_without_consent += 1;
            }
            if a.next_request_due.is_some_and(|due| today > due) {
                f.information_requests_overdue += 1;
            }
        }
        let mut days = Vec::new();
        for a in cme {
            if a.open {
                f.missing_education += 1;
            }
            days.push(a.days_missing);
            if !a.open || today > a.trace.due {
                f.episodes_due += 1;
                if matches!(a.trace.state(today), crate::ClockState::Met { .. }) {
                    f.traced_within_limit += 1;
                }
            }
        }
        if f.episodes_due > 0 {
            f.share_traced_within_limit =
                Some(f.traced_within_limit as f64 / f.episodes_due as f64);
        }
        days.sort_unstable();
        let n = days.len();
        f.median_days_missing = match n {
            0 => None,
            _ if n % 2 == 1 => days.get(n / 2).map(|d| *d as f64),
            _ => match (days.get(n / 2 - 1), days.get(n / 2)) {
                (Some(a), Some(b)) => Some((*a + *b) as f64 / 2.0),
                _ => None,
            },
        };
        f
    }
}

/// An end of home education or of a spell missing education that the authority's feed
/// reported (`ehe_end`, `cme_end`): its day and its event's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedEnd {
    pub on: Date,
    pub key: String,
}

/// One of a child's entries, as [`ends_to_apply`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryForEnds {
    pub first_day: Date,
    /// Open now.
    pub open: bool,
    /// The day of the latest reopening, if it was reopened.
    pub reopened_on: Option<Date>,
    /// The keys of the feed's ends already recorded on it.
    pub used: Vec<String>,
}

/// Which of one child's entries the feed's reported ends close, as (entry, end) indexes.
/// An end belongs to the latest entry that began on or before it (the spell it ended); an
/// open entry closes on the earliest of its ends not yet recorded on any of the child's
/// entries and not before its latest reopening, so an officer's reopening is not undone by
/// an end already applied. An end before every entry closes nothing.
pub fn ends_to_apply(entries: &[EntryForEnds], ends: &[ReportedEnd]) -> Vec<(usize, usize)> {
    let used: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.used.iter().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if !entry.open {
            continue;
        }
        let since = entry
            .reopened_on
            .unwrap_or(entry.first_day)
            .max(entry.first_day);
        let owns = |end: &ReportedEnd| {
            let owner = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.first_day <= end.on)
                .max_by_key(|(j, e)| (e.first_day, *j))
                .map(|(j, _)| j);
            owner == Some(i)
        };
        let first = ends
            .iter()
            .enumerate()
            .filter(|(_, end)| end.on >= since && !used.contains(&end.key.as_str()) && owns(end))
            .min_by_key(|(j, end)| (end.on, *j));
        if let Some((j, _)) = first {
            out.push((i, j));
        }
    }
    out
}

/// What a fact means for [`ends_to_apply`].
enum EndMark<'a> {
    /// Closed; by the feed's end with this key, if so.
    Closed(Option<&'a str>),
    Reopened(Date),
    Other,
}

fn for_ends<'a, F>(
    first_day: Date,
    facts: &'a [F],
    mark: impl Fn(&'a F) -> EndMark<'a>,
) -> EntryForEnds {
    let mut view = EntryForEnds {
        first_day,
        open: true,
        reopened_on: None,
        used: Vec::new(),
    };
    for fact in facts {
        match mark(fact) {
            EndMark::Closed(key) => {
                view.open = false;
                view.used.extend(key.map(str::to_owned));
            }
            EndMark::Reopened(on) => {
                view.open = true;
                view.reopened_on = Some(on);
            }
            EndMark::Other => {}
        }
    }
    view
}

/// A home-education case as [`ends_to_apply`] needs it.
pub fn ehe_for_ends(first_day: Date, facts: &[EheFact]) -> EntryForEnds {
    for_ends(first_day, facts, |fact| match fact {
        EheFact::Closed { closure, .. } => EndMark::Closed(match closure {
            EheClosure::EndedInFeed { event } => Some(event),
            _ => None,
        }),
        EheFact::Reopened { on, .. } => EndMark::Reopened(*on),
        _ => EndMark::Other,
    })
}

/// A missing-education episode as [`ends_to_apply`] needs it.
pub fn cme_for_ends(first_day: Date, facts: &[CmeFact]) -> EntryForEnds {
    for_ends(first_day, facts, |fact| match fact {
        CmeFact::Closed { closure, .. } => EndMark::Closed(match closure {
            CmeClosure::EndedInFeed { event } => Some(event),
            _ => None,
        }),
        CmeFact::Reopened { on, .. } => EndMark::Reopened(*on),
        CmeFact::Step { .. } => EndMark::Other,
    })
}

#[cfg(test)]
#[path = "not_in_school_tests.rs"]
mod tests;
