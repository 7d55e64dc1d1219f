//! Identity review: the queue of uncertain pairs, and merging, splitting and undoing people,
//! as pages and as JSON. Thin: the store decides who may, does it, and audits it.
//!
//! Template: `templates/identity_review.html`. The merge, split and undo forms are on the
//! person page (`templates/person.html`).

use crate::layout::{FieldError, Layout, date_time, long_date};
use crate::nav::NavEntry;
use crate::problem::{ApiProblem, ErrorBody, PageProblem, Problem};
use crate::session::{ApiCaller, SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use harbour_domain::PersonId;
use harbour_policy::Function;
use harbour_store::{IdentityRefusal, LinkReviewItem, ReviewSide};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/identity-review", get(queue))
        .route("/identity-review/{id}", post(decide))
        .route("/people/{id}/split", post(split))
        .route("/people/{id}/merge", post(merge))
        .route("/person-changes/{id}/undo", post(undo))
        .route("/api/v1/identity-reviews", get(api_queue))
        .route("/api/v1/identity-reviews/{id}", post(api_decide))
        .route("/api/v1/people/{id}/split", post(api_split))
        .route("/api/v1/people/{id}/merge", post(api_merge))
        .route("/api/v1/person-changes/{id}/undo", post(api_undo))
}

pub(crate) const NAV: NavEntry = NavEntry {
    href: "/identity-review",
    label: "Same child?",
    shown: |policy, who| policy.allows_function(who, Function::IdentityReview),
};

/// The identity part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_queue, api_decide, api_split, api_merge, api_undo),
    components(schemas(
        ReviewPairBody,
        ReviewSideBody,
        EvidenceBody,
        DecisionBody,
        SplitBody,
        MergeBody,
        ChangeResultBody
    ))
)]
pub(crate) struct IdentityApi;

/// Pairs shown on one page of the queue.
const QUEUE_PAGE: i64 = 25;

fn refusal(refusal: IdentityRefusal) -> Problem {
    match refusal {
        IdentityRefusal::NotAllowed => {
            Problem::forbidden("Your role cannot change which records belong to which child.")
        }
        IdentityRefusal::NotFound => Problem::not_found(),
        IdentityRefusal::BadSplit => Problem::bad_request("records", refusal.to_string()),
        IdentityRefusal::NoReason => Problem::bad_request("reason", refusal.to_string()),
        other => Problem {
            status: StatusCode::CONFLICT,
            code: "conflict",
            message: other.to_string(),
            field: None,
        },
    }
}

fn parse_id(text: &str, field: &str) -> Result<Uuid, Problem> {
    text.parse()
        .map_err(|_| Problem::bad_request(field, format!("{text:?} is not a valid id")))
}

/// One row of the side-by-side comparison.
pub(crate) struct ComparedField {
    pub label: &'static str,
    pub a: String,
    pub b: String,
    pub level: String,
    /// "+6.2" or "−3.1" bits.
    pub weight: String,
    pub weight_class: &'static str,
}

pub(crate) struct PairView {
    pub id: String,
    pub probability: String,
    pub agency_a: String,
    pub agency_b: String,
    pub fields: Vec<ComparedField>,
}

fn shown(value: &Option<String>) -> String {
    value
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "–".into())
}

fn values(side: &ReviewSide) -> [String; 7] {
    [
        side.given_name.clone(),
        side.family_name.clone(),
        side.date_of_birth
            .map(long_date)
            .unwrap_or_else(|| "–".into()),
        shown(&side.postcode),
        shown(&side.sex),
        shown(&side.upn),
        shown(&side.nhs_number),
    ]
}

/// One row of the comparison table; `level` `None` means a side has no value.
fn compared(
    label: &'static str,
    a: String,
    b: String,
    level: Option<&str>,
    weight: f64,
) -> ComparedField {
    ComparedField {
        label,
        a,
        b,
        level: level.unwrap_or("not compared (missing)").to_owned(),
        weight: if weight >= 0.0 {
            format!("+{weight:.1}")
        } else {
            format!("\u{2212}{:.1}", -weight)
        },
        weight_class: if weight > 0.5 {
            "evidence--for"
        } else if weight < -0.5 {
            "evidence--against"
        } else {
            ""
        },
    }
}

