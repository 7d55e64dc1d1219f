//! The register's pages: the list with its filters and figures, one entry, the forms that
//! record on an entry, and adding an entry by hand.

use super::view::{
    ClockView, FiguresView, FilterParams, OwnerFilter, Row, age_on, child_name, fact_words,
};
use super::{not_theirs, parse_id, refusal, register_day};
use crate::forms::{
    SchoolOption, child_named, optional_date, parse_date, person_of, required_date, school_options,
};
use crate::layout::{FieldError, Layout, date_time, long_date};
use crate::problem::{PageProblem, Problem};
use crate::session::{SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_casework::Hours;
use harbour_casework::exclusions::{Closure, Fact, PanelOutcome, Status};
use harbour_domain::{AgencyId, PersonId, UserId};
use harbour_policy::{Register, RegisterAccess};
use harbour_store::{ExclusionEntry, RegisterRefusal};
use serde::Deserialize;
use std::collections::BTreeMap;
use time::Date;
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "exclusions_list.html")]
pub(crate) struct ListPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub rows: Vec<Row>,
    pub figures: FiguresView,
    /// The reader keeps the register (sees every entry, records, adds).
    pub may_record: bool,
    pub schools: Vec<SchoolOption>,
    pub status: String,
    pub overdue: bool,
    pub min_age: String,
    pub max_age: String,
    /// The owner filter's choices: anyone, me, unassigned, then each colleague who owns an
    /// entry here.
    pub owners: Vec<SchoolOption>,
    /// The filters as a query string, for the export links.
    pub query: String,
}

impl ListPage {
    fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

/// The filters again as a query string (only those set).
pub(crate) fn query_of(params: &FilterParams) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("status", &params.status),
        ("school", &params.school),
        ("overdue", &params.overdue),
        ("min_age", &params.min_age),
        ("max_age", &params.max_age),
        ("owner", &params.owner),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            q.append_pair(key, v);
        }
    }
    q.finish()
}

fn schools_of(entries: &[ExclusionEntry], chosen: Option<Uuid>) -> Vec<SchoolOption> {
    let mut schools: BTreeMap<(String, Uuid), ()> = BTreeMap::new();
    for e in entries {
        if let (Some(id), Some(name)) = (e.school, &e.school_name) {
            schools.insert((name.clone(), id.0), ());
        }
    }
    schools
        .into_keys()
        .map(|(name, id)| SchoolOption {
            id: id.to_string(),
            name,
            selected: chosen == Some(id),
        })
        .collect()
}

/// The owner filter's choices, the chosen one selected.
fn owners_of(entries: &[ExclusionEntry], me: UserId, chosen: OwnerFilter) -> Vec<SchoolOption> {
    let mut others: BTreeMap<(String, Uuid), ()> = BTreeMap::new();
    for owner in entries.iter().filter_map(|e| e.owner.as_ref()) {
        if owner.user != me {
            others.insert((owner.name.clone(), owner.user.0), ());
        }
    }
    let option = |id: String, name: String, selected: bool| SchoolOption { id, name, selected };
    [
        option(
            String::new(),
            "Anyone".into(),
            chosen == OwnerFilter::Anyone,
        ),
        option(
            me.0.to_string(),
            "Me".into(),
            chosen == OwnerFilter::User(me.0),
        ),
        option(
            "unassigned".into(),
            "Unassigned".into(),
            chosen == OwnerFilter::Unassigned,
        ),
    ]
    .into_iter()
    .chain(
        others
            .into_keys()
            .map(|(name, id)| option(id.to_string(), name, chosen == OwnerFilter::User(id))),
    )
    .collect()
}

pub(crate) async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageProblem> {
    let day = register_day(&state);
    let (filter, errors) = match params.check() {
        Ok(filter) => (filter, Vec::new()),
        Err(problem) => (
            FilterParams::default().check()?,
            vec![FieldError {
                field: format!("filter-{}", problem.field.unwrap_or_default()),
                message: problem.message,
            }],
        ),
    };
    // The first view (open entries, the whole register's figures) reads only the open
    // entries' children, names and audit: most of the register is closed entries. Its school
    // and owner choices are then those of the open entries.
    let open_only = filter.open_entries_suffice();
    let (who, now) = (&signed_in.user.principal, state.clock.now());
    let register = if open_only {
        state.store.exclusions_register_open(who, day, now).await?
    } else {
        state.store.exclusions_register(who, day, now).await?
    }
    .ok_or_else(not_theirs)?;
    let (listed, population) = filter.apply(&register.entries, day.today);
    let figures = if open_only {
        register.figures.clone()
    } else {
        population
    };
    let page = ListPage {
        layout: Layout::new("Exclusions register", Some(&signed_in), &state)
            .with_error(!errors.is_empty()),
        rows: listed.iter().map(|e| Row::of(e, day.today)).collect(),
        figures: FiguresView::of(&figures),
        may_record: register.may_record,
        schools: schools_of(&register.entries, filter.school),
        owners: owners_of(
            &register.entries,
            signed_in.user.principal.user,
            filter.owner,
        ),
        status: params.status.clone().unwrap_or_else(|| "open".into()),
        overdue: filter.overdue,
        min_age: params.min_age.clone().unwrap_or_default(),
        max_age: params.max_age.clone().unwrap_or_default(),
        query: query_of(&params),
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, page).into_response())
}

