//! The placements' pages: the list with the pathway's figures, one placement with its forms,
//! and adding a placement by hand.

use super::view::{Row, child_name, fact_words};
use super::{keeps, not_theirs, parse_id, refusal, register_day};
use crate::forms::{child_named, optional_date, person_of, required_date};
use crate::layout::{FieldError, Layout, date_time};
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
use harbour_casework::placements::{Pathway, PlacementFact, PlacementOutcome, ProvisionKind};
use harbour_domain::PersonId;
use harbour_store::RegisterRefusal;
use serde::Deserialize;
use std::collections::BTreeMap;
use time::Date;
use uuid::Uuid;

/// The helpers `placements_details_fields.html` calls, on the two pages that include it (the
/// add form, ids `new-…`, and the correction form, ids `details-…`).
macro_rules! details_fields {
    ($page:ty) => {
        impl $page {
            fn value_in(&self, prefix: &str, name: &str) -> &str {
                self.value(&format!("{prefix}-{name}"))
            }

            fn error_in(&self, prefix: &str, name: &str) -> Option<&str> {
                self.error_for(&format!("{prefix}-{name}"))
            }

            fn has_error_in(&self, prefix: &str, name: &str) -> bool {
                self.has_error(&format!("{prefix}-{name}"))
            }
        }
    };
}

/// A choice of a closed list, for radios.
pub(crate) struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

fn kinds() -> Vec<Choice> {
    ProvisionKind::ALL
        .into_iter()
        .map(|k| Choice {
            code: k.code(),
            label: k.label(),
        })
        .collect()
}

fn outcomes() -> Vec<Choice> {
    PlacementOutcome::ALL
        .into_iter()
        .map(|o| Choice {
            code: o.code(),
            label: o.label(),
        })
        .collect()
}

/// The pathway's figures in words.
pub(crate) struct PathwayView {
    pub placements: usize,
    pub running: usize,
    pub part_time_running: usize,
    pub after_exclusion: usize,
    pub median_days: String,
    pub median_school_days: String,
    pub reviews_overdue: usize,
    pub excluded_without_placement: usize,
}

fn median_words(median: Option<f64>, unit: &str) -> String {
    median.map_or_else(|| "None yet".into(), |m| format!("{m} {unit}"))
}

impl PathwayView {
    fn of(p: &Pathway, excluded_without_placement: usize) -> Self {
        Self {
            placements: p.placements,
            running: p.running,
            part_time_running: p.part_time_running,
            after_exclusion: p.after_exclusion,
            median_days: median_words(p.median_days_from_exclusion, "days"),
            median_school_days: median_words(p.median_school_days_from_exclusion, "school days"),
            reviews_overdue: p.reviews_overdue,
            excluded_without_placement,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "placements_list.html")]
pub(crate) struct ListPage {
    pub layout: Layout,
    pub pathway: PathwayView,
    pub rows: Vec<Row>,
    pub show_ended: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    show: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> Result<ListPage, PageProblem> {
    let day = register_day(&state);
    let register = state
        .store
        .placements(&signed_in.user.principal, day, state.clock.now())
        .await?
        .ok_or_else(not_theirs)?;
    let show_ended = params.show.as_deref() == Some("all");
    let mut shown: Vec<&harbour_store::PlacementEntry> = register
        .entries
        .iter()
        .filter(|e| show_ended || e.assessment.ended.is_none())
        .collect();
    // The soonest review first (so the overdue ones lead), ended placements last: the order
    // the officer works in.
    shown.sort_by_key(|e| (e.assessment.next_review.is_none(), e.assessment.next_review));
    let rows: Vec<Row> = shown.into_iter().map(|e| Row::of(e, day.today)).collect();
    Ok(ListPage {
        layout: Layout::new("Alternative provision", Some(&signed_in), &state),
        pathway: PathwayView::of(&register.pathway, register.excluded_without_placement),
        rows,
        show_ended,
    })
}

pub(crate) struct HistoryRow {
    pub at: String,
    pub what: String,
    pub who: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "placements_entry.html")]
pub(crate) struct EntryPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub saved: String,
    pub id: String,
    pub row: Row,
    pub exclusion: String,
    pub opened: String,
    pub history: Vec<HistoryRow>,
    pub kinds: Vec<Choice>,
    pub outcomes: Vec<Choice>,
    pub form: String,
    pub typed: BTreeMap<String, String>,
}

crate::forms::form_page!(EntryPage, typed);
details_fields!(EntryPage);

#[derive(Debug, Deserialize)]
pub(crate) struct EntryParams {
    saved: Option<String>,
}

fn saved_words(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "details" => "Details saved",
        "reviewed" => "Review recorded",
        "ended" => "Placement ended",
        "added" => "Placement added",
        _ => return None,
    })
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

