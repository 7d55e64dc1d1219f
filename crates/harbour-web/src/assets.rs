//! Static files, embedded in the binary so a deployment is one file.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const STYLESHEET: &str = include_str!("../static/harbour.css");

/// Changes whenever the stylesheet does, so browsers may cache it for a year.
pub(crate) fn asset_version() -> &'static str {
    use std::sync::OnceLock;
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(STYLESHEET.as_bytes()))
            .chars()
            .take(12)
            .collect()
    })
}

/// `GET /static/{name}`.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/static/{name}", get(static_file))
}

async fn static_file(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "harbour.css" => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/css; charset=utf-8"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            STYLESHEET,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
