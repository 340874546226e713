//! The credential sweep's two triggers: the stack's schedule (an EventBridge
//! `Scheduled Event` from `aws.events`) and a direct invoke
//! `{"action": "sweep", "dryRun": true|false}`. The answer is `{"sweep": summary}`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};
use tracing::info;

use crate::error::HandlerError;
use crate::hr::FieldError;
use crate::hygiene::{SweepOutcome, Sweeper};
use crate::identity::AccountContext;

/// EventBridge detail-type of the stack's schedule.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";
/// EventBridge source of the stack's schedule.
pub const SCHEDULE_SOURCE: &str = "aws.events";

/// Whether a direct payload asks for a sweep.
pub fn is_sweep_request(payload: &Value) -> bool {
    payload.get("action").and_then(Value::as_str) == Some("sweep")
}

/// Whether an EventBridge event is the stack's schedule.
pub fn is_schedule(event: &EventBridgeEvent<Value>) -> bool {
    event.detail_type == SCHEDULED_EVENT && event.source == SCHEDULE_SOURCE
}

/// Parses `{"action": "sweep", "dryRun": bool}`: `dryRun` is required, so a
/// destructive sweep is always asked for explicitly.
pub fn parse_sweep_request(payload: &Value) -> Result<bool, FieldError> {
    let object = payload
        .as_object()
        .ok_or_else(|| FieldError::new("(body)", "must be a JSON object"))?;
    if let Some(key) = object
        .keys()
        .find(|k| !["action", "dryRun"].contains(&k.as_str()))
    {
        return Err(FieldError::new(
            key.as_str(),
            "unknown field; a sweep takes action and dryRun",
        ));
    }
    match object.get("dryRun") {
        Some(Value::Bool(dry_run)) => Ok(*dry_run),
        Some(_) => Err(FieldError::new("dryRun", "must be true or false")),
        None => Err(FieldError::new(
            "dryRun",
            "is required for a sweep: true reports the plan, false acts",
        )),
    }
}

/// A direct invoke: the summary, whatever the outcome (it says why it stopped).
pub async fn handle_sweep_request(
    sweeper: &Sweeper,
    payload: &Value,
    account: &AccountContext,
) -> Result<Value, HandlerError> {
    let dry_run = parse_sweep_request(payload).map_err(|e| {
        info!(field = %e.field, "invalid sweep request");
        HandlerError::InvalidRequest(e)
    })?;
    let summary = sweeper.run(dry_run, account).await;
    Ok(json!({"sweep": summary}))
}

/// The scheduled sweep (never a dry run). An aborted sweep, one the deadline
/// stopped, or a failed action is an error, so the errors alarm fires and Lambda retries (a retry
/// converges: every action is idempotent); the summary went to the topic.
pub async fn handle_scheduled_sweep(
    sweeper: &Sweeper,
    account: &AccountContext,
) -> Result<Value, HandlerError> {
    let summary = sweeper.run(false, account).await;
    let failures = summary.failures();
    if matches!(
        summary.outcome,
        SweepOutcome::Aborted | SweepOutcome::OutOfTime
    ) {
        return Err(HandlerError::SweepIncomplete(
            summary.stopped.unwrap_or_default(),
        ));
    }
    if failures > 0 {
        return Err(HandlerError::SweepIncomplete(format!(
            "{failures} of {} actions failed; see the summary on the topic and the logs",
            summary.actions.len()
        )));
    }
    Ok(json!({"sweep": summary}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_request_must_say_whether_it_is_a_dry_run() {
        assert_eq!(
            parse_sweep_request(&json!({"action": "sweep", "dryRun": true})),
            Ok(true)
        );
        assert_eq!(
            parse_sweep_request(&json!({"action": "sweep", "dryRun": false})),
            Ok(false)
        );
        for (payload, field) in [
            (json!({"action": "sweep"}), "dryRun"),
            (json!({"action": "sweep", "dryRun": "no"}), "dryRun"),
            (
                json!({"action": "sweep", "dryRun": true, "employee": {}}),
                "employee",
            ),
        ] {
            assert_eq!(parse_sweep_request(&payload).unwrap_err().field, field);
        }
        assert!(is_sweep_request(&json!({"action": "sweep"})));
        assert!(!is_sweep_request(&json!({"action": "onboard"})));
    }
}
