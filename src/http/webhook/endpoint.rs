//! The webhook flow: method, body, signature, JSON, request; then the action and
//! an HTTP answer whose status sums up the results.

use axum::response::Response;
use serde_json::{Value, json};
use tracing::{info, warn};

use std::future::Future;

use super::deliveries::{Claim, Deliveries, Outcome};
use super::events::standard_request;
use super::{Rejection, SigningKeys, WebhookRequest, http_response, standard, with_retry_after};
use crate::hr::{HrRequest, mask_emails_in};
use crate::identity::{AccountContext, EmployeeResult, Status};
use crate::lease::RETRY_AFTER_SECONDS;
use crate::triggers::strict_json;
use crate::workflows::Workflows;

/// The UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Error code of a result whose person another invocation is working on.
const IN_PROGRESS: &str = "OnboardingInProgress";

/// Whether another invocation is working on the result's person right now.
pub fn in_progress(result: &EmployeeResult) -> bool {
    result.error.as_ref().is_some_and(|e| e.code == IN_PROGRESS)
}

/// `results` as an HTTP sender may see them: a failed result's user name (which
/// may be an email address) masked as in the logs, and its step and AWS details
/// replaced by "`action` failed" and the request id (they stay in the logs).
pub fn for_sender(results: &mut [EmployeeResult], action: &str, request_id: &str) {
    for result in results
        .iter_mut()
        .filter(|r| r.status == Status::Failed && !in_progress(r))
    {
        result.username = result.username.as_deref().map(mask_emails_in);
        if let Some(error) = result.error.as_mut() {
            error.code = "InternalError".into();
            error.message = format!(
                "{action} failed; the operator can find details under request id {request_id}"
            );
            error.step = None;
        }
    }
}

/// HTTP status for a set of results: 409 when another invocation is working on
/// every employee right now (retryable, with `Retry-After`); all successful →
/// 201 when any was created, else 202 when any offboarding was scheduled, else
/// 200 (offboarded, updated, nothing new, dry run); 400/404/409/500 when all
/// failed the same way; 503 when the invocation's deadline came before any
/// employee started (retryable, with `Retry-After`); 207 otherwise.
pub fn http_status(results: &[EmployeeResult]) -> u16 {
    let all = |pred: fn(Status) -> bool| results.iter().all(|r| pred(r.status));
    let any = |status: Status| results.iter().any(|r| r.status == status);
    if !results.is_empty() && results.iter().all(in_progress) {
        409
    } else if all(Status::is_success) {
        if any(Status::Created) {
            201
        } else if any(Status::Scheduled) {
            202
        } else {
            200
        }
    } else if all(|s| s == Status::Rejected) {
        400
    } else if all(|s| s == Status::NotFound) {
        404
    } else if all(|s| s == Status::Conflict) {
        409
    } else if all(|s| s == Status::Failed) {
        500
    } else if all(|s| s == Status::NotStarted) {
        503
    } else {
        207
    }
}

/// Answers one webhook request: a rejection, or the results of its action. A
/// Standard Webhooks delivery answered before is answered the same way without
/// running again; one still running elsewhere gets 409 with `Retry-After` (see
/// [`super::deliveries`]).
pub async fn handle_webhook(
    workflows: &Workflows,
    keys: &SigningKeys,
    deliveries: &Deliveries,
    request: WebhookRequest,
    request_id: &str,
    account: &AccountContext,
) -> Response {
    let parsed = match accept(workflows, keys, &request).await {
        Ok(parsed) => parsed,
        Err(rejection) => return rejection.response(request_id),
    };
    // Only Standard Webhooks deliveries carry an id (checked and signed by now).
    let delivery = standard::is_standard(&request)
        .then(|| standard::delivery_id(&request))
        .flatten();
    let Some(delivery) = delivery else {
        return run(workflows, parsed, request_id, account).await.1;
    };
    info!(webhook_id = %delivery, "Standard Webhooks delivery");
    // Accepted, so the body was readable.
    let body = request.body.as_deref().unwrap_or_default();
    answer_once(
        deliveries,
        delivery,
        body,
        request_id,
        run(workflows, parsed, request_id, account),
    )
    .await
}

