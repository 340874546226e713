//! The HTTP request of a webhook, from a Function URL / API Gateway HTTP API
//! (payload 2.0) or an API Gateway REST (payload 1.0) event.

use aws_lambda_events::http::HeaderMap;
use base64::Engine;

/// Largest accepted webhook body, in bytes (after base64 decoding).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

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

/// Why a webhook body cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Larger than [`MAX_BODY_BYTES`].
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// Flagged as base64 but not valid base64.
    #[error("the request body is marked base64 but is not valid base64")]
    BadBase64,
}

impl WebhookRequest {
    /// The value of header `name` (case-insensitive), if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The body as bytes: base64-decoded when `is_base64`, at most [`MAX_BODY_BYTES`].
pub fn decode_body(body: Option<String>, is_base64: bool) -> Result<Vec<u8>, BodyError> {
    let body = body.unwrap_or_default();
    let bytes = if is_base64 {
        if body.len() > MAX_BODY_BYTES.div_ceil(3) * 4 + 4 {
            return Err(BodyError::TooLarge);
        }
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|_| BodyError::BadBase64)?
    } else {
        body.into_bytes()
    };
    if bytes.len() > MAX_BODY_BYTES {
        Err(BodyError::TooLarge)
    } else {
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_body_size_and_checks_base64() {
        assert_eq!(
            decode_body(Some("x".repeat(MAX_BODY_BYTES + 1)), false),
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            decode_body(Some("x".repeat(MAX_BODY_BYTES)), false)
                .unwrap()
                .len(),
            MAX_BODY_BYTES
        );
        assert_eq!(
            decode_body(Some("not base64!".into()), true),
            Err(BodyError::BadBase64)
        );
        let big = base64::engine::general_purpose::STANDARD.encode(vec![b'a'; MAX_BODY_BYTES + 1]);
        assert_eq!(decode_body(Some(big), true), Err(BodyError::TooLarge));
    }
}
