//! The register's pages: the list, one home-education entry, one missing-education episode.

use super::view::{CmeRow, EheRow, clock, consent_words, content_rows, information_words, name};
use crate::layout::{FieldError, Layout, long_date};
use crate::problem::{PageProblem, Problem};
use crate::session::{SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_casework::not_in_school::{CmeClosure, CmeFact, EheClosure, EheFact, TraceStep};
use harbour_store::{
    HomeEducationEntry, MissingEducationEntry, NotInSchoolDay, ReaderAccess, RegisterRefusal,
};
use serde::Deserialize;
use time::Date;
use time::macros::format_description;
use uuid::Uuid;

fn today(state: &AppState) -> Date {
    harbour_domain::london_today(state.clock.now())
}

pub(super) fn day(state: &AppState) -> NotInSchoolDay<'_> {
    NotInSchoolDay {
        calendar: state.rules.calendar(),
        settings: state.registers.not_in_school,
        today: today(state),
    }
}

fn parse_id(id: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(id).map_err(|_| Problem::not_found())
}

fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.into(),
    }
}

fn date_field(name: &str, text: &Option<String>) -> Result<Date, FieldError> {
    let text = text.as_deref().unwrap_or_default().trim();
    if text.is_empty() {
        return Err(field(name, "Enter the date"));
    }
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| field(name, "Enter a real date, like 2026-09-01"))
}

// ---------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------

/// Which entries the list shows: the open ones unless the officer asks (closed ones are the
/// register's history; at county scale they are most of it). The figures count every entry
/// whatever the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    Open,
    Closed,
    All,
}

