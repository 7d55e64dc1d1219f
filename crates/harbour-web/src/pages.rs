//! Page handlers: read the request, ask the store's gate as the signed-in user, render.

use crate::problem::{PageProblem, Problem};
use crate::session::{self, MaybeSignedIn, SignedIn};
use crate::state::AppState;
use crate::views::{
    DemoAccount, FieldError, HealthPage, HomePage, Layout, PersonPage, SearchPage, SearchRow,
    SignInPage, role_labels,
};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::{PersonId, UserId};
use harbour_store::SearchQuery;
use serde::Deserialize;

/// At most this many children on one page of search results.
pub(crate) const SEARCH_LIMIT: usize = 50;

pub(crate) async fn home(State(state): State<AppState>, signed_in: SignedIn) -> HomePage {
    let user = &signed_in.user;
    HomePage {
        name: user.display_name.clone(),
        agency: user.agency_name.clone(),
        roles: role_labels(&user.principal.roles),
        layout: Layout::new("Home", Some(&signed_in), state.config.demo_sign_in),
    }
}

async fn sign_in_page(
    state: &AppState,
    errors: Vec<FieldError>,
) -> Result<SignInPage, PageProblem> {
    let demo_users = if state.config.demo_sign_in {
        state
            .store
            .list_demo_users()
            .await?
            .into_iter()
            .map(DemoAccount::from)
            .collect()
    } else {
        Vec::new()
    };
    Ok(SignInPage {
        layout: Layout::anonymous("Sign in", state.config.demo_sign_in)
            .with_error(!errors.is_empty()),
        errors,
        demo_users,
    })
}

pub(crate) async fn sign_in_form(State(state): State<AppState>) -> Result<SignInPage, PageProblem> {
    sign_in_page(&state, Vec::new()).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    user_id: Option<String>,
}

/// Demo sign-in: choose an account. Real accounts (password and second factor) arrive with
/// the security core; they will start sessions through the same `start_session`.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageProblem> {
    if !state.config.demo_sign_in {
        return Err(Problem::forbidden("Demo sign-in is switched off on this server.").into());
    }
    let chosen = form
        .user_id
        .as_deref()
        .unwrap_or("")
        .trim()
        .parse::<UserId>()
        .ok();
    let user = match chosen {
        Some(id) => state.store.demo_user(id).await?,
        None => None,
    };
    let Some(user) = user else {
        let error = FieldError {
            field: "user_id".into(),
            message: "Choose a demo account to sign in as".into(),
        };
        let page = sign_in_page(&state, vec![error]).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    // A fresh token at every sign-in, so a token planted before sign-in is worthless.
    let token = session::new_token()?;
    let now = state.clock.now();
    state
        .store
        .start_session(
            &user,
            &session::token_hash(&token),
            now,
            now + state.config.absolute_timeout,
        )
        .await?;
    tracing::info!(user = %user.principal.user, "signed in");
    Ok((
        [(
            header::SET_COOKIE,
            session::set_cookie(&token, state.config.secure_cookies),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignOutForm {
    csrf_token: Option<String>,
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<SignOutForm>,
) -> Result<Response, PageProblem> {
    if form.csrf_token.as_deref() != Some(signed_in.csrf_token().as_str()) {
        return Err(Problem::forbidden(
            "This form has expired. Go back, reload the page and try again.",
        )
        .into());
    }
    state
        .store
        .end_session(
            &signed_in.user,
            &session::token_hash(&signed_in.token),
            state.clock.now(),
        )
        .await?;
    Ok((
        [(
            header::SET_COOKIE,
            session::clear_cookie(state.config.secure_cookies),
        )],
        Redirect::to("/sign-in"),
    )
        .into_response())
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
    let layout = Layout::new("Find a child", Some(&signed_in), state.config.demo_sign_in);
    let Some(text) = params.q else {
        let page = SearchPage {
            layout,
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
    Ok(PersonPage::new(
        Layout::new("Person", Some(&signed_in), state.config.demo_sign_in),
        view,
    ))
}

pub(crate) async fn health(
    State(state): State<AppState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
) -> Response {
    let layout = Layout::new(
        "Service health",
        signed_in.as_ref(),
        state.config.demo_sign_in,
    );
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

/// Unknown addresses: a page in the service's design, or JSON under `/api/`.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::problem::ApiProblem(Problem::not_found()).into_response()
    } else {
        PageProblem(Problem::not_found()).into_response()
    }
}
