//! The route reserved for the front door that follows, answering 404 in its own
//! format until it lands: SCIM 2.0 (`/scim/v2/`, an RFC 7644 §3.12 error).
//! (`/hr/` is the HR-system connectors': [`super::connectors`]; `/reveal/` the
//! reveal page's: [`super::reveal`].)

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// SCIM's media type (RFC 7644 §3.1).
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";

/// The reserved prefixes, each with its 404.
pub fn routes() -> Router {
    Router::new().nest("/scim/v2", Router::new().fallback(scim_not_found))
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
