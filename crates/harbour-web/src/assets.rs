//! Static files, embedded in the binary so a deployment is one file.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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

pub(crate) async fn static_file(Path(name): Path<String>) -> Response {
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