impl Shown {
    fn parse(text: Option<&str>) -> Result<Self, Problem> {
        match text.map(str::trim) {
            None | Some("" | "open") => Ok(Self::Open),
            Some("closed") => Ok(Self::Closed),
            Some("all") => Ok(Self::All),
            Some(_) => Err(Problem::bad_request(
                "status",
                "Choose open, closed or all entries",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::All => "all",
        }
    }

    fn admits(self, open: bool) -> bool {
        match self {
            Self::Open => open,
            Self::Closed => !open,
            Self::All => true,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    /// open (the default), closed or all.
    status: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "not_in_school_list.html")]
pub(crate) struct ListPage {
    pub status: &'static str,
    /// The tracing limit in school days (`registers.toml`).
    pub limit: u32,
    pub layout: Layout,
    pub shows_home_education: bool,
    pub shows_missing_education: bool,
    pub read_only: bool,
    /// The reader keeps a part of the register (may add a child by hand).
    pub may_add: bool,
    pub home_education: Vec<EheRow>,
    pub missing_education: Vec<CmeRow>,
    pub home_educated: usize,
    pub without_consent: usize,
    pub information_overdue: usize,
    pub missing: usize,
    pub median_days_missing: String,
    pub traced: String,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> Result<ListPage, PageProblem> {
    let shown = Shown::parse(params.status.as_deref())?;
    let today = today(&state);
    // The open registrations alone unless closed ones are asked for: at county scale most
    // of the home-education part is closed, and its figures count only open ones.
    let (who, day, now) = (&signed_in.user.principal, day(&state), state.clock.now());
    let register = match shown {
        Shown::Open => {
            state
                .store
                .children_not_in_school_open(who, day, now)
                .await?
        }
        Shown::Closed | Shown::All => state.store.children_not_in_school(who, day, now).await?,
    }
    .ok_or_else(|| {
        Problem::forbidden("Your role cannot see the children not in school register.")
    })?;
    let f = &register.figures;
    Ok(ListPage {
        status: shown.as_str(),
        layout: Layout::new("Children not in school", Some(&signed_in), &state),
        shows_home_education: register.home_education_access.is_some(),
        shows_missing_education: register.missing_education_access.is_some(),
        limit: state.registers.not_in_school.trace_within_school_days,
        read_only: register.missing_education_access != Some(ReaderAccess::Keep),
        may_add: register.home_education_access == Some(ReaderAccess::Keep)
            || register.missing_education_access == Some(ReaderAccess::Keep),
        home_educated: f.home_educated,
        without_consent: f.home_educated_without_consent,
        information_overdue: f.information_requests_overdue,
        missing: f.missing_education,
        median_days_missing: f
            .median_days_missing
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| "none yet".into()),
        traced: match f.share_traced_within_limit {
            Some(share) => format!(
                "{} of {} ({:.0}%)",
                f.traced_within_limit,
                f.episodes_due,
                share * 100.0
            ),
            None => "none due yet".into(),
        },
        home_education: register
            .home_education
            .iter()
            .filter(|e| shown.admits(e.assessment.open))
            .map(|e| EheRow::of(e, today))
            .collect(),
        missing_education: register
            .missing_education
            .iter()
            .filter(|e| shown.admits(e.assessment.open))
            .map(|e| CmeRow::of(e, today))
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// One home-education entry
// ---------------------------------------------------------------------------------------

pub(crate) struct HistoryRow {
    pub what: String,
    pub recorded: String,
    pub by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home_education_entry.html")]
pub(crate) struct HomeEducationPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub action: String,
    pub child: String,
    pub registered: String,
    pub consent: String,
    pub consent_open: bool,
    pub home_visit: String,
    pub information: String,
    pub open: bool,
    /// The s.436C(1) content as recorded (label, value), or empty.
    pub content: Vec<(&'static str, String)>,
    pub history: Vec<HistoryRow>,
    pub tasks: Vec<String>,
}

fn ehe_what(fact: &EheFact) -> String {
    match fact {
        EheFact::Registered(_) => "Registration details recorded".into(),
        EheFact::CircumstancesFound(found) => match found.consent_condition() {
            Some(condition) => format!(
                "Harbour found in the child's records that on the first day this child {}: consent needed (s.434A)",
                condition.reason()
            ),
            None => {
                "Harbour found nothing in the child's records that needs consent (s.434A)".into()
            }
        },
        EheFact::ConsentDecision { on, granted } => format!(
            "Consent {} on {}",
            if *granted { "granted" } else { "refused" },
            long_date(*on)
        ),
        EheFact::InformationRequested { on } => {
            format!("Information requested on {}", long_date(*on))
        }
        EheFact::InformationReceived { on } => {
            format!("Information received on {}", long_date(*on))
        }
        EheFact::HomeVisitRequested { on } => {
            format!("Home visit requested on {}", long_date(*on))
        }
        EheFact::SuitabilityOutcome { on, .. } => {
            format!("Suitability decided on {}", long_date(*on))
        }
        EheFact::Closed {
            on,
            closure: EheClosure::EndedInFeed { .. },
        } => format!(
            "Closed on {}: ended in the authority's records (education feed)",
            long_date(*on)
        ),
        EheFact::Closed { on, .. } => format!("Closed on {}", long_date(*on)),
        EheFact::Reopened { on, .. } => format!("Reopened on {}", long_date(*on)),
    }
}

fn ehe_page(
    state: &AppState,
    signed_in: &SignedIn,
    e: HomeEducationEntry,
    errors: Vec<FieldError>,
) -> HomeEducationPage {
    let today = today(state);
    HomeEducationPage {
        layout: Layout::new("Home education", Some(signed_in), state)
            .with_error(!errors.is_empty()),
        errors,
        action: format!("/children-not-in-school/home-education/{}", e.id),
        child: name(&e.child),
        registered: long_date(e.first_day),
        consent: consent_words(&e),
        consent_open: e.assessment.open
            && e.assessment.consent_needed.is_some()
            && e.assessment.consent.is_none(),
        home_visit: clock(e.assessment.home_visit.state(today)),
        information: information_words(&e, today),
        open: e.assessment.open,
        content: content_rows(&e),
        tasks: e
            .assessment
            .tasks
            .iter()
            .map(|t| {
                format!(
                    "{}: {}{}",
                    t.kind.label(),
                    long_date(t.due),
                    if t.overdue { " (overdue)" } else { "" }
                )
            })
            .collect(),
        history: e
            .history
            .iter()
            .map(|f| HistoryRow {
                what: ehe_what(&f.fact),
                recorded: crate::layout::date_time(f.recorded_at),
                by: f.recorded_by.clone().unwrap_or_else(|| "Harbour".into()),
            })
            .collect(),
    }
}

async fn load_ehe(
    state: &AppState,
    signed_in: &SignedIn,
    id: Uuid,
) -> Result<HomeEducationEntry, Problem> {
    state
        .store
        .home_education_entry(&signed_in.user.principal, id, day(state), state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)
}

pub(crate) async fn home_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<HomeEducationPage, PageProblem> {
    let id = parse_id(&id)?;
    let entry = load_ehe(&state, &signed_in, id).await?;
    Ok(ehe_page(&state, &signed_in, entry, Vec::new()))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EheForm {
    csrf_token: Option<String>,
    /// consent, information_requested, information_received or home_visit_requested.
    action: Option<String>,
    on: Option<String>,
    granted: Option<String>,
}

pub(crate) async fn record_home_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<EheForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let id = parse_id(&id)?;
    let fact = date_field("on", &form.on).and_then(|on| {
        match form.action.as_deref().unwrap_or_default() {
            "consent" => match form.granted.as_deref() {
                Some("yes") => Ok(EheFact::ConsentDecision { on, granted: true }),
                Some("no") => Ok(EheFact::ConsentDecision { on, granted: false }),
                _ => Err(field("granted", "Say whether consent is granted")),
            },
            "information_requested" => Ok(EheFact::InformationRequested { on }),
            "information_received" => Ok(EheFact::InformationReceived { on }),
            "home_visit_requested" => Ok(EheFact::HomeVisitRequested { on }),
            _ => Err(field("action", "Choose what to record")),
        }
    });
    let outcome = match fact {
        Err(error) => Err(error),
        Ok(fact) => match state
            .store
            .record_on_home_education(
                &signed_in.user.principal,
                id,
                &fact,
                day(&state),
                state.clock.now(),
            )
            .await?
        {
            Ok(()) => Ok(()),
            Err(refusal) => Err(refused(refusal)?),
        },
    };
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/children-not-in-school/home-education/{id}")).into_response(),
        ),
        Err(error) => {
            let entry = load_ehe(&state, &signed_in, id).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ehe_page(&state, &signed_in, entry, vec![error]),
            )
                .into_response())
        }
    }
}

/// A refusal the form shows beside its field, or one that ends the request.
fn refused(refusal: RegisterRefusal) -> Result<FieldError, Problem> {
    match refusal {
        RegisterRefusal::Invalid(r) => Ok(field(r.field, r.message)),
        RegisterRefusal::NotAllowed => Err(Problem::forbidden(
            "Your role can see this register but not record on it.",
        )),
        RegisterRefusal::NotFound => Err(Problem::not_found()),
    }
}

// ---------------------------------------------------------------------------------------
// One missing-education episode, with its tracing checklist
// ---------------------------------------------------------------------------------------

pub(crate) struct StepRow {
    pub code: &'static str,
    pub label: &'static str,
    pub done: String,
    pub needed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "missing_education_entry.html")]
pub(crate) struct MissingEducationPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub action: String,
    pub child: String,
    pub from: String,
    pub since: String,
    pub days: i64,
    pub traced: String,
    /// The tracing limit in school days (`registers.toml`).
    pub limit: u32,
    pub escalated: bool,
    pub open: bool,
    pub may_record: bool,
    pub steps: Vec<StepRow>,
    pub history: Vec<HistoryRow>,
    /// What was typed into the form that was refused, shown again.
    pub typed: CmeTyped,
}

/// A refused missing-education form's values, to show again in the form they came from.
#[derive(Debug, Default)]
pub(crate) struct CmeTyped {
    /// step or close: which form they belong to.
    pub action: String,
    pub step: String,
    pub on: String,
    pub outcome: String,
    pub reason: String,
    pub school: String,
}

impl CmeTyped {
    fn of(form: &CmeForm) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            action: text(&form.action),
            step: text(&form.step),
            on: text(&form.on),
            outcome: text(&form.outcome),
            reason: text(&form.reason),
            school: text(&form.school),
        }
    }
}

