//! EventBridge events: detail-type [`EMPLOYEE_HIRED`] from the configured
//! source. Anything but success is an error, so Lambda retries the event and
//! finally sends it to the dead-letter queue.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};
use tracing::warn;

use crate::handler::HandlerError;
use crate::hr::mask_emails_in;
use crate::onboarding::{AccountContext, Onboarder};

/// EventBridge detail-type this function handles.
pub const EMPLOYEE_HIRED: &str = "Employee Hired";

/// Onboards the employee (or request) in the event's `detail`.
pub async fn handle_eventbridge(
    onboarder: &Onboarder,
    event: EventBridgeEvent<Value>,
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
    if let Some(expected) = &onboarder.config().eventbridge_source
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
    let request = onboarder
        .parse_request(&payload)
        .map_err(|e| HandlerError::InvalidRequest(e.within("detail")))?;
    let results = onboarder.run(request, account).await;
    if let Some(bad) = results.iter().find(|r| !r.status.is_success()) {
        return Err(HandlerError::NotOnboarded {
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