/// One statutory clock on the entry page.
pub(crate) struct ClockRow {
    pub name: &'static str,
    pub what: &'static str,
    pub view: ClockView,
}

pub(crate) struct HistoryRow {
    pub at: String,
    pub what: String,
    pub who: String,
}

pub(crate) struct ReviewRow {
    pub on: String,
    pub notes: String,
    pub next_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "exclusions_entry.html")]
pub(crate) struct EntryPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    /// The confirmation after a save ("Offer recorded"), or empty.
    pub saved: String,
    pub id: String,
    pub person: String,
    pub child: String,
    pub date_of_birth: String,
    pub age: String,
    pub school: String,
    pub first_day: String,
    pub opened: String,
    pub status: String,
    pub open: bool,
    pub clocks: Vec<ClockRow>,
    pub offer: String,
    pub offer_kind: &'static str,
    pub offer_starts: String,
    pub attended_last: String,
    pub part_time_since: String,
    pub part_time_too_long: bool,
    pub next_review: String,
    pub review_overdue: bool,
    pub reviews: Vec<ReviewRow>,
    /// The child's alternative-provision placements, for a reader who keeps them.
    pub placements: Option<Vec<crate::placements::PlacementRow>>,
    pub history: Vec<HistoryRow>,
    pub may_record: bool,
    /// The form the errors are about (its fact kind), opened; empty when none.
    pub form: String,
    /// What was typed in that form, by field id (`offer-provider`).
    pub typed: BTreeMap<String, String>,
}

crate::forms::form_page!(EntryPage, typed);

impl EntryPage {
    fn chosen(&self, id: &str, value: &str) -> bool {
        self.value(id) == value
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EntryParams {
    saved: Option<String>,
}

pub(crate) async fn entry(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<EntryParams>,
) -> Result<EntryPage, PageProblem> {
    let id = parse_id(&id)?;
    let mut page = entry_page(&state, &signed_in, id).await?;
    page.saved = params
        .saved
        .as_deref()
        .and_then(saved_words)
        .unwrap_or_default()
        .to_owned();
    Ok(page)
}

/// The confirmation for a fact kind just saved (read against the closed list, never echoed).
fn saved_words(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "board_decision" => "Board decision recorded",
        "review_applied" => "Application for review recorded",
        "review_hearing" => "Review hearing recorded",
        "offer" => "Offer recorded",
        "attended" => "Attendance recorded",
        "review" => "Review recorded",
        "closed" => "Entry closed",
        "reopened" => "Entry reopened",
        "added" => "Entry added to the register",
        _ => return None,
    })
}