impl HomeEducationPage {
    /// Whether the form's `field` has an error (its group is marked).
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

impl MissingEducationPage {
    /// Whether the form's `field` has an error (its group is marked).
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

fn step_code(step: TraceStep) -> &'static str {
    match step {
        TraceStep::FamilyContacted => "family_contacted",
        TraceStep::HomeVisit => "home_visit",
        TraceStep::Health => "health",
        TraceStep::SchoolToSchool => "school_to_school",
        TraceStep::NeighbouringAuthorities => "neighbouring_authorities",
        TraceStep::Police => "police",
        TraceStep::HomeOffice => "home_office",
    }
}

fn cme_what(fact: &CmeFact) -> String {
    match fact {
        CmeFact::Step { step, on, outcome } => {
            format!("{} on {}: {outcome}", step.label(), long_date(*on))
        }
        CmeFact::Closed {
            on,
            closure: CmeClosure::EndedInFeed { .. },
        } => format!(
            "Closed on {}: ended in the authority's records (education feed)",
            long_date(*on)
        ),
        CmeFact::Closed { on, .. } => format!("Closed on {}", long_date(*on)),
        CmeFact::Reopened { on, why } => format!("Reopened on {}: {why}", long_date(*on)),
    }
}

fn cme_page(
    state: &AppState,
    signed_in: &SignedIn,
    e: MissingEducationEntry,
    errors: Vec<FieldError>,
    typed: CmeTyped,
) -> MissingEducationPage {
    let today = today(state);
    let may_record = state.store.policy().register_access(
        &signed_in.user.principal,
        harbour_policy::Register::MissingEducation,
    ) == Some(harbour_policy::RegisterAccess::Keep);
    MissingEducationPage {
        layout: Layout::new("Child missing education", Some(signed_in), state)
            .with_error(!errors.is_empty()),
        errors,
        action: format!("/children-not-in-school/missing-education/{}", e.id),
        child: name(&e.child),
        from: e
            .agency_name
            .clone()
            .unwrap_or_else(|| "Added by hand".into()),
        since: long_date(e.first_day),
        days: e.assessment.days_missing,
        traced: clock(e.assessment.trace.state(today)),
        limit: state.registers.not_in_school.trace_within_school_days,
        escalated: e.assessment.escalated,
        open: e.assessment.open,
        may_record,
        steps: TraceStep::ALL
            .into_iter()
            .map(|step| StepRow {
                code: step_code(step),
                label: step.label(),
                done: e
                    .assessment
                    .steps_done
                    .iter()
                    .find(|(s, _)| *s == step)
                    .map(|(_, on)| long_date(*on))
                    .unwrap_or_default(),
                needed: step.always_needed(),
            })
            .collect(),
        history: e
            .history
            .iter()
            .map(|f| HistoryRow {
                what: cme_what(&f.fact),
                recorded: crate::layout::date_time(f.recorded_at),
                by: f.recorded_by.clone().unwrap_or_else(|| "Harbour".into()),
            })
            .collect(),
        typed,
    }
}

async fn load_cme(
    state: &AppState,
    signed_in: &SignedIn,
    id: Uuid,
) -> Result<MissingEducationEntry, Problem> {
    state
        .store
        .missing_education_entry(&signed_in.user.principal, id, day(state), state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)
}

pub(crate) async fn missing_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<MissingEducationPage, PageProblem> {
    let id = parse_id(&id)?;
    let entry = load_cme(&state, &signed_in, id).await?;
    Ok(cme_page(
        &state,
        &signed_in,
        entry,
        Vec::new(),
        CmeTyped::default(),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CmeForm {
    csrf_token: Option<String>,
    /// step or close.
    action: Option<String>,
    step: Option<String>,
    on: Option<String>,
    outcome: Option<String>,
    /// found_on_roll, home_educated or left_compulsory_education.
    reason: Option<String>,
    school: Option<String>,
}

pub(crate) async fn record_missing_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CmeForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let id = parse_id(&id)?;
    let fact = date_field("on", &form.on).and_then(|on| {
        match form.action.as_deref().unwrap_or_default() {
            "step" => {
                let code = form.step.as_deref().unwrap_or_default();
                let step = TraceStep::ALL
                    .into_iter()
                    .find(|s| step_code(*s) == code)
                    .ok_or_else(|| field("step", "Choose the step"))?;
                Ok(CmeFact::Step {
                    step,
                    on,
                    outcome: form.outcome.clone().unwrap_or_default(),
                })
            }
            "close" => {
                let closure = match form.reason.as_deref().unwrap_or_default() {
                    "found_on_roll" => CmeClosure::FoundOnRoll {
                        school: form.school.clone().unwrap_or_default(),
                    },
                    "home_educated" => CmeClosure::HomeEducated,
                    "left_compulsory_education" => CmeClosure::LeftCompulsoryEducation,
                    _ => return Err(field("reason", "Choose where the child was found")),
                };
                Ok(CmeFact::Closed { on, closure })
            }
            _ => Err(field("action", "Choose what to record")),
        }
    });
    let outcome = match fact {
        Err(error) => Err(error),
        Ok(fact) => match state
            .store
            .record_on_missing_education(
                &signed_in.user.principal,
                id,
                &fact,
                day(&state),
                state.clock.now(),
            )
            .await?
        {
            Ok(()) => Ok(()),
            Err(refusal) => Err(refused(refusal)?),
        },
    };
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/children-not-in-school/missing-education/{id}"))
                .into_response(),
        ),
        Err(mut error) => {
            let typed = CmeTyped::of(&form);
            // The closing form's date has its own id, so the summary's link finds it.
            if typed.action == "close" && error.field == "on" {
                error.field = "close-on".into();
            }
            let entry = load_cme(&state, &signed_in, id).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                cme_page(&state, &signed_in, entry, vec![error], typed),
            )
                .into_response())
        }
    }
}