impl From<LinkReviewItem> for PairView {
    fn from(item: LinkReviewItem) -> Self {
        let labels = [
            "Given name",
            "Family name",
            "Date of birth",
            "Postcode",
            "Sex",
            "UPN",
            "NHS number",
        ];
        let (a, b) = (values(&item.a), values(&item.b));
        let fields = labels
            .iter()
            .zip(a)
            .zip(b)
            .enumerate()
            .map(|(i, ((label, a), b))| {
                let evidence = item.evidence.get(i);
                compared(
                    label,
                    a,
                    b,
                    evidence.and_then(|e| e.level),
                    evidence.map_or(0.0, |e| e.weight),
                )
            })
            // After the fields, the engine's own lines: the twin share, when the pair looks
            // like twins (different given names, one birthday), so the bits add up to the
            // probability shown.
            .chain(
                item.evidence
                    .iter()
                    .skip(labels.len())
                    .map(|e| compared("Twins?", String::new(), String::new(), e.level, e.weight)),
            )
            .collect();
        PairView {
            id: item.id.to_string(),
            probability: format!("{:.1}%", item.probability * 100.0),
            agency_a: item.a.agency_name,
            agency_b: item.b.agency_name,
            fields,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "identity_review.html")]
pub(crate) struct ReviewPage {
    pub layout: Layout,
    pub pairs: Vec<PairView>,
    /// What was wrong with the decision just sent, if anything.
    pub errors: Vec<FieldError>,
    /// The pair that decision was about, and the note typed, kept.
    pub error_pair: String,
    pub note: String,
    /// Set when the decision was about a pair a colleague had decided meanwhile: how it was
    /// decided, in words ("Tom Reilly decided they are different children on …").
    pub already_decided: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<ReviewPage, PageProblem> {
    review_page(&state, &signed_in, Vec::new(), String::new(), String::new()).await
}

async fn review_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Vec<FieldError>,
    error_pair: String,
    note: String,
) -> Result<ReviewPage, PageProblem> {
    let items = state
        .store
        .link_reviews(&signed_in.user.principal, QUEUE_PAGE, state.clock.now())
        .await?
        .ok_or_else(|| refusal(IdentityRefusal::NotAllowed))?;
    Ok(ReviewPage {
        layout: Layout::new("Same child?", Some(signed_in), state).with_error(!errors.is_empty()),
        pairs: items.into_iter().map(PairView::from).collect(),
        errors,
        error_pair,
        note,
        already_decided: None,
    })
}

/// The queue again after a decision about a pair that has left it, or `None` if the pair
/// is not decided (then it does not exist, or is waiting and the caller carries on). The
/// page says who decided it and when; it never points at the pair's form, which is gone.
async fn decided_meanwhile(
    state: &AppState,
    signed_in: &SignedIn,
    pair: Uuid,
) -> Result<Option<Response>, PageProblem> {
    let Some(decided) = state
        .store
        .decided_review(&signed_in.user.principal, pair, state.clock.now())
        .await?
        .ok_or_else(|| refusal(IdentityRefusal::NotAllowed))?
    else {
        return Ok(None);
    };
    let what = if decided.same {
        "they are the same child"
    } else {
        "they are different children"
    };
    let who = decided.by.as_deref().unwrap_or("A colleague");
    let when = decided
        .at
        .map(|at| format!(" on {}", date_time(at)))
        .unwrap_or_default();
    let mut page = review_page(state, signed_in, Vec::new(), String::new(), String::new()).await?;
    page.already_decided = Some(format!("{who} decided {what}{when}."));
    Ok(Some((StatusCode::CONFLICT, page).into_response()))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    csrf_token: Option<String>,
    decision: Option<String>,
    note: Option<String>,
}

fn decision(text: Option<&str>) -> Result<bool, Problem> {
    match text {
        Some("same") => Ok(true),
        Some("different") => Ok(false),
        _ => Err(Problem::bad_request(
            "decision",
            "Choose whether the records are the same child or different children",
        )),
    }
}

async fn decide(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let id = parse_id(&id, "id")?;
    let note = form.note.unwrap_or_default();
    let same = match decision(form.decision.as_deref()) {
        Ok(same) => same,
        Err(problem) => {
            let errors = vec![field_error(&format!("decision-{id}"), problem.message)];
            let page = review_page(&state, &signed_in, errors, id.to_string(), note).await?;
            // The pair's form is on the page only while the pair waits: if a colleague has
            // decided it meanwhile, say so instead of pointing at a field that is not there.
            if !page.pairs.iter().any(|p| p.id == id.to_string())
                && let Some(decided) = decided_meanwhile(&state, &signed_in, id).await?
            {
                return Ok(decided);
            }
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let decided = state
        .store
        .decide_link_review(
            &signed_in.user.principal,
            id,
            same,
            &note,
            state.clock.now(),
        )
        .await?;
    match decided {
        Ok(_) => Ok(Redirect::to("/identity-review").into_response()),
        Err(IdentityRefusal::AlreadyDecided) => decided_meanwhile(&state, &signed_in, id)
            .await?
            .ok_or_else(|| refusal(IdentityRefusal::AlreadyDecided).into()),
        Err(other) => Err(refusal(other).into()),
    }
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// One of a child's records on the split form shown again.
pub(crate) struct SplitRecord {
    pub record: String,
    pub agency: String,
    pub name: String,
    pub date_of_birth: String,
    pub checked: bool,
}

/// The split or merge form shown again, with what was wrong and what was typed. (The forms
/// are first shown on the person page; this page repeats the one sent.)
#[derive(Template, WebTemplate)]
#[template(path = "identity_change.html")]
pub(crate) struct ChangePage {
    pub layout: Layout,
    pub person: String,
    /// "split" or "merge".
    pub kind: &'static str,
    pub errors: Vec<FieldError>,
    pub records: Vec<SplitRecord>,
    /// The id of the first record's checkbox, which the records' error links to.
    pub records_field: String,
    pub reason: String,
    pub other: String,
}

impl ChangePage {
    fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

fn change_page(
    state: &AppState,
    signed_in: &SignedIn,
    person: PersonId,
    kind: &'static str,
    error: FieldError,
) -> ChangePage {
    let title = if kind == "split" {
        "Split this child's records"
    } else {
        "Merge another record of this child"
    };
    ChangePage {
        layout: Layout::new(title, Some(signed_in), state).with_error(true),
        person: person.to_string(),
        kind,
        errors: vec![error],
        records: Vec::new(),
        records_field: String::new(),
        reason: String::new(),
        other: String::new(),
    }
}

fn unprocessable(page: ChangePage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// The split form: `csrf_token`, `reason`, and `record` once for each ticked record (a
/// repeated key, which serde's form decoding cannot collect, so it is read by hand).
async fn split(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageProblem> {
    let (mut token, mut reason, mut records) = (None, String::new(), Vec::new());
    for (key, value) in form_urlencoded::parse(&body) {
        match key.as_ref() {
            "csrf_token" => token = Some(value.into_owned()),
            "reason" => reason = value.into_owned(),
            "record" => records.push(parse_id(&value, "records")?),
            _ => {}
        }
    }
    check_form_token(&signed_in, token.as_deref())?;
    let person = PersonId(parse_id(&id, "id")?);
    let now = state.clock.now();
    let who = &signed_in.user.principal;
    let refused = match state
        .store
        .split_person(who, person, &records, &reason, now)
        .await?
    {
        Ok(new) => return Ok(Redirect::to(&format!("/people/{new}")).into_response()),
        Err(refused @ (IdentityRefusal::BadSplit | IdentityRefusal::NoReason)) => refused,
        Err(other) => return Err(refusal(other).into()),
    };
    // The form again: the child's records, those ticked still ticked, the reason kept.
    let view = state
        .store
        .person_view(who, person, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    let rows: Vec<SplitRecord> = view
        .identities
        .iter()
        .map(|r| SplitRecord {
            record: r.source_record.to_string(),
            agency: r.agency_name.clone(),
            name: format!("{} {}", r.given_name, r.family_name),
            date_of_birth: r.date_of_birth.map(long_date).unwrap_or_default(),
            checked: records.contains(&r.source_record.0),
        })
        .collect();
    let records_field = format!(
        "split-{}",
        rows.first().map(|r| r.record.as_str()).unwrap_or_default()
    );
    let error = if refused == IdentityRefusal::NoReason {
        field_error(
            "split-reason",
            "Say why the ticked records belong to a different child",
        )
    } else {
        field_error(
            &records_field,
            "Tick the records that belong to a different child, and leave at least one",
        )
    };
    let mut page = change_page(&state, &signed_in, person, "split", error);
    page.records = rows;
    page.records_field = records_field;
    page.reason = reason;
    Ok(unprocessable(page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct MergeForm {
    csrf_token: Option<String>,
    other: Option<String>,
    reason: Option<String>,
}

/// Merges another child (by the person id in the address of their page) into this one.
async fn merge(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let keep = PersonId(parse_id(&id, "id")?);
    let other_text = form.other.unwrap_or_default();
    let reason = form.reason.unwrap_or_default();
    let shown_again = |error: FieldError| {
        let mut page = change_page(&state, &signed_in, keep, "merge", error);
        page.other.clone_from(&other_text);
        page.reason.clone_from(&reason);
        Ok(unprocessable(page))
    };
    // Accept the id itself or the whole address of the other child's page.
    let other_id = other_text
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let Ok(other) = other_id.parse().map(PersonId) else {
        return shown_again(field_error(
            "merge-other",
            "Enter the address of the other child's page, or their person id",
        ));
    };
    let outcome = state
        .store
        .merge_persons(
            &signed_in.user.principal,
            keep,
            other,
            &reason,
            state.clock.now(),
        )
        .await?;
    match outcome {
        Ok(kept) => Ok(Redirect::to(&format!("/people/{kept}")).into_response()),
        Err(IdentityRefusal::NoReason) => shown_again(field_error(
            "merge-reason",
            "Say why they are the same child",
        )),
        Err(IdentityRefusal::SamePerson) => shown_again(field_error(
            "merge-other",
            "That is this child's own page: enter the address of the other child's page",
        )),
        Err(other) => Err(refusal(other).into()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct UndoForm {
    csrf_token: Option<String>,
}

async fn undo(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<UndoForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let change = parse_id(&id, "id")?;
    let person = state
        .store
        .undo_person_change(&signed_in.user.principal, change, state.clock.now())
        .await?
        .map_err(refusal)?;
    Ok(Redirect::to(&format!("/people/{person}")).into_response())
}

// ---- JSON ----

/// One record of a pair: identity only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReviewSideBody {
    record: Uuid,
    person: Uuid,
    agency: String,
    given_name: String,
    family_name: String,
    date_of_birth: Option<String>,
    sex: Option<String>,
    postcode: Option<String>,
    upn: Option<String>,
    nhs_number: Option<String>,
}

/// A field's part in the pair's score, in bits (positive: evidence they are the same child).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EvidenceBody {
    field: String,
    level: Option<String>,
    weight: f64,
    frequency_adjusted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReviewPairBody {
    id: Uuid,
    probability: f64,
    weight: f64,
    a: ReviewSideBody,
    b: ReviewSideBody,
    evidence: Vec<EvidenceBody>,
}

fn side_body(side: ReviewSide) -> ReviewSideBody {
    ReviewSideBody {
        record: side.record,
        person: side.person.0,
        agency: side.agency_name,
        given_name: side.given_name,
        family_name: side.family_name,
        date_of_birth: side.date_of_birth.map(|d| d.to_string()),
        sex: side.sex,
        postcode: side.postcode,
        upn: side.upn,
        nhs_number: side.nhs_number,
    }
}

#[utoipa::path(get, path = "/api/v1/identity-reviews", tag = "identity", operation_id = "identity_review_queue",
    responses(
        (status = 200, description = "Open pairs, most likely matches first", body = Vec<ReviewPairBody>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_queue(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<ReviewPairBody>>, ApiProblem> {
    let items = state
        .store
        .link_reviews(&caller.user.principal, QUEUE_PAGE * 4, state.clock.now())
        .await?
        .ok_or_else(|| refusal(IdentityRefusal::NotAllowed))?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| ReviewPairBody {
                id: i.id,
                probability: i.probability,
                weight: i.weight,
                a: side_body(i.a),
                b: side_body(i.b),
                evidence: i
                    .evidence
                    .into_iter()
                    .map(|e| EvidenceBody {
                        field: e.field.into(),
                        level: e.level.map(Into::into),
                        weight: e.weight,
                        frequency_adjusted: e.frequency_adjusted,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct DecisionBody {
    /// "same" or "different".
    decision: String,
    #[serde(default)]
    note: String,
}

/// The person the records belong to after a change.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangeResultBody {
    person: Uuid,
}

#[utoipa::path(post, path = "/api/v1/identity-reviews/{id}", tag = "identity",
    params(("id" = Uuid, Path, description = "The pair's id")),
    request_body = DecisionBody,
    responses(
        (status = 200, body = ChangeResultBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Already decided", body = ErrorBody)))]
async fn api_decide(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<DecisionBody>,
) -> Result<Json<ChangeResultBody>, ApiProblem> {
    let id = parse_id(&id, "id")?;
    let same = decision(Some(body.decision.as_str()))?;
    let person = state
        .store
        .decide_link_review(
            &caller.user.principal,
            id,
            same,
            &body.note,
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok(Json(ChangeResultBody { person: person.0 }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SplitBody {
    /// The source records to move to a new person.
    records: Vec<Uuid>,
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/people/{id}/split", tag = "identity",
    params(("id" = Uuid, Path, description = "The person to split")),
    request_body = SplitBody,
    responses(
        (status = 200, description = "The new person", body = ChangeResultBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_split(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<SplitBody>,
) -> Result<Json<ChangeResultBody>, ApiProblem> {
    let person = PersonId(parse_id(&id, "id")?);
    let new = state
        .store
        .split_person(
            &caller.user.principal,
            person,
            &body.records,
            &body.reason,
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok(Json(ChangeResultBody { person: new.0 }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MergeBody {
    /// The person whose records move into this one.
    other: Uuid,
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/people/{id}/merge", tag = "identity",
    params(("id" = Uuid, Path, description = "The person to keep")),
    request_body = MergeBody,
    responses(
        (status = 200, description = "The person kept", body = ChangeResultBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The same person twice", body = ErrorBody)))]
async fn api_merge(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<MergeBody>,
) -> Result<Json<ChangeResultBody>, ApiProblem> {
    let keep = PersonId(parse_id(&id, "id")?);
    let kept = state
        .store
        .merge_persons(
            &caller.user.principal,
            keep,
            PersonId(body.other),
            &body.reason,
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok(Json(ChangeResultBody { person: kept.0 }))
}

#[utoipa::path(post, path = "/api/v1/person-changes/{id}/undo", tag = "identity",
    params(("id" = Uuid, Path, description = "The merge or split to undo")),
    responses(
        (status = 200, body = ChangeResultBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already undone, or records moved since", body = ErrorBody)))]
async fn api_undo(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ChangeResultBody>, ApiProblem> {
    let change = parse_id(&id, "id")?;
    let person = state
        .store
        .undo_person_change(&caller.user.principal, change, state.clock.now())
        .await?
        .map_err(refusal)?;
    Ok(Json(ChangeResultBody { person: person.0 }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use harbour_link::score::Evidence;

    fn side(given: &str) -> ReviewSide {
        ReviewSide {
            record: Uuid::nil(),
            person: PersonId(Uuid::nil()),
            agency_name: "Agency".into(),
            given_name: given.into(),
            family_name: "Quennell".into(),
            date_of_birth: None,
            sex: None,
            postcode: None,
            upn: None,
            nhs_number: None,
            alias: None,
        }
    }

    #[test]
    fn a_twin_like_pair_shows_the_twin_share_as_a_row_of_its_own() {
        let field = |field, weight| Evidence {
            field,
            level: Some("x"),
            weight,
            frequency_adjusted: false,
        };
        let mut evidence: Vec<Evidence> = [
            "given name",
            "family name",
            "date of birth",
            "postcode",
            "sex",
            "UPN",
            "NHS number",
        ]
        .into_iter()
        .map(|f| field(f, 1.0))
        .collect();
        evidence.push(field("twins", -6.0));
        let item = LinkReviewItem {
            id: Uuid::nil(),
            probability: 0.3,
            weight: -1.2,
            a: side("Ruby"),
            b: side("Rose"),
            evidence,
        };
        let view = PairView::from(item.clone());
        assert_eq!(view.fields.len(), 8);
        let twins = &view.fields[7];
        assert_eq!(
            (twins.label, twins.weight.as_str()),
            ("Twins?", "\u{2212}6.0")
        );
        assert_eq!(twins.weight_class, "evidence--against");
        // A pair that does not look like twins has no such row.
        let mut plain = item;
        plain.evidence.pop();
        assert_eq!(PairView::from(plain).fields.len(), 7);
    }
}
