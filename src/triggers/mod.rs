//! What invokes the function, one module each: direct invokes, EventBridge
//! events, the bulk queue's SQS batches ([`sqs`]) and signed HR webhooks, told apart by [`Trigger::from_event`]; and
//! the credential sweep's schedule and direct invoke ([`sweep`]).

mod direct;
pub mod event_request;
mod eventbridge;
mod shape;
pub mod sqs;
pub mod strict_json;
pub mod sweep;

pub use direct::handle_direct;
pub use eventbridge::{EMPLOYEE_HIRED, EMPLOYEE_TERMINATED, EMPLOYEE_UPDATED, handle_eventbridge};
pub use shape::{ShapeError, Trigger};
pub use sqs::handle_sqs;
pub use strict_json::StrictJson;

use crate::error::HandlerError;
use crate::hr::{Action, mask_emails_in};
use crate::identity::EmployeeResult;

/// For invokers that read no results (EventBridge, the function's own
/// schedules): the first result that is not a success as the error that makes
/// Lambda retry the event and finally send it to the dead-letter queue (a run in
/// progress elsewhere: `InProgress`, whose retry finds the outcome).
fn all_done(action: Action, results: &[EmployeeResult]) -> Result<(), HandlerError> {
    let Some(bad) = results.iter().find(|r| !r.status.is_success()) else {
        return Ok(());
    };
    if let Some(error) = bad
        .error
        .as_ref()
        .filter(|e| e.code == "OnboardingInProgress")
    {
        return Err(HandlerError::InProgress(mask_emails_in(&error.message)));
    }
    Err(HandlerError::NotDone {
        action,
        status: bad.status,
        // The runtime logs this error: AWS messages may name the recipient.
        message: bad
            .error
            .as_ref()
            .map(|e| mask_emails_in(&e.message))
            .unwrap_or_default(),
    })
}