async fn entry_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: Uuid,
) -> Result<EntryPage, PageProblem> {
    let who = &signed_in.user.principal;
    let day = register_day(state);
    let today = day.today;
    let entry = state
        .store
        .exclusion_entry(who, id, day, state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    let may_record = state
        .store
        .policy()
        .register_access(who, Register::Exclusions)
        == Some(RegisterAccess::Keep);
    let a = &entry.assessment;
    let mut clocks = vec![
        ClockRow {
            name: "Full-time education from day 6",
            what: "The council arranges suitable full-time education from the sixth school day (s.19 Education Act 1996)",
            view: ClockView::of(a.day_six.state(today)),
        },
        ClockRow {
            name: "Governing board's decision",
            what: "The board considers reinstatement within 15 school days",
            view: ClockView::of(a.board.state(today)),
        },
    ];
    if let Some(window) = a.review_window {
        clocks.push(ClockRow {
            name: "Parents' window to ask for a review",
            what: "15 school days after parents are told of the board's decision",
            view: ClockView::window(window.state(today)),
        });
    }
    if let Some(hearing) = a.review_hearing {
        clocks.push(ClockRow {
            name: "Independent review panel",
            what: "The panel sits within 15 school days of the application",
            view: ClockView::of(hearing.state(today)),
        });
    }
    let row = Row::of(&entry, today);
    let reviews = entry
        .history
        .iter()
        .filter_map(|f| match &f.fact {
            Fact::Review { on, notes, next_on } => Some(ReviewRow {
                on: long_date(*on),
                notes: notes.clone(),
                next_on: next_on.map(long_date).unwrap_or_default(),
            }),
            _ => None,
        })
        .collect();
    let history = entry
        .history
        .iter()
        .map(|f| HistoryRow {
            at: date_time(f.recorded_at),
            what: fact_words(&f.fact),
            who: f.recorded_by.clone().unwrap_or_else(|| "Harbour".into()),
        })
        .collect();
    let born = entry.child.as_ref().and_then(|c| c.date_of_birth);
    let placements = crate::placements::of_child(state, signed_in, entry.person).await?;
    Ok(EntryPage {
        layout: Layout::new(
            format!("{}: exclusions register", child_name(&entry)),
            Some(signed_in),
            state,
        ),
        errors: Vec::new(),
        saved: String::new(),
        id: entry.id.to_string(),
        person: entry.person.to_string(),
        child: child_name(&entry),
        date_of_birth: born.map(long_date).unwrap_or_default(),
        age: born
            .map(|b| age_on(b, today).to_string())
            .unwrap_or_default(),
        school: row.school.clone(),
        first_day: long_date(entry.first_day),
        opened: if entry.from_feed {
            format!("From the school's feed, {}", date_time(entry.opened_at))
        } else {
            format!("By hand, {}", date_time(entry.opened_at))
        },
        status: row.status.clone(),
        open: a.status == Status::Open,
        clocks,
        offer: a.offer.as_ref().map_or_else(
            || "None recorded".into(),
            |o| format!("{} hours a week with {}", o.hours, o.provider),
        ),
        offer_kind: row.offer_kind,
        offer_starts: a
            .offer
            .as_ref()
            .map(|o| long_date(o.starts_on))
            .unwrap_or_default(),
        attended_last: a
            .offer
            .as_ref()
            .and_then(|o| o.attended_last)
            .map(|h| format!("{h} hours"))
            .unwrap_or_default(),
        part_time_since: a.part_time_since.map(long_date).unwrap_or_default(),
        part_time_too_long: a.part_time_too_long,
        next_review: row.next_review.clone(),
        review_overdue: row.review_overdue,
        reviews,
        placements,
        history,
        may_record,
        form: String::new(),
        typed: BTreeMap::new(),
    })
}

/// Every form on the entry page posts here: `fact` names which, the other fields are its.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FactForm {
    csrf_token: Option<String>,
    fact: Option<String>,
    on: Option<String>,
    reinstate: Option<String>,
    parents_told_on: Option<String>,
    outcome: Option<String>,
    provider: Option<String>,
    hours: Option<String>,
    starts_on: Option<String>,
    week_starting: Option<String>,
    notes: Option<String>,
    next_on: Option<String>,
    reason: Option<String>,
    school: Option<String>,
    authority: Option<String>,
    told_on: Option<String>,
    why: Option<String>,
}

/// The fact kinds the forms record, each with its first field (where an error about the
/// whole entry is shown).
const KINDS: &[(&str, &str)] = &[
    ("board_decision", "on"),
    ("review_applied", "on"),
    ("review_hearing", "on"),
    ("offer", "provider"),
    ("attended", "week_starting"),
    ("review", "on"),
    ("closed", "on"),
    ("reopened", "why"),
];

/// The fields of one form, read and checked: a missing or malformed value is refused naming
/// its field (the casework rules then check what the values mean).
struct Fields<'a> {
    kind: &'static str,
    form: &'a FactForm,
}

