//! Page handlers: read the request, ask the store's gate as the signed-in user, render.

use crate::problem::{PageProblem, Problem};
use crate::session::{MaybeSignedIn, SignedIn};
use crate::state::AppState;
use crate::views::{
    FieldError, HealthPage, HomePage, Layout, PersonPage, SearchPage, SearchRow, role_labels,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use harbour_domain::PersonId;
use harbour_store::SearchQuery;
use serde::Deserialize;

/// At most this many children on one page of search results.
pub(crate) const SEARCH_LIMIT: usize = 50;

/// The home page is the user's work queue: alerts for children their role may see.
pub(crate) async fn home(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<HomePage, PageProblem> {
    let user = &signed_in.user;
    let alerts = state
        .store
        .alert_queue(&user.principal, state.clock.now())
        .await?;
    Ok(HomePage {
        name: user.display_name.clone(),
        agency: user.agency_name.clone(),
        roles: role_labels(&user.principal.roles),
        alerts: crate::alerts::rows(&state, &alerts),
        layout: Layout::new("Home", Some(&signed_in), &state),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<SearchParams>,
) -> Result<Response, PageProblem> {
    let layout = Layout::new("Find a child", Some(&signed_in), &state);
    let may_break_glass = state
        .store
        .policy()
        .may_break_glass(&signed_in.user.principal);
    let Some(text) = params.q else {
        let page = SearchPage {
            layout,
            may_break_glass,
            errors: vec![],
            query: String::new(),
            searched: false,
            results: vec![],
        };
        return Ok(page.into_response());
    };
    match SearchQuery::parse(&text) {
        Ok(query) => {
            let results = state
                .store
                .search_persons(
                    &signed_in.user.principal,
                    &query,
                    SEARCH_LIMIT,
                    state.clock.now(),
                )
                .await?;
            let results = results.into_iter().map(SearchRow::from).collect();
            Ok(SearchPage {
                layout,
                may_break_glass,
                errors: vec![],
                query: text,
                searched: true,
                results,
            }
            .into_response())
        }
        Err(message) => {
            let errors = vec![FieldError {
                field: "q".into(),
                message: message.into(),
            }];
            let page = SearchPage {
                layout: layout.with_error(true),
                may_break_glass,
                errors,
                query: text,
                searched: false,
                results: vec![],
            };
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

pub(crate) async fn person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(filter): Query<crate::views::TimelineFilter>,
) -> Result<PersonPage, PageProblem> {
    let id: PersonId = id.parse().map_err(|_| {
        Problem::bad_request(
            "id",
            "The person id in this address is not valid. Find the child again from search.",
        )
    })?;
    let view = state
        .store
        .person_view(&signed_in.user.principal, id, state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    let changes = state
        .store
        .person_changes(&signed_in.user.principal, id)
        .await?;
    let mut page = PersonPage::new(
        Layout::new("Person", Some(&signed_in), &state),
        view,
        &filter,
    );
    page.changes = changes.map(|list| {
        list.into_iter()
            .map(|c| crate::views::ChangeRow {
                id: c.id.to_string(),
                what: format!(
                    "{} of {} record{} by {}: {}",
                    match c.kind.as_str() {
                        "merge" => "Merge",
                        "split" => "Split",
                        _ => "Undo",
                    },
                    c.records_moved,
                    if c.records_moved == 1 { "" } else { "s" },
                    c.made_by.unwrap_or_else(|| "Harbour".into()),
                    c.reason
                ),
                when: crate::views::long_date(c.made_at.date()),
                undoable: !c.undone && c.kind != "undo",
            })
            .collect()
    });
    Ok(page)
}

pub(crate) async fn health(
    State(state): State<AppState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
) -> Response {
    let layout = Layout::new("Service health", signed_in.as_ref(), &state);
    match state.store.health().await {
        Ok(health) => HealthPage {
            layout,
            ok: true,
            backend: health.backend.to_owned(),
            schema_version: health.schema_version.to_string(),
        }
        .into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            let page = HealthPage {
                layout,
                ok: false,
                backend: state.store.location().backend_name().into(),
                schema_version: "unknown".into(),
            };
            (StatusCode::SERVICE_UNAVAILABLE, page).into_response()
        }
    }
}

/// The rows the user's own agency sent that were refused on import.
pub(crate) async fn quarantine(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<crate::views::QuarantinePage, PageProblem> {
    let rows = state
        .store
        .quarantine_for(&signed_in.user.principal, state.clock.now())
        .await?
        .ok_or_else(|| Problem::forbidden("Your role cannot review refused feed rows."))?;
    Ok(crate::views::QuarantinePage {
        layout: Layout::new("Refused feed rows", Some(&signed_in), &state),
        agency: signed_in.user.agency_name.clone(),
        rows: rows
            .into_iter()
            .map(crate::views::QuarantineRowView::from)
            .collect(),
    })
}

/// The same rows as a CSV download, every cell made safe to open in a spreadsheet.
pub(crate) async fn quarantine_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageProblem> {
    let rows = state
        .store
        .quarantine_for(&signed_in.user.principal, state.clock.now())
        .await?
        .ok_or_else(|| Problem::forbidden("Your role cannot review refused feed rows."))?;
    let mut body = Vec::new();
    harbour_import::export::write_quarantine_csv(&mut body, &rows)
        .map_err(|_| Problem::internal())?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"refused-feed-rows.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// Unknown addresses: a page in the service's design, or JSON under `/api/`.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::problem::ApiProblem(Problem::not_found()).into_response()
    } else {
        PageProblem(Problem::not_found()).into_response()
    }
}
