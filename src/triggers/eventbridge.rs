//! EventBridge events from the configured source: detail-types
//! [`EMPLOYEE_HIRED`], [`EMPLOYEE_TERMINATED`] and [`EMPLOYEE_UPDATED`], one per
//! action. Anything but success is an error, so Lambda retries the event and
//! finally sends it to the dead-letter queue.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};
use tracing::warn;

use super::event_request::event_request;
use crate::error::HandlerError;
use crate::hr::Action;
use crate::identity::AccountContext;
use crate::workflows::Workflows;

/// EventBridge detail-type of a joiner (action `onboard`).
pub const EMPLOYEE_HIRED: &str = "Employee Hired";
/// EventBridge detail-type of a leaver (action `offboard`).
pub const EMPLOYEE_TERMINATED: &str = "Employee Terminated";
/// EventBridge detail-type of a mover (action `update`).
pub const EMPLOYEE_UPDATED: &str = "Employee Updated";

/// The detail-types handled, with their action.
const DETAIL_TYPES: [(&str, Action); 3] = [
    (EMPLOYEE_HIRED, Action::Onboard),
    (EMPLOYEE_TERMINATED, Action::Offboard),
    (EMPLOYEE_UPDATED, Action::Update),
];

/// Runs the action of the event's detail-type for the employee (or request) in
/// its `detail`, as `attempt` (the request id).
pub async fn handle_eventbridge(
    workflows: &Workflows,
    event: EventBridgeEvent<Value>,
    account: &AccountContext,
    attempt: &str,
) -> Result<Value, HandlerError> {
    let Some(action) = DETAIL_TYPES
        .iter()
        .find(|(detail_type, _)| *detail_type == event.detail_type)
        .map(|(_, action)| *action)
    else {
        warn!(detail_type = %event.detail_type, "unsupported EventBridge detail-type");
        let handled: Vec<&str> = DETAIL_TYPES.iter().map(|(t, _)| *t).collect();
        return Err(HandlerError::UnsupportedEvent(format!(
            "detail-type {:?} is not handled; only {handled:?}",
            event.detail_type
        )));
    };
    let source = event.source.as_str();
    if let Some(expected) = &workflows.config().eventbridge_source
        && source != expected
    {
        warn!(source, "unexpected EventBridge source");
        return Err(HandlerError::UnsupportedEvent(format!(
            "source {source:?} is not the configured EVENTBRIDGE_SOURCE {expected:?}"
        )));
    }
    let payload =
        event_request(event.detail, action, "detail").map_err(HandlerError::InvalidRequest)?;
    let request = workflows
        .parse_request(&payload)
        .map_err(|e| HandlerError::InvalidRequest(e.within("detail")))?;
    let results = workflows.run(request, account, attempt).await;
    super::all_done(action, &results)?;
    Ok(json!({"results": results}))
}