impl Fields<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: format!("{}-{field}", self.kind),
            message: message.into(),
        }
    }

    fn text(&self, field: &str, value: &Option<String>) -> String {
        let _ = field;
        value
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    }

    fn date(&self, field: &str, value: &Option<String>, what: &str) -> Result<Date, FieldError> {
        required_date(&self.text(field, value), what).map_err(|message| self.error(field, message))
    }

    fn optional_date(
        &self,
        field: &str,
        value: &Option<String>,
        what: &str,
    ) -> Result<Option<Date>, FieldError> {
        optional_date(&self.text(field, value), what).map_err(|message| self.error(field, message))
    }

    fn hours(&self, value: &Option<String>) -> Result<Hours, FieldError> {
        let text = self.text("hours", value);
        if text.is_empty() {
            return Err(self.error("hours", "Enter the hours a week"));
        }
        Hours::parse(&text).map_err(|why| self.error("hours", why))
    }

    fn fact(&self, today: Date) -> Result<Fact, FieldError> {
        let f = self.form;
        Ok(match self.kind {
            "board_decision" => Fact::BoardDecision {
                on: self.date("on", &f.on, "the date the board decided")?,
                reinstate: match f.reinstate.as_deref() {
                    Some("yes") => true,
                    Some("no") => false,
                    _ => {
                        return Err(self
                            .error("reinstate", "Choose whether the board reinstated the pupil"));
                    }
                },
                parents_told_on: self.date(
                    "parents_told_on",
                    &f.parents_told_on,
                    "the date parents were told in writing",
                )?,
            },
            "review_applied" => Fact::ReviewApplied {
                on: self.date("on", &f.on, "the date parents applied")?,
            },
            "review_hearing" => Fact::ReviewHearing {
                on: self.date("on", &f.on, "the date of the hearing")?,
                outcome: match f.outcome.as_deref().unwrap_or_default() {
                    "" | "arranged" => None,
                    "upheld" => Some(PanelOutcome::Upheld),
                    "recommend_reconsider" => Some(PanelOutcome::RecommendReconsider),
                    "quashed" => Some(PanelOutcome::Quashed),
                    _ => return Err(self.error("outcome", "Choose the panel's decision")),
                },
            },
            "offer" => Fact::Offer {
                provider: self.text("provider", &f.provider),
                hours: self.hours(&f.hours)?,
                starts_on: self.date("starts_on", &f.starts_on, "the date the offer starts")?,
                placement: None,
            },
            "attended" => Fact::Attended {
                week_starting: self.date(
                    "week_starting",
                    &f.week_starting,
                    "the first day of the week",
                )?,
                hours: self.hours(&f.hours)?,
            },
            "review" => Fact::Review {
                on: self.date("on", &f.on, "the date of the review")?,
                notes: self.text("notes", &f.notes),
                next_on: self.optional_date("next_on", &f.next_on, "the next review's date")?,
            },
            "closed" => Fact::Closed {
                on: self.date("on", &f.on, "the date the entry closes")?,
                closure: match f.reason.as_deref().unwrap_or_default() {
                    "reinstated" => Closure::Reinstated,
                    "placed_on_roll" => Closure::PlacedOnRoll {
                        school: self.text("school", &f.school),
                    },
                    "moved_out_of_area" => Closure::MovedOutOfArea {
                        authority: self.text("authority", &f.authority),
                        told_on: self.date(
                            "told_on",
                            &f.told_on,
                            "the date the receiving authority was told",
                        )?,
                    },
                    "left_compulsory_education" => Closure::LeftCompulsoryEducation,
                    _ => return Err(self.error("reason", "Choose why the entry closes")),
                },
            },
            _ => Fact::Reopened {
                on: today,
                why: self.text("why", &f.why),
            },
        })
    }

    /// What was typed, by field id, to show again.
    fn typed(&self) -> BTreeMap<String, String> {
        let f = self.form;
        [
            ("on", &f.on),
            ("reinstate", &f.reinstate),
            ("parents_told_on", &f.parents_told_on),
            ("outcome", &f.outcome),
            ("provider", &f.provider),
            ("hours", &f.hours),
            ("starts_on", &f.starts_on),
            ("week_starting", &f.week_starting),
            ("notes", &f.notes),
            ("next_on", &f.next_on),
            ("reason", &f.reason),
            ("school", &f.school),
            ("authority", &f.authority),
            ("told_on", &f.told_on),
            ("why", &f.why),
        ]
        .into_iter()
        .filter_map(|(name, v)| {
            v.as_ref()
                .map(|v| (format!("{}-{name}", self.kind), v.clone()))
        })
        .collect()
    }
}

