//! SCIM errors (RFC 7644 §3.12): `{schemas, status, scimType, detail}` with the
//! HTTP status, in SCIM's media type; a throttled IAM becomes `429` and a
//! change that may succeed later `503`, both with `Retry-After`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::SCIM_MEDIA_TYPE;
use crate::identity::{EmployeeResult, Status};
use crate::lease::RETRY_AFTER_SECONDS;

/// The error message schema (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM error answer. `detail` is for people and never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// The HTTP status.
    pub status: StatusCode,
    /// RFC 7644 Table 9's `scimType` (`uniqueness`, `invalidFilter`, …), for 400 and 409.
    pub scim_type: Option<&'static str>,
    /// What went wrong.
    pub detail: String,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<i64>,
}

impl ScimError {
    fn new(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// `400` with a `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    /// `400 invalidValue`: a field and why (the input changed nothing).
    pub fn invalid_value(field: &str, reason: &str) -> Self {
        Self::bad_request("invalidValue", format!("{field}: {reason}"))
    }

    /// `400 invalidValue` for an HR field error, named as SCIM names the field.
    pub fn field(error: &crate::hr::FieldError) -> Self {
        Self::invalid_value(&scim_field(&error.field), &error.reason)
    }

    /// `401`: no bearer token, or not the configured one.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            None,
            "a valid bearer token is required (Authorization: Bearer <SCIM token>)",
        )
    }

    /// `404`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// `405` for a method the resource does not take.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "this method is not supported on this resource",
        )
    }

    /// `415`: a body in another media type than SCIM's or JSON.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send application/scim+json (or application/json)",
        )
    }

    /// `409 uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
    }

    /// `409` without a `scimType`: the resource is not in a state for this change.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, None, detail)
    }

    /// `500`: an AWS call failed (step and code in `detail`).
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, detail)
    }

    /// `501`: a SCIM feature this provider does not offer.
    pub fn not_implemented(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, None, detail)
    }

    /// `503` with `Retry-After`: try again shortly (another change of the same
    /// person is in progress, or the invocation ran out of time).
    pub fn busy(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, None, detail)
        }
    }

    /// `429` with `Retry-After`: IAM throttled us beyond the SDK's retries.
    pub fn throttled(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, Some("tooMany"), detail)
        }
    }

    /// The error for an AWS call that failed with `code`.
    pub fn aws(step: &str, code: &str, message: &str) -> Self {
        let detail = format!("{step} failed: {code}: {message}");
        if is_throttling(code) {
            Self::throttled(detail)
        } else {
            Self::internal(detail)
        }
    }

    /// The error a workflow's result stands for; `None` for a success.
    pub fn of_result(result: &EmployeeResult) -> Option<Self> {
        if result.status.is_success() {
            return None;
        }
        let (code, message, field, step) =
            result
                .error
                .as_ref()
                .map_or(("Unknown", "no detail", None, None), |e| {
                    (
                        e.code.as_str(),
                        e.message.as_str(),
                        e.field.as_deref(),
                        e.step.map(|s| s.operation()),
                    )
                });
        Some(match result.status {
            Status::Rejected => {
                Self::invalid_value(&scim_field(field.unwrap_or("(body)")), message)
            }
            Status::Conflict => Self::uniqueness(message.to_string()),
            Status::NotFound => Self::not_found(message.to_string()),
            Status::NotStarted => Self::busy(message.to_string()),
            _ if code == "OnboardingInProgress" => Self::busy(message.to_string()),
            _ => Self::aws(step.unwrap_or("the change"), code, message),
        })
    }
}

/// Throttling error codes of AWS services (the SDK's retry classifier's list).
fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "RequestThrottled"
            | "SlowDown"
    )
}

/// The SCIM attribute an HR field error names.
fn scim_field(field: &str) -> String {
    let field = field.strip_prefix("employee.").unwrap_or(field);
    match field {
        "email" => "emails".into(),
        "username" => "userName".into(),
        "givenName" => "name.givenName".into(),
        "familyName" => "name.familyName".into(),
        "employeeId" => "employeeNumber".into(),
        other => other.into(),
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, SCIM_MEDIA_TYPE)],
            body.to_string(),
        )
            .into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{AwsError, Step};

    fn failed(code: &str) -> EmployeeResult {
        let err = AwsError {
            code: code.into(),
            message: "Rate exceeded".into(),
        };
        EmployeeResult::for_user("jane", Status::Failed).with_failure(Step::CreateUser, &err, "")
    }

    #[test]
    fn throttling_is_429_with_retry_after_and_a_partial_failure_is_never_2xx() {
        let throttled = ScimError::of_result(&failed("Throttling")).unwrap();
        assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
        let response = throttled.into_response();
        assert_eq!(
            response.headers()[header::RETRY_AFTER],
            RETRY_AFTER_SECONDS.to_string()
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], SCIM_MEDIA_TYPE);
        let other = ScimError::of_result(&failed("ServiceFailure")).unwrap();
        assert_eq!(other.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(other.detail.contains("ServiceFailure"), "{}", other.detail);
        let busy = ScimError::of_result(&failed("OnboardingInProgress")).unwrap();
        assert_eq!(
            (busy.status, busy.retry_after),
            (StatusCode::SERVICE_UNAVAILABLE, Some(RETRY_AFTER_SECONDS))
        );
        let done = EmployeeResult::for_user("jane", Status::Updated);
        assert_eq!(ScimError::of_result(&done), None);
    }
}