async fn entry_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: Uuid,
) -> Result<EntryPage, PageProblem> {
    let day = register_day(state);
    let entry = state
        .store
        .placement_entry(&signed_in.user.principal, id, day, state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    let row = Row::of(&entry, day.today);
    // The details form starts from what is recorded, so a correction changes one field.
    let a = &entry.assessment;
    let typed = [
        ("details-provider", a.provider.clone()),
        (
            "details-kind",
            a.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        ),
        (
            "details-hours",
            a.hours.map(|h| h.to_string()).unwrap_or_default(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Ok(EntryPage {
        layout: Layout::new(
            format!("{}: alternative provision", child_name(&entry)),
            Some(signed_in),
            state,
        ),
        errors: Vec::new(),
        saved: String::new(),
        id: entry.id.to_string(),
        exclusion: entry
            .exclusion_entry
            .map(|x| x.to_string())
            .unwrap_or_default(),
        opened: if entry.from_feed {
            format!("From the authority's feed, {}", date_time(entry.opened_at))
        } else {
            format!("By hand, {}", date_time(entry.opened_at))
        },
        history: entry
            .history
            .iter()
            .map(|f| HistoryRow {
                at: date_time(f.recorded_at),
                what: fact_words(&f.fact),
                who: f.recorded_by.clone().unwrap_or_else(|| "Harbour".into()),
            })
            .collect(),
        row,
        kinds: kinds(),
        outcomes: outcomes(),
        form: String::new(),
        typed,
    })
}

/// Every form on a placement's page, and the add form, post these fields; `fact` names which.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FactForm {
    csrf_token: Option<String>,
    fact: Option<String>,
    person: Option<String>,
    starts_on: Option<String>,
    provider: Option<String>,
    kind: Option<String>,
    hours: Option<String>,
    review_on: Option<String>,
    on: Option<String>,
    notes: Option<String>,
    next_on: Option<String>,
    outcome: Option<String>,
}

fn text(value: &Option<String>) -> String {
    value
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

/// Reads one form's fields; a missing or malformed value is refused naming its field (ids
/// are `{form}-{field}`), and the casework rules then check what the values mean.
struct Fields<'a> {
    form_id: &'static str,
    form: &'a FactForm,
}

impl Fields<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: format!("{}-{field}", self.form_id),
            message: message.into(),
        }
    }

    fn date(&self, field: &str, value: &Option<String>, what: &str) -> Result<Date, FieldError> {
        required_date(&text(value), what).map_err(|message| self.error(field, message))
    }

    fn optional_date(
        &self,
        field: &str,
        value: &Option<String>,
        what: &str,
    ) -> Result<Option<Date>, FieldError> {
        optional_date(&text(value), what).map_err(|message| self.error(field, message))
    }

    fn details(&self) -> Result<PlacementFact, FieldError> {
        let f = self.form;
        let kind = match text(&f.kind).as_str() {
            "" => None,
            code => Some(
                ProvisionKind::parse(code)
                    .ok_or_else(|| self.error("kind", "Choose the type of provision"))?,
            ),
        };
        let hours = match text(&f.hours).as_str() {
            "" => None,
            typed => Some(Hours::parse(typed).map_err(|why| self.error("hours", why))?),
        };
        Ok(PlacementFact::Details {
            provider: text(&f.provider),
            kind,
            hours,
            review_on: self.optional_date("review_on", &f.review_on, "the review date")?,
        })
    }

    fn fact(&self) -> Result<PlacementFact, FieldError> {
        let f = self.form;
        Ok(match self.form_id {
            "details" => self.details()?,
            "reviewed" => PlacementFact::Reviewed {
                on: self.date("on", &f.on, "the date of the review")?,
                notes: text(&f.notes),
                next_on: self.optional_date("next_on", &f.next_on, "the next review's date")?,
            },
            _ => PlacementFact::Ended {
                on: self.date("on", &f.on, "the date the placement ended")?,
                outcome: PlacementOutcome::parse(&text(&f.outcome))
                    .ok_or_else(|| self.error("outcome", "Choose how the placement ended"))?,
                notes: text(&f.notes),
            },
        })
    }

    fn typed(&self) -> BTreeMap<String, String> {
        let f = self.form;
        [
            ("person", &f.person),
            ("starts_on", &f.starts_on),
            ("provider", &f.provider),
            ("kind", &f.kind),
            ("hours", &f.hours),
            ("review_on", &f.review_on),
            ("on", &f.on),
            ("notes", &f.notes),
            ("next_on", &f.next_on),
            ("outcome", &f.outcome),
        ]
        .into_iter()
        .filter_map(|(name, v)| {
            v.as_ref()
                .map(|v| (format!("{}-{name}", self.form_id), v.clone()))
        })
        .collect()
    }
}