pub(crate) async fn record(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<FactForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let id = parse_id(&id)?;
    let Some(&(kind, first)) = KINDS.iter().find(|(k, _)| Some(*k) == form.fact.as_deref()) else {
        return Err(Problem::bad_request("fact", "Choose what to record").into());
    };
    let fields = Fields { kind, form: &form };
    let day = register_day(&state);
    let error = match fields.fact(day.today) {
        Err(error) => error,
        Ok(fact) => {
            match state
                .store
                .record_on_exclusion(&signed_in.user.principal, id, &fact, day, state.clock.now())
                .await?
            {
                Ok(()) => {
                    return Ok(
                        Redirect::to(&format!("/registers/exclusions/{id}?saved={kind}"))
                            .into_response(),
                    );
                }
                Err(RegisterRefusal::Invalid(why)) => {
                    let field = if why.field == "entry" {
                        first
                    } else {
                        why.field
                    };
                    fields.error(field, why.message)
                }
                Err(other) => return Err(refusal(other).into()),
            }
        }
    };
    let mut page = entry_page(&state, &signed_in, id).await?;
    page.layout = page.layout.with_error(true);
    page.errors = vec![error];
    page.form = kind.to_owned();
    page.typed = fields.typed();
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "exclusions_new.html")]
pub(crate) struct NewPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    /// The child's name when the id given is one the officer may see, or empty.
    pub child: String,
    pub person: String,
    pub first_day: String,
    pub schools: Vec<SchoolOption>,
}

crate::forms::form_page!(NewPage);

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewParams {
    person: Option<String>,
}

fn keeper(state: &AppState, signed_in: &SignedIn) -> Result<(), Problem> {
    if state
        .store
        .policy()
        .register_access(&signed_in.user.principal, Register::Exclusions)
        == Some(RegisterAccess::Keep)
    {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "Only the register's keepers add entries to it.",
        ))
    }
}

async fn new_page(
    state: &AppState,
    signed_in: &SignedIn,
    person: String,
    school: Option<Uuid>,
    first_day: String,
    errors: Vec<FieldError>,
) -> Result<NewPage, Problem> {
    let schools = school_options(state, &signed_in.user.principal, school).await?;
    // The child's name, so an officer who came from the child's page sees it is the right one.
    let child = match person_of(&person) {
        Some(id) => child_named(state, &signed_in.user.principal, id)
            .await?
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(NewPage {
        layout: Layout::new("Add a permanent exclusion", Some(signed_in), state)
            .with_error(!errors.is_empty()),
        errors,
        child,
        person,
        first_day,
        schools,
    })
}

pub(crate) async fn new_entry(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<NewParams>,
) -> Result<NewPage, PageProblem> {
    keeper(&state, &signed_in)?;
    Ok(new_page(
        &state,
        &signed_in,
        params.person.unwrap_or_default(),
        None,
        String::new(),
        Vec::new(),
    )
    .await?)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewForm {
    csrf_token: Option<String>,
    person: Option<String>,
    school: Option<String>,
    first_day: Option<String>,
}

pub(crate) async fn add_entry(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<NewForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    keeper(&state, &signed_in)?;
    let typed_person = form.person.clone().unwrap_or_default();
    let typed_day = form.first_day.clone().unwrap_or_default();
    let school = form
        .school
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse::<Uuid>().ok());
    let mut errors = Vec::new();
    let person = person_of(&typed_person);
    if person.is_none() {
        errors.push(FieldError {
            field: "new-person".into(),
            message: if typed_person.trim().is_empty() {
                "Enter the child's person id".into()
            } else {
                "Enter the person id from the child's page, like 0190…".into()
            },
        });
    }
    let first_day = parse_date(&typed_day);
    if first_day.is_none() {
        errors.push(FieldError {
            field: "new-first_day".into(),
            message: if typed_day.trim().is_empty() {
                "Enter the first day of the exclusion".into()
            } else {
                "Enter the first day of the exclusion as a real date, like 17/1/2023".into()
            },
        });
    }
    if let (Some(person), Some(first_day)) = (person, first_day) {
        let who = &signed_in.user.principal;
        let now = state.clock.now();
        match child_named(&state, who, person).await? {
            None => errors.push(FieldError {
                field: "new-person".into(),
                message: "There is no child with this person id".into(),
            }),
            Some(_) => match state
                .store
                .add_exclusion_entry(
                    who,
                    PersonId(person),
                    school.map(AgencyId),
                    first_day,
                    register_day(&state).today,
                    now,
                )
                .await?
            {
                Ok(id) => {
                    return Ok(
                        Redirect::to(&format!("/registers/exclusions/{id}?saved=added"))
                            .into_response(),
                    );
                }
                Err(RegisterRefusal::Invalid(why)) => errors.push(FieldError {
                    field: format!("new-{}", why.field),
                    message: why.message,
                }),
                Err(other) => return Err(refusal(other).into()),
            },
        }
    }
    let page = new_page(&state, &signed_in, typed_person, school, typed_day, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
