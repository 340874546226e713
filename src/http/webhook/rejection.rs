//! Why a webhook request was refused before any employee was looked at (or, for
//! a repeated delivery, before it was processed), and the HTTP answer for each
//! reason, in one place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tracing::info;

use super::{SignatureError, StandardError};
use crate::hr::FieldError;
use crate::http::BodyError;
use crate::lease::RETRY_AFTER_SECONDS;

/// A webhook request refused as a whole; nothing was written.
#[derive(Debug)]
pub enum Rejection {
    /// Not a POST.
    MethodNotAllowed,
    /// The body is too large or not valid base64.
    Body(BodyError),
    /// The `X-Onboarding-*` headers are missing, malformed, stale or do not match.
    Signature(SignatureError),
    /// The Standard Webhooks headers are missing, malformed, stale or do not match.
    StandardSignature(StandardError),
    /// An HR system's own signature headers (`/hr/…`) are missing, malformed,
    /// stale (`reason` says which), or well-formed and matching no key (`mismatch`).
    VendorSignature {
        reason: &'static str,
        mismatch: bool,
    },
    /// The signing secret cannot be read (the operator's problem, not the sender's).
    SecretUnavailable,
    /// The HR system's own API did not answer a call-back (retryable, `Retry-After`).
    HrSystemUnavailable(&'static str),
    /// The same Standard Webhooks delivery (`webhook-id`) is being processed by
    /// another invocation right now (retryable, `Retry-After`).
    DeliveryInProgress,
    /// The delivery record could not be read or written, so it is not processed
    /// (it could run twice otherwise).
    DeliveryRecordUnavailable,
    /// The signed body is not JSON (the message says where).
    InvalidJson(String),
    /// The JSON is not a valid onboarding request.
    InvalidField(FieldError),
}

/// An HTTP response with a JSON body.
pub fn http_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `response` with header `retry-after: seconds`.
pub fn with_retry_after(mut response: Response, seconds: i64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

impl Rejection {
    /// The HTTP status and error code the sender receives.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            Rejection::MethodNotAllowed => (405, "MethodNotAllowed"),
            Rejection::Body(BodyError::TooLarge) => (413, "PayloadTooLarge"),
            Rejection::Body(BodyError::BadBase64) => (400, "InvalidBody"),
            Rejection::Signature(_)
            | Rejection::StandardSignature(_)
            | Rejection::VendorSignature { .. } => (401, "InvalidSignature"),
            Rejection::SecretUnavailable | Rejection::DeliveryRecordUnavailable => {
                (500, "InternalError")
            }
            Rejection::DeliveryInProgress => (409, "DeliveryInProgress"),
            Rejection::HrSystemUnavailable(_) => (503, "HrSystemUnavailable"),
            Rejection::InvalidJson(_) => (400, "InvalidJson"),
            Rejection::InvalidField(_) => (400, "InvalidField"),
        }
    }

    /// Whether a well-formed signature matched no key (the secret may have been rotated).
    pub fn is_mismatch(&self) -> bool {
        matches!(
            self,
            Rejection::Signature(SignatureError::Mismatch)
                | Rejection::StandardSignature(StandardError::Mismatch)
                | Rejection::VendorSignature { mismatch: true, .. }
        )
    }

    /// The response for this rejection; logs the reason (never the body).
    pub fn response(&self, request_id: &str) -> Response {
        let (status, code) = self.status_and_code();
        let (message, field) = match self {
            Rejection::MethodNotAllowed => ("use POST".to_string(), None),
            Rejection::Body(err) => (err.to_string(), None),
            Rejection::Signature(err) => (err.to_string(), None),
            Rejection::StandardSignature(err) => (err.to_string(), None),
            Rejection::VendorSignature { reason, .. } => (reason.to_string(), None),
            Rejection::SecretUnavailable | Rejection::DeliveryRecordUnavailable => {
                ("internal error".to_string(), None)
            }
            Rejection::DeliveryInProgress => (
                format!(
                    "this delivery (webhook-id) is being processed by another invocation; \
                     nothing was done, retry after {RETRY_AFTER_SECONDS} s"
                ),
                None,
            ),
            Rejection::HrSystemUnavailable(reason) => (
                format!("{reason}; nothing was done, retry after {RETRY_AFTER_SECONDS} s"),
                None,
            ),
            Rejection::InvalidJson(message) => (message.clone(), None),
            Rejection::InvalidField(err) => (err.to_string(), Some(err.field.as_str())),
        };
        info!(status, code, reason = %message, field, "webhook rejected");
        let mut error = json!({"code": code, "message": message});
        if let Some(field) = field {
            error["field"] = json!(field);
        }
        if status == 500 {
            error["requestId"] = json!(request_id);
        }
        let mut response = http_response(status, json!({"error": error}));
        match self {
            Rejection::MethodNotAllowed => {
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                response
            }
            Rejection::DeliveryInProgress | Rejection::HrSystemUnavailable(_) => {
                with_retry_after(response, RETRY_AFTER_SECONDS)
            }
            _ => response,
        }
    }
}
