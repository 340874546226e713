//! The Lambda handler: turns each trigger into an onboarding request, runs it,
//! and answers in the trigger's own terms (HTTP response, error for retries, results).

use std::time::{Duration, Instant};

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tracing::{Instrument, error, info, info_span, warn};

use crate::aws::secrets::Secrets;
use crate::employee::{FieldError, mask_emails_in};
use crate::onboard::{AccountContext, EmployeeResult, Onboarder, Status, unix_now};
use crate::request::OnboardingRequest;
use crate::trigger::{EMPLOYEE_HIRED, Trigger, WebhookRequest};
use crate::webhook::{self, SignatureError, SigningKey};

/// How long fetched webhook secrets are reused.
const SECRET_TTL: Duration = Duration::from_secs(300);
/// After a signature mismatch, secrets older than this are fetched again (rotation).
const SECRET_REFRESH_AFTER: Duration = Duration::from_secs(30);

/// Errors returned to the Lambda runtime (direct invokes and EventBridge).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The request as a whole is invalid.
    #[error("invalid request: {0}")]
    InvalidRequest(FieldError),
    /// The event is of a kind this function does not handle.
    #[error("unsupported event: {0}")]
    UnsupportedEvent(String),
    /// An EventBridge event did not end with the employee onboarded; the
    /// error makes Lambda retry the event and finally send it to the DLQ.
    #[error("employee not onboarded ({status}): {message}")]
    NotOnboarded {
        /// The result's status.
        status: &'static str,
        /// The result's error message.
        message: String,
    },
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Self {
        let error_type = match &err {
            HandlerError::InvalidRequest(_) => "InvalidRequest",
            HandlerError::UnsupportedEvent(_) => "UnsupportedEvent",
            HandlerError::NotOnboarded {
                status: "rejected", ..
            } => "EmployeeRejected",
            HandlerError::NotOnboarded {
                status: "conflict", ..
            } => "UserConflict",
            HandlerError::NotOnboarded { .. } => "OnboardingFailed",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: err.to_string(),
        }
    }
}

struct CachedKeys {
    fetched: Instant,
    keys: Vec<SigningKey>,
}

/// Everything a warm container keeps between invocations.
pub struct App {
    onboarder: Onboarder,
    secrets: Secrets,
    keys: Mutex<Option<CachedKeys>>,
}

fn http_response(status: u16, body: Value) -> Value {
    json!({
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": body.to_string(),
        "isBase64Encoded": false,
    })
}

fn http_error(status: u16, code: &str, message: &str, field: Option<&str>) -> Value {
    let mut error = json!({"code": code, "message": message});
    if let Some(field) = field {
        error["field"] = json!(field);
    }
    http_response(status, json!({"error": error}))
}

/// HTTP status for a set of results: 201 all created, 200 nothing new (already
/// onboarded / dry run), 400/409/500 when all failed the same way, 207 otherwise.
pub fn http_status(results: &[EmployeeResult]) -> u16 {
    let all = |pred: fn(Status) -> bool| results.iter().all(|r| pred(r.status));
    if all(Status::is_success) {
        if results.iter().any(|r| r.status == Status::Created) {
            201
        } else {
            200
        }
    } else if all(|s| s == Status::Rejected) {
        400
    } else if all(|s| s == Status::Conflict) {
        409
    } else if all(|s| s == Status::Failed) {
        500
    } else {
        207
    }
}

impl App {
    /// The handler state for a container.
    pub fn new(onboarder: Onboarder, secrets: Secrets) -> Self {
        Self {
            onboarder,
            secrets,
            keys: Mutex::new(None),
        }
    }

