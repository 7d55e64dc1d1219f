//! People: the home page, finding a child and a child's single view, as pages (`pages.rs`)
//! and as JSON (`api.rs`). Thin: the store's gate decides what the viewer may see, and
//! audits each look.
//!
//! Templates: `templates/home.html`, `templates/search.html`, `templates/person.html`.

mod api;
mod journey;
mod pages;

use crate::nav::{self, NavEntry};
use crate::state::AppState;
use axum::Router;
use axum::routing::get;
use harbour_domain::{AgencyId, AgencyKind, TenantCode};

/// At most this many children on one page of search results (and by default in the API).
const SEARCH_LIMIT: usize = 50;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/people", get(pages::search))
        .route("/people/{id}", get(pages::person))
        .route("/api/v1/people", get(api::search_people))
        .route("/api/v1/people/{id}", get(api::get_person))
}

/// The local authority's schools, by name: what the search's school filter offers. (The
/// directory of agencies holds no child's data.)
async fn schools(
    state: &AppState,
    tenant: &TenantCode,
) -> Result<Vec<harbour_store::Agency>, harbour_store::StoreError> {
    let mut schools = state.store.list_agencies(tenant).await?;
    schools.retain(|a| a.kind == AgencyKind::School);
    Ok(schools)
}

/// The school a search names by its agency code (none for a blank one), or why not.
fn school_of(
    schools: &[harbour_store::Agency],
    code: Option<&str>,
) -> Result<Option<AgencyId>, &'static str> {
    code.map(|code| {
        schools
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.id)
            .ok_or("Choose a school from the list")
    })
    .transpose()
}

/// The home page: every signed-in user's queue.
pub(crate) const HOME_NAV: NavEntry = NavEntry {
    href: "/",
    label: "Home",
    shown: nav::everyone,
};

/// Finding a child: for roles the policy lets see any child's record at all.
pub(crate) const NAV: NavEntry = NavEntry {
    href: "/people",
    label: "Find a child",
    shown: |policy, who| !policy.scope(who).is_empty(),
};

/// The people part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::search_people, api::get_person),
    components(schemas(
        api::PersonSummaryBody,
        api::PersonBody,
        api::IdentityBody,
        api::TimelineEntryBody
    ))
)]
pub(crate) struct PeopleApi;
