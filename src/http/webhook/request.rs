//! The parts of an HTTP request the webhook endpoint reads.

use axum::http::HeaderMap;

use crate::http::BodyError;

/// The parts of an HTTP request the webhook endpoint needs.
#[derive(Debug)]
pub struct WebhookRequest {
    /// HTTP method, upper-case.
    pub method: String,
    /// Request headers (case-insensitive).
    pub headers: HeaderMap,
    /// The raw body (base64-decoded when the event says so), or why it is unusable.
    pub body: Result<Vec<u8>, BodyError>,
}

impl WebhookRequest {
    /// The value of header `name` (case-insensitive), if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
