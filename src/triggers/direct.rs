//! Direct invokes (`aws lambda invoke`, SAM, cargo-lambda): the payload is the
//! HR request itself, and the answer is `{"results": [...]}`.

use serde_json::{Value, json};
use tracing::info;

use crate::error::HandlerError;
use crate::hr::mask_emails_in;
use crate::identity::{AccountContext, Status};
use crate::workflows::Workflows;

/// Runs the request in `payload` as `attempt` (the request id); an invalid
/// request is an error, per-employee outcomes (including failures) are results.
/// The run of one of the function's own offboarding schedules (`fromSchedule`)
/// is the exception: Scheduler invokes asynchronously and reads no results, so a
/// leaver not offboarded is an error (Lambda retries it, then the dead-letter
/// queue keeps it).
pub async fn handle_direct(
    workflows: &Workflows,
    payload: &Value,
    account: &AccountContext,
    attempt: &str,
) -> Result<Value, HandlerError> {
    let request = workflows.parse_request(payload).map_err(|e| {
        info!(field = %e.field, "invalid request");
        HandlerError::InvalidRequest(e)
    })?;
    let (action, from_schedule) = (request.action(), request.from_schedule());
    let mut results = workflows.run(request, account, attempt).await;
    // AWS messages may name the recipient (SES MessageRejected): mask it, as the
    // webhook and EventBridge paths do.
    for error in results.iter_mut().filter_map(|r| r.error.as_mut()) {
        error.message = mask_emails_in(&error.message);
    }
    // A user name may be an email address (IAM allows `@`): a failure, which the
    // caller may log or forward, names it masked too.
    for result in results.iter_mut().filter(|r| r.status == Status::Failed) {
        result.username = result.username.as_deref().map(mask_emails_in);
    }
    if from_schedule {
        super::all_done(action, &results)?;
    }
    Ok(json!({"results": results}))
}
