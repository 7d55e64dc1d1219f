//! The OpenAPI document of the JSON API under `/api/v1/`. Each capability declares its own
//! part beside its handlers and types (`alerts::AlertsApi`, …), so the document is generated
//! from the code and cannot drift from it; this file adds the title and the security scheme
//! and merges the parts, one line each. CI also diffs it against `docs/openapi.json`.

use crate::problem::ErrorBody;
use crate::state::AppState;
use crate::{
    alerts, exclusions, fair_access, feeds, identity, not_in_school, people, placements, service,
    work,
};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Harbour API",
        description = "Multi-agency safeguarding hub. Every call that returns personal data is filtered by the access policy and recorded in the audit. Authenticate with a signed-in session cookie.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

/// The whole document: the title, and each capability's part. (Paths and schemas are kept
/// sorted by name, so the order of the merges does not change the document.)
fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(service::ServiceApi::openapi());
    document.merge(people::PeopleApi::openapi());
    document.merge(feeds::FeedsApi::openapi());
    document.merge(identity::IdentityApi::openapi());
    document.merge(alerts::AlertsApi::openapi());
    document.merge(work::WorkApi::openapi());
    document.merge(exclusions::ExclusionsApi::openapi());
    document.merge(fair_access::FairAccessApi::openapi());
    document.merge(placements::PlacementsApi::openapi());
    document.merge(not_in_school::NotInSchoolApi::openapi());
    document
}

/// Declares the agency-token scheme the feed endpoints use.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "agency_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("hbt_ token")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, pretty-printed (what `GET /api/v1/openapi.json` serves).
pub fn openapi_json() -> String {
    document()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// `GET /api/v1/openapi.json`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