    /// Handles one invocation.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
        let (payload, context) = event.into_parts();
        let account = AccountContext::from_function_arn(&context.invoked_function_arn);
        tracing::debug!(function_arn = %context.invoked_function_arn, "invocation received");
        let trigger =
            Trigger::from_event(payload).map_err(|e| HandlerError::UnsupportedEvent(e.0))?;
        match trigger {
            Trigger::Direct(payload) => {
                // The runtime's own span already carries the request id.
                let span = info_span!("direct");
                self.direct(&payload, &account).instrument(span).await
            }
            Trigger::EventBridge(event) => {
                let correlation_id = event.id.clone().unwrap_or_default();
                let span = info_span!("eventbridge", correlation_id = %correlation_id);
                self.eventbridge(event, &account).instrument(span).await
            }
            Trigger::Webhook(request) => {
                let span = info_span!("webhook");
                Ok(self
                    .webhook(request, &context.request_id, &account)
                    .instrument(span)
                    .await)
            }
        }
    }

    fn parse(&self, payload: &Value) -> Result<OnboardingRequest, FieldError> {
        OnboardingRequest::parse(payload, &self.onboarder.config().allowed_groups)
    }

    async fn direct(
        &self,
        payload: &Value,
        account: &AccountContext,
    ) -> Result<Value, HandlerError> {
        let request = self.parse(payload).map_err(|e| {
            info!(field = %e.field, "invalid request");
            HandlerError::InvalidRequest(e)
        })?;
        let results = self.onboarder.run(request, account).await;
        Ok(json!({"results": results}))
    }

    async fn eventbridge(
        &self,
        event: aws_lambda_events::eventbridge::EventBridgeEvent<Value>,
        account: &AccountContext,
    ) -> Result<Value, HandlerError> {
        if event.detail_type != EMPLOYEE_HIRED {
            warn!(detail_type = %event.detail_type, "unsupported EventBridge detail-type");
            return Err(HandlerError::UnsupportedEvent(format!(
                "detail-type {:?} is not handled; only {EMPLOYEE_HIRED:?}",
                event.detail_type
            )));
        }
        let source = event.source.as_str();
        if let Some(expected) = &self.onboarder.config().eventbridge_source
            && source != expected
        {
            warn!(source, "unexpected EventBridge source");
            return Err(HandlerError::UnsupportedEvent(format!(
                "source {source:?} is not the configured EVENTBRIDGE_SOURCE {expected:?}"
            )));
        }
        // `detail` is the employee object, or a whole onboarding request (with dryRun or a batch).
        let payload =
            if event.detail.get("employee").is_some() || event.detail.get("employees").is_some() {
                event.detail
            } else {
                json!({"employee": event.detail})
            };
        let request = self
            .parse(&payload)
            .map_err(|e| HandlerError::InvalidRequest(e.within("detail")))?;
        let results = self.onboarder.run(request, account).await;
        if let Some(bad) = results.iter().find(|r| {
            !matches!(
                r.status,
                Status::Created | Status::AlreadyOnboarded | Status::DryRun
            )
        }) {
            return Err(HandlerError::NotOnboarded {
                status: bad.status.as_str(),
                // The runtime logs this error: AWS messages may name the recipient.
                message: bad
                    .error
                    .as_ref()
                    .map(|e| mask_emails_in(&e.message))
                    .unwrap_or_default(),
            });
        }
        Ok(json!({"results": results}))
    }

    async fn webhook(
        &self,
        request: WebhookRequest,
        request_id: &str,
        account: &AccountContext,
    ) -> Value {
        if request.method != "POST" {
            info!(method = %request.method, status = 405, "webhook rejected");
            let mut response = http_error(405, "MethodNotAllowed", "use POST", None);
            response["headers"]["allow"] = json!("POST");
            return response;
        }
        let body = match &request.body {
            Ok(body) => body,
            Err(err) => {
                let status = if *err == crate::trigger::BodyError::TooLarge {
                    413
                } else {
                    400
                };
                info!(status, "webhook rejected: body unusable");
                let code = if status == 413 {
                    "PayloadTooLarge"
                } else {
                    "InvalidBody"
                };
                return http_error(status, code, &err.to_string(), None);
            }
        };
        match self.check_signature(&request, body).await {
            Ok(()) => {}
            Err(Some(err)) => {
                info!(reason = %err, status = 401, "webhook rejected: signature");
                return http_error(401, "InvalidSignature", &err.to_string(), None);
            }
            Err(None) => return internal_error(request_id),
        }
        let payload: Value = match serde_json::from_slice(body) {
            Ok(payload) => payload,
            Err(err) => {
                info!(status = 400, "webhook rejected: invalid JSON");
                let message = format!(
                    "the body is not valid JSON ({} at line {} column {})",
                    kind(&err),
                    err.line(),
                    err.column()
                );
                return http_error(400, "InvalidJson", &message, None);
            }
        };
        let parsed = match self.parse(&payload) {
            Ok(parsed) => parsed,
            Err(err) => {
                info!(field = %err.field, status = 400, "webhook rejected: invalid request");
                return http_error(400, "InvalidField", &err.to_string(), Some(&err.field));
            }
        };
        let mut results = self.onboarder.run(parsed, account).await;
        let status = http_status(&results);
        for result in results.iter_mut().filter(|r| r.status == Status::Failed) {
            // Step and AWS details stay in the logs; the HR system gets the request id.
            if let Some(error) = result.error.as_mut() {
                error.code = "InternalError".into();
                error.message = format!(
                    "onboarding failed; the operator can find details under request id {request_id}"
                );
                error.step = None;
            }
        }
        info!(status, "webhook answered");
        http_response(status, json!({"requestId": request_id, "results": results}))
    }

    /// `Err(Some)` for a bad signature (401), `Err(None)` when the secret cannot be read (500).
    async fn check_signature(
        &self,
        request: &WebhookRequest,
        body: &[u8],
    ) -> Result<(), Option<SignatureError>> {
        let verify = |keys: &[SigningKey]| {
            webhook::verify(
                request.header(webhook::TIMESTAMP_HEADER),
                request.header(webhook::SIGNATURE_HEADER),
                body,
                keys,
                unix_now(),
            )
        };
        let mut cache = self.keys.lock().await;
        let fresh = |c: &Option<CachedKeys>, max: Duration| {
            c.as_ref().is_some_and(|c| c.fetched.elapsed() < max)
        };
        if !fresh(&cache, SECRET_TTL) {
            match self.fetch_keys().await {
                Some(keys) => *cache = Some(keys),
                // Secrets Manager unavailable: keep verifying with the keys we have.
                None if cache.is_some() => {
                    warn!("using the cached webhook secret after a failed refresh")
                }
                None => return Err(None),
            }
        }
        let keys = &cache.as_ref().ok_or(None)?.keys;
        match verify(keys) {
            Err(SignatureError::Mismatch) if !fresh(&cache, SECRET_REFRESH_AFTER) => {
                // The secret may have been rotated since it was cached.
                *cache = Some(self.fetch_keys().await.ok_or(None)?);
                verify(&cache.as_ref().ok_or(None)?.keys).map_err(Some)
            }
            other => other.map_err(Some),
        }
    }

    async fn fetch_keys(&self) -> Option<CachedKeys> {
        let Some(arn) = &self.onboarder.config().webhook_secret_arn else {
            error!("webhook received but WEBHOOK_SECRET_ARN is not configured");
            return None;
        };
        let (current, previous) = tokio::join!(
            self.secrets.signing_key(arn, "AWSCURRENT"),
            self.secrets.signing_key(arn, "AWSPREVIOUS")
        );
        let mut keys = Vec::new();
        match current {
            Ok(Some(key)) => keys.push(key),
            Ok(None) => {
                error!("the webhook secret has no string value");
                return None;
            }
            Err(err) => {
                error!(aws_error = %err.code, "could not read the webhook secret");
                return None;
            }
        }
        match previous {
            Ok(key) => keys.extend(key),
            Err(err) => {
                warn!(aws_error = %err.code, "could not read the previous webhook secret version")
            }
        }
        info!(versions = keys.len(), "webhook secret loaded");
        Some(CachedKeys {
            fetched: Instant::now(),
            keys,
        })
    }
}

fn internal_error(request_id: &str) -> Value {
    http_response(
        500,
        json!({"error": {"code": "InternalError", "message": "internal error", "requestId": request_id}}),
    )
}

fn kind(err: &serde_json::Error) -> &'static str {
    match err.classify() {
        serde_json::error::Category::Eof => "unexpected end",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "wrong data",
        serde_json::error::Category::Io => "read error",
    }
}