/// Answers delivery `id` of raw `body` once ([`super::deliveries`]): the first
/// claim runs `run` and keeps its final outcome; a repeat is answered like the
/// first without running (`"duplicate": true`); one still running elsewhere
/// gets 409 with `Retry-After`; a table failure 500 (it could run twice otherwise).
pub async fn answer_once(
    deliveries: &Deliveries,
    id: &str,
    body: &[u8],
    request_id: &str,
    run: impl Future<Output = (Option<Outcome>, Response)>,
) -> Response {
    match deliveries.claim(id, body, request_id).await {
        Ok(Claim::First) => {
            let (outcome, response) = run.await;
            if let Err(err) = deliveries
                .finish(id, body, request_id, outcome.as_ref())
                .await
            {
                warn!(aws_error = %err.code, "could not record the delivery's outcome");
            }
            response
        }
        Ok(Claim::Repeat(outcome)) => {
            info!(
                status = outcome.status,
                first_request_id = %outcome.request_id,
                "repeated delivery answered like the first, not processed again"
            );
            let results: Vec<Value> = outcome
                .results
                .iter()
                .map(|status| json!({"status": status}))
                .collect();
            let body = json!({"requestId": request_id, "duplicate": true,
                "firstRequestId": outcome.request_id, "results": results});
            http_response(outcome.status, body)
        }
        Ok(Claim::Running) => Rejection::DeliveryInProgress.response(request_id),
        Err(err) => {
            warn!(aws_error = %err.code, "could not claim the delivery");
            Rejection::DeliveryRecordUnavailable.response(request_id)
        }
    }
}

/// Runs a parsed request; returns the answer and, when it is final (no employee
/// failed or was busy, and not every employee was `not_found` or a `conflict`),
/// the outcome to keep for repeated deliveries.
async fn run(
    workflows: &Workflows,
    parsed: HrRequest,
    request_id: &str,
    account: &AccountContext,
) -> (Option<Outcome>, Response) {
    let action = parsed.action();
    let mut results = workflows.run(parsed, account, request_id).await;
    let status = http_status(&results);
    let retry_later = results
        .iter()
        .any(|r| in_progress(r) || r.status == Status::NotStarted);
    let outcome = Outcome::if_final(status, &results, request_id);
    for_sender(&mut results, action.as_str(), request_id);
    info!(status, "webhook answered");
    let response = http_response(status, json!({"requestId": request_id, "results": results}));
    // A duplicate delivery that lost the race, or employees the deadline left
    // not started: retryable, not an error.
    let response = match retry_later {
        true => with_retry_after(response, RETRY_AFTER_SECONDS),
        false => response,
    };
    (outcome, response)
}

/// The HR request of a signed, well-formed webhook; anything else is a [`Rejection`].
async fn accept(
    workflows: &Workflows,
    keys: &SigningKeys,
    request: &WebhookRequest,
) -> Result<HrRequest, Rejection> {
    if request.method != "POST" {
        return Err(Rejection::MethodNotAllowed);
    }
    let body = request.body.as_ref().map_err(|e| Rejection::Body(*e))?;
    keys.check(request, body).await?;
    let payload = read_json(body)?;
    if !standard::is_standard(request) {
        return workflows
            .parse_request(&payload)
            .map_err(Rejection::InvalidField);
    }
    // Standard Webhooks senders send an event envelope, or the direct contract.
    let body = standard_request(payload).map_err(Rejection::InvalidField)?;
    if let Some(event_type) = &body.event_type {
        info!(event_type = %event_type, "webhook event");
    }
    workflows.parse_request(&body.request).map_err(|err| {
        Rejection::InvalidField(match body.event_type {
            Some(_) => err.within("data"),
            None => err,
        })
    })
}

/// The JSON of a signed body. RFC 8259 §8.1: a receiver may ignore a leading
/// byte-order mark (some .NET senders add one; the signature covers the body as
/// sent, mark included). Errors: not JSON ([`Rejection::InvalidJson`], where),
/// or a duplicate key, which could mean one thing to the sender's parser and
/// another to ours ([`Rejection::InvalidField`]).
pub fn read_json(body: &[u8]) -> Result<Value, Rejection> {
    let json = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let payload = strict_json::from_slice(json).map_err(|err| {
        Rejection::InvalidJson(format!(
            "the body is not valid JSON ({} at line {} column {})",
            json_error_kind(&err),
            err.line(),
            err.column()
        ))
    })?;
    payload.into_value().map_err(Rejection::InvalidField)
}

fn json_error_kind(err: &serde_json::Error) -> &'static str {
    match err.classify() {
        serde_json::error::Category::Eof => "unexpected end",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "wrong data",
        serde_json::error::Category::Io => "read error",
    }
}
