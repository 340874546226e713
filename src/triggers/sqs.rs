//! The bulk queue (`OnboardingQueue`, issue 25): an SQS event source whose
//! message bodies are direct-invoke requests (one employee or a batch of up to
//! 100, any action). The answer is SQS's partial batch response
//! (`ReportBatchItemFailures`, AWS Lambda Developer Guide, "Handling errors for
//! an SQS event source"): `batchItemFailures` names exactly the messages to
//! receive again.
//!
//! - A message whose employees all ended done is deleted.
//! - One with an employee `failed` (an AWS step, or the person's lease held by
//!   another run) or `not_started` (the deadline) comes back after the queue's
//!   visibility timeout; the workflows converge on a retry.
//! - One that can never succeed (a body that is not JSON or not a valid request,
//!   a `rejected`, `conflict` or `not_found` employee) is *poison*: logged
//!   (`poison message`, with the field and reason) and counted (`PoisonMessages`),
//!   and reported as a failure too, so the queue's redrive policy moves it to
//!   `OnboardingQueueDeadLetterQueue` after its few receives, where the operator
//!   sees it. Retrying it writes nothing (validation and conflicts come first).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use serde_json::Value;
use tracing::{Instrument, info, info_span, warn};

use super::strict_json;
use crate::hr::{Action, FieldError, GroupName, HrRequest, mask_emails_in};
use crate::identity::{AccountContext, EmployeeResult, Status};
use crate::workflows::Workflows;

/// `eventSource` of an SQS record.
pub const SQS_EVENT_SOURCE: &str = "aws:sqs";

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    /// Every employee ended done: delete the message.
    Done,
    /// Retryable: receive it again.
    Retry,
    /// Can never succeed: why (shown in the log line).
    Poison(String),
}

impl MessageOutcome {
    /// The outcome's name in logs and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retry => "retry",
            Self::Poison(_) => "poison",
        }
    }
}

/// The outcome of a message whose request ran with `results`.
pub fn outcome_of(results: &[EmployeeResult]) -> MessageOutcome {
    if results
        .iter()
        .any(|r| matches!(r.status, Status::Failed | Status::NotStarted))
    {
        return MessageOutcome::Retry;
    }
    match results.iter().find(|r| {
        matches!(
            r.status,
            Status::Rejected | Status::Conflict | Status::NotFound
        )
    }) {
        Some(never) => MessageOutcome::Poison(format!(
            "an employee ended {}: {}",
            never.status.as_str(),
            never
                .error
                .as_ref()
                .map(|e| mask_emails_in(&e.message))
                .unwrap_or_default()
        )),
        None => MessageOutcome::Done,
    }
}

/// The request of a message body, validated against `allowed_groups`; `Err` is
/// why it is poison (addresses masked).
pub fn request_of(body: Option<&str>, allowed_groups: &[GroupName]) -> Result<HrRequest, String> {
    let body = body.unwrap_or_default();
    let payload = strict_json::from_slice(body.as_bytes())
        .map_err(|e| format!("the body is not JSON: {e}"))?
        .into_value()
        .map_err(|e| field_reason(&e))?;
    if payload.get("Records").is_some() || super::sweep::is_sweep_request(&payload) {
        return Err("the queue takes HR requests only (onboard, offboard, update, resend)".into());
    }
    HrRequest::parse(&payload, allowed_groups).map_err(|e| field_reason(&e))
}

fn field_reason(e: &FieldError) -> String {
    mask_emails_in(&format!("{}: {}", e.field, e.reason))
}

/// Runs every message of `event` in order, as attempt `{request_id}/{messageId}`
/// (unique per receive: a redelivery is a new attempt, never a holder of the
/// earlier one's lease). Returns the partial batch response.
pub async fn handle_sqs(
    workflows: &Workflows,
    event: SqsEvent,
    account: &AccountContext,
    request_id: &str,
) -> Value {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = info_span!("sqs_message", message_id = %id);
        let outcome = run_message(workflows, &message, account, request_id)
            .instrument(span)
            .await;
        if outcome != MessageOutcome::Done {
            response.add_failure(id);
        }
    }
    serde_json::to_value(response).expect("a batch response serialises")
}

async fn run_message(
    workflows: &Workflows,
    message: &SqsMessage,
    account: &AccountContext,
    request_id: &str,
) -> MessageOutcome {
    let id = message.message_id.as_deref().unwrap_or_default();
    let receives = message
        .attributes
        .get("ApproximateReceiveCount")
        .cloned()
        .unwrap_or_default();
    let allowed = &workflows.config().allowed_groups;
    let (outcome, action, results) = match request_of(message.body.as_deref(), allowed) {
        Err(reason) => (MessageOutcome::Poison(reason), None, Vec::new()),
        Ok(request) => {
            let action = request.action();
            let results = workflows
                .run(request, account, &format!("{request_id}/{id}"))
                .await;
            (outcome_of(&results), Some(action), results)
        }
    };
    let action = action.map_or("-", Action::as_str);
    if let MessageOutcome::Poison(_) = &outcome {
        crate::metrics::emit_poison_message();
    }
    match &outcome {
        MessageOutcome::Poison(reason) => warn!(
            outcome = outcome.as_str(),
            action,
            receives = %receives,
            reason = %reason,
            "poison message: it can never succeed; after the queue's receives it moves to the dead-letter queue"
        ),
        _ => info!(
            outcome = outcome.as_str(),
            action,
            employees = results.len(),
            receives = %receives,
            "queue message finished"
        ),
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::ResultError;

    fn result(status: Status) -> EmployeeResult {
        let mut result = EmployeeResult::for_user("jane.doe", status);
        if status == Status::Rejected {
            result.error = Some(ResultError {
                code: "InvalidEmployee".into(),
                message: "email jane@example.com: is not an address".into(),
                field: None,
                step: None,
            });
        }
        result
    }

    #[test]
    fn a_message_comes_back_only_when_a_retry_can_change_something() {
        assert_eq!(
            outcome_of(&[result(Status::Created), result(Status::AlreadyOnboarded)]),
            MessageOutcome::Done
        );
        assert_eq!(
            outcome_of(&[result(Status::Created), result(Status::Failed)]),
            MessageOutcome::Retry
        );
        assert_eq!(
            outcome_of(&[result(Status::NotStarted)]),
            MessageOutcome::Retry
        );
        // A retryable failure wins over a poison one: the retry converges the rest.
        assert_eq!(
            outcome_of(&[result(Status::Rejected), result(Status::Failed)]),
            MessageOutcome::Retry
        );
        let MessageOutcome::Poison(reason) =
            outcome_of(&[result(Status::Created), result(Status::Rejected)])
        else {
            panic!("rejected is poison");
        };
        assert!(
            reason.contains("rejected") && reason.contains("j***@example.com"),
            "{reason}"
        );
        assert!(matches!(
            outcome_of(&[result(Status::Conflict)]),
            MessageOutcome::Poison(_)
        ));
    }
}
