//! EventBridge events from the configured source: detail-types
//! [`EMPLOYEE_HIRED`], [`EMPLOYEE_TERMINATED`] and [`EMPLOYEE_UPDATED`], one per
//! action. Anything but success is an error, so Lambda retries the event and
//! finally sends it to the dead-letter queue.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};
use tracing::warn;

use crate::handler::HandlerError;
use crate::hr::{Action, FieldError, mask_emails_in};
use crate::onboarding::AccountContext;
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

/// Runs the action of the event's detail-type for the employee (or request) in its `detail`.
pub async fn handle_eventbridge(
    workflows: &Workflows,
    event: EventBridgeEvent<Value>,
    account: &AccountContext,
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
    let payload = request_payload(event.detail, action).map_err(HandlerError::InvalidRequest)?;
    let request = workflows
        .parse_request(&payload)
        .map_err(|e| HandlerError::InvalidRequest(e.within("detail")))?;
    let results = workflows.run(request, account).await;
    if let Some(bad) = results.iter().find(|r| !r.status.is_success()) {
        return Err(HandlerError::NotDone {
            action,
            status: bad.status,
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

/// `detail` is the employee object, or a whole request (with dryRun or a batch);
/// the detail-type sets the action, and a request naming another one is refused.
fn request_payload(detail: Value, action: Action) -> Result<Value, FieldError> {
    if !detail.is_object() {
        return Err(FieldError::new(
            "detail",
            "must be a JSON object: the employee, or a request with employee or employees",
        ));
    }
    if detail.get("employee").is_none() && detail.get("employees").is_none() {
        return Ok(json!({"action": action.as_str(), "employee": detail}));
    }
    let mut request = detail;
    match request.get("action") {
        None => request["action"] = json!(action.as_str()),
        Some(given) if given == action.as_str() => {}
        Some(_) => {
            return Err(FieldError::new(
                "detail.action",
                format!(
                    "must be {:?} for this detail-type, or absent",
                    action.as_str()
                ),
            ));
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_type_sets_the_action() {
        assert_eq!(
            request_payload(json!({"email": "a@example.com"}), Action::Offboard).unwrap(),
            json!({"action": "offboard", "employee": {"email": "a@example.com"}})
        );
        assert_eq!(
            request_payload(json!({"dryRun": true, "employees": []}), Action::Update).unwrap(),
            json!({"action": "update", "dryRun": true, "employees": []})
        );
        for detail in [json!("jane@example.com"), Value::Null, json!([{}])] {
            assert_eq!(
                request_payload(detail, Action::Onboard).unwrap_err().field,
                "detail"
            );
        }
        let mismatch = json!({"action": "onboard", "employee": {}});
        assert_eq!(
            request_payload(mismatch, Action::Offboard)
                .unwrap_err()
                .field,
            "detail.action"
        );
    }
}