/// The forms of a placement's page: (fact, its first field for an error about the whole).
const KINDS: &[(&str, &str)] = &[("details", "provider"), ("reviewed", "on"), ("ended", "on")];

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
    let fields = Fields {
        form_id: kind,
        form: &form,
    };
    let day = register_day(&state);
    let error = match fields.fact() {
        Err(error) => error,
        Ok(fact) => match state
            .store
            .record_on_placement(&signed_in.user.principal, id, &fact, day, state.clock.now())
            .await?
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!(
                    "/registers/alternative-provision/{id}?saved={kind}"
                ))
                .into_response());
            }
            Err(RegisterRefusal::Invalid(why)) => {
                let field = if why.field == "placement" {
                    first
                } else {
                    why.field
                };
                fields.error(field, why.message)
            }
            Err(other) => return Err(refusal(other).into()),
        },
    };
    let mut page = entry_page(&state, &signed_in, id).await?;
    page.layout = page.layout.with_error(true);
    page.errors = vec![error];
    page.form = kind.to_owned();
    page.typed.extend(fields.typed());
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "placements_new.html")]
pub(crate) struct NewPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub child: String,
    pub kinds: Vec<Choice>,
    pub typed: BTreeMap<String, String>,
}

crate::forms::form_page!(NewPage, typed);
details_fields!(NewPage);

fn keeper(state: &AppState, signed_in: &SignedIn) -> Result<(), Problem> {
    if keeps(state, &signed_in.user.principal) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "Only the placements' keepers add placements.",
        ))
    }
}

async fn new_page(
    state: &AppState,
    signed_in: &SignedIn,
    typed: BTreeMap<String, String>,
    errors: Vec<FieldError>,
) -> Result<NewPage, Problem> {
    let person = typed.get("new-person").map_or("", String::as_str);
    let child = match person_of(person) {
        Some(id) => child_named(state, &signed_in.user.principal, id)
            .await?
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(NewPage {
        layout: Layout::new(
            "Add an alternative-provision placement",
            Some(signed_in),
            state,
        )
        .with_error(!errors.is_empty()),
        errors,
        child,
        kinds: kinds(),
        typed,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewParams {
    person: Option<String>,
}

pub(crate) async fn new_placement(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<NewParams>,
) -> Result<NewPage, PageProblem> {
    keeper(&state, &signed_in)?;
    let typed = params
        .person
        .map(|p| ("new-person".to_owned(), p))
        .into_iter()
        .collect();
    Ok(new_page(&state, &signed_in, typed, Vec::new()).await?)
}

pub(crate) async fn add_placement(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<FactForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    keeper(&state, &signed_in)?;
    let fields = Fields {
        form_id: "new",
        form: &form,
    };
    let mut errors = Vec::new();
    let typed_person = text(&form.person);
    let person = person_of(&typed_person);
    if person.is_none() {
        errors.push(fields.error(
            "person",
            if typed_person.is_empty() {
                "Enter the child's person id"
            } else {
                "Enter the person id from the child's page, like 0190…"
            },
        ));
    }
    let starts_on = fields
        .date(
            "starts_on",
            &form.starts_on,
            "the date the placement starts",
        )
        .map_err(|e| errors.push(e))
        .ok();
    let details = fields.details().map_err(|e| errors.push(e)).ok();
    if let (Some(person), Some(starts_on), Some(details)) = (person, starts_on, details) {
        let who = &signed_in.user.principal;
        match child_named(&state, who, person).await? {
            None => errors.push(fields.error("person", "There is no child with this person id")),
            Some(_) => match state
                .store
                .add_placement(
                    who,
                    PersonId(person),
                    starts_on,
                    details,
                    register_day(&state),
                    state.clock.now(),
                )
                .await?
            {
                Ok(id) => {
                    return Ok(Redirect::to(&format!(
                        "/registers/alternative-provision/{id}?saved=added"
                    ))
                    .into_response());
                }
                Err(RegisterRefusal::Invalid(why)) => {
                    errors.push(fields.error(why.field, why.message))
                }
                Err(other) => return Err(refusal(other).into()),
            },
        }
    }
    let page = new_page(&state, &signed_in, fields.typed(), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The child's placements, for the exclusions register's entry: `None` when the reader does
/// not keep the placements (they are not shown, and not read).
pub(crate) async fn of_child(
    state: &AppState,
    signed_in: &SignedIn,
    person: PersonId,
) -> Result<Option<Vec<Row>>, Problem> {
    if !keeps(state, &signed_in.user.principal) {
        return Ok(None);
    }
    let day = register_day(state);
    Ok(state
        .store
        .placements_of(&signed_in.user.principal, person, day, state.clock.now())
        .await?
        .map(|entries| entries.iter().map(|e| Row::of(e, day.today)).collect()))
}
