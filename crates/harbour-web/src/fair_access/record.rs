//! Recording in the log kept in Harbour: a panel decision (the child, the panel's day, the
//! school allocated, why, and the school's answer if given at the panel), and a school's later
//! answer. Templates: `templates/fair_access_new.html`, `templates/fair_access_answer.html`.

use super::{keeps, refusal, today};
use crate::forms::{SchoolOption, child_named, parse_date, person_of, school_options};
use crate::layout::{FieldError, Layout};
use crate::problem::{PageProblem, Problem};
use crate::session::{SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_casework::fair_access::Response as Answer;
use harbour_domain::{AgencyId, PersonId};
use harbour_store::RegisterRefusal;
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the officer typed, by field id, and the errors about it.
struct Typed {
    values: BTreeMap<String, String>,
    errors: Vec<FieldError>,
}

impl Typed {
    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "fair_access_new.html")]
pub(crate) struct NewPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub child: String,
    pub schools: Vec<SchoolOption>,
    pub typed: BTreeMap<String, String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "fair_access_answer.html")]
pub(crate) struct AnswerPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub id: String,
    pub typed: BTreeMap<String, String>,
}

crate::forms::form_page!(NewPage, typed);
crate::forms::form_page!(AnswerPage, typed);

fn keeper(state: &AppState, signed_in: &SignedIn) -> Result<(), Problem> {
    if keeps(state, &signed_in.user.principal) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "Only the fair-access log's keepers record on it.",
        ))
    }
}

fn answer_of(code: &str) -> Option<Answer> {
    match code {
        "pending" => Some(Answer::Pending),
        "accepted" => Some(Answer::Accepted),
        "refused" => Some(Answer::Refused),
        _ => None,
    }
}

async fn new_page(
    state: &AppState,
    signed_in: &SignedIn,
    typed: Typed,
) -> Result<NewPage, Problem> {
    let who = &signed_in.user.principal;
    let chosen = typed
        .values
        .get("new-school")
        .and_then(|s| s.parse::<Uuid>().ok());
    let child = match typed.values.get("new-person").and_then(|p| person_of(p)) {
        Some(id) => child_named(state, who, id).await?.unwrap_or_default(),
        None => String::new(),
    };
    Ok(NewPage {
        layout: Layout::new("Record a fair-access decision", Some(signed_in), state)
            .with_error(!typed.errors.is_empty()),
        errors: typed.errors,
        child,
        schools: school_options(state, who, chosen).await?,
        typed: typed.values,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewParams {
    person: Option<String>,
}

pub(crate) async fn new_decision(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<NewParams>,
) -> Result<NewPage, PageProblem> {
    keeper(&state, &signed_in)?;
    let values = params
        .person
        .map(|p| ("new-person".to_owned(), p))
        .into_iter()
        .collect();
    let typed = Typed {
        values,
        errors: Vec::new(),
    };
    Ok(new_page(&state, &signed_in, typed).await?)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DecisionForm {
    csrf_token: Option<String>,
    person: Option<String>,
    on: Option<String>,
    school: Option<String>,
    reason: Option<String>,
    response: Option<String>,
}

pub(crate) async fn add_decision(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    keeper(&state, &signed_in)?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let mut typed = Typed {
        values: [
            ("new-person", text(&form.person)),
            ("new-on", text(&form.on)),
            ("new-school", text(&form.school)),
            ("new-reason", text(&form.reason)),
            ("new-response", text(&form.response)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        errors: Vec::new(),
    };
    let person = person_of(&text(&form.person));
    if person.is_none() {
        typed.error(
            "new-person",
            "Enter the child's person id, from the child's page",
        );
    }
    let on = parse_date(&text(&form.on));
    if on.is_none() {
        typed.error(
            "new-on",
            "Enter the date of the panel as a real date, like 17/1/2023",
        );
    }
    let school = text(&form.school).parse::<Uuid>().ok();
    if school.is_none() {
        typed.error("new-school", "Choose the school the child was allocated to");
    }
    let response = answer_of(&text(&form.response));
    if response.is_none() {
        typed.error("new-response", "Choose the school's answer, or awaiting it");
    }
    if let (Some(person), Some(on), Some(school), Some(response)) = (person, on, school, response) {
        let who = &signed_in.user.principal;
        match child_named(&state, who, person).await? {
            None => typed.error("new-person", "There is no child with this person id"),
            Some(_) => match state
                .store
                .log_fair_access_decision(
                    who,
                    PersonId(person),
                    on,
                    AgencyId(school),
                    &text(&form.reason),
                    response,
                    today(&state),
                    state.clock.now(),
                )
                .await?
            {
                Ok(_) => return Ok(Redirect::to("/fair-access?saved=decision").into_response()),
                Err(RegisterRefusal::Invalid(why)) => {
                    typed.error(&format!("new-{}", why.field), why.message);
                }
                Err(other) => return Err(refusal(other).into()),
            },
        }
    }
    let page = new_page(&state, &signed_in, typed).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn answer_view(state: &AppState, signed_in: &SignedIn, id: Uuid, typed: Typed) -> AnswerPage {
    AnswerPage {
        layout: Layout::new("Record the school's answer", Some(signed_in), state)
            .with_error(!typed.errors.is_empty()),
        errors: typed.errors,
        id: id.to_string(),
        typed: typed.values,
    }
}

fn parse_id(text: &str) -> Result<Uuid, Problem> {
    text.parse()
        .map_err(|_| Problem::bad_request("id", "This decision's address is not valid."))
}

pub(crate) async fn answer_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<AnswerPage, PageProblem> {
    keeper(&state, &signed_in)?;
    let id = parse_id(&id)?;
    let typed = Typed {
        values: BTreeMap::new(),
        errors: Vec::new(),
    };
    Ok(answer_view(&state, &signed_in, id, typed))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AnswerForm {
    csrf_token: Option<String>,
    on: Option<String>,
    response: Option<String>,
}

pub(crate) async fn answer(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    keeper(&state, &signed_in)?;
    let id = parse_id(&id)?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let mut typed = Typed {
        values: [
            ("answer-on", text(&form.on)),
            ("answer-response", text(&form.response)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        errors: Vec::new(),
    };
    let on = parse_date(&text(&form.on));
    if on.is_none() {
        typed.error(
            "answer-on",
            "Enter the date the school answered, like 17/1/2023",
        );
    }
    let response = answer_of(&text(&form.response)).filter(|r| *r != Answer::Pending);
    if response.is_none() {
        typed.error(
            "answer-response",
            "Choose whether the school accepted or refused",
        );
    }
    if let (Some(on), Some(response)) = (on, response) {
        match state
            .store
            .answer_fair_access_decision(
                &signed_in.user.principal,
                id,
                on,
                response,
                today(&state),
                state.clock.now(),
            )
            .await?
        {
            Ok(()) => return Ok(Redirect::to("/fair-access?saved=answer").into_response()),
            Err(RegisterRefusal::Invalid(why)) => {
                typed.error(&format!("answer-{}", why.field), why.message);
            }
            Err(other) => return Err(refusal(other).into()),
        }
    }
    let page = answer_view(&state, &signed_in, id, typed);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
