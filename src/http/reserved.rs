//! Routes reserved for the front doors that follow, each answering 404 in its own
//! format until it lands: SCIM 2.0 (`/scim/v2/`, an RFC 7644 §3.12 error) and the
//! one-time reveal page (`/reveal/`, an HTML page). (`/hr/` is the HR-system
//! connectors': [`super::connectors`].)

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// SCIM's media type (RFC 7644 §3.1).
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";

/// The reserved prefixes, each with its 404.
pub fn routes() -> Router {
    Router::new()
        .nest("/scim/v2", Router::new().fallback(scim_not_found))
        .nest("/reveal", Router::new().fallback(reveal_not_found))
}

async fn scim_not_found() -> Response {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "404",
        "detail": "no SCIM resource at this path",
    });
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, SCIM_MEDIA_TYPE)],
        body.to_string(),
    )
        .into_response()
}

/// A page with nothing to load: no script, no style, no external resource.
const NOT_FOUND_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Link not found</title></head><body><h1>This link is not valid</h1>\
<p>Ask your IT team for a new one.</p></body></html>\n";

async fn reveal_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        NOT_FOUND_PAGE,
    )
        .into_response()
}
