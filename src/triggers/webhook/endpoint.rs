//! The webhook flow: method, body, signature, JSON, request; then onboarding and
//! an HTTP answer whose status sums up the results.

use serde_json::{Value, json};
use tracing::info;

use super::{Rejection, SigningKeys, WebhookRequest, http_response};
use crate::onboarding::{AccountContext, EmployeeResult, Onboarder, Status};

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

/// Answers one webhook request: a rejection, or the onboarding results.
pub async fn handle_webhook(
    onboarder: &Onboarder,
    keys: &SigningKeys,
    request: WebhookRequest,
    request_id: &str,
    account: &AccountContext,
) -> Value {
    match accept(onboarder, keys, &request).await {
        Ok(parsed) => {
            let mut results = onboarder.run(parsed, account).await;
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
        Err(rejection) => rejection.response(request_id),
    }
}

/// The onboarding request of a signed, well-formed webhook; anything else is a [`Rejection`].
async fn accept(
    onboarder: &Onboarder,
    keys: &SigningKeys,
    request: &WebhookRequest,
) -> Result<crate::hr::OnboardingRequest, Rejection> {
    if request.method != "POST" {
        return Err(Rejection::MethodNotAllowed);
    }
    let body = request.body.as_ref().map_err(|e| Rejection::Body(*e))?;
    keys.check(request, body).await?;
    let payload: Value = serde_json::from_slice(body).map_err(|err| {
        Rejection::InvalidJson(format!(
            "the body is not valid JSON ({} at line {} column {})",
            json_error_kind(&err),
            err.line(),
            err.column()
        ))
    })?;
    onboarder
        .parse_request(&payload)
        .map_err(Rejection::InvalidField)
}

fn json_error_kind(err: &serde_json::Error) -> &'static str {
    match err.classify() {
        serde_json::error::Category::Eof => "unexpected end",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "wrong data",
        serde_json::error::Category::Io => "read error",
    }
}
