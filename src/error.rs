//! The errors an invocation returns to the Lambda runtime (direct invokes,
//! EventBridge, the schedules), each mapped to a Lambda `Diagnostic` error type.

use lambda_runtime::Diagnostic;

use crate::hr::Action;
use crate::identity::{FieldError, Status};

/// Errors returned to the Lambda runtime (direct invokes and EventBridge).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The request as a whole is invalid.
    #[error("invalid request: {0}")]
    InvalidRequest(FieldError),
    /// The event is of a kind this function does not handle.
    #[error("unsupported event: {0}")]
    UnsupportedEvent(String),
    /// The scheduled sweep was aborted (report or listing failed) or an action
    /// failed; its summary went to the topic.
    #[error("credential sweep incomplete: {0}")]
    SweepIncomplete(String),
    /// An EventBridge event did not end with its action done for every
    /// employee; the error makes Lambda retry the event and finally send it to the DLQ.
    #[error("employee not {} ({}): {message}", action.done(), status.as_str())]
    NotDone {
        /// The requested action.
        action: Action,
        /// The result's status.
        status: Status,
        /// The result's error message.
        message: String,
    },
    /// Another invocation is working on the employee (a duplicate delivery that
    /// lost the race): nothing was written; Lambda's retry finds the outcome.
    #[error("nothing done for this employee (another invocation is working on them): {0}")]
    InProgress(String),
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Self {
        let error_type = match &err {
            HandlerError::InvalidRequest(_) => "InvalidRequest",
            HandlerError::UnsupportedEvent(_) => "UnsupportedEvent",
            HandlerError::SweepIncomplete(_) => "SweepIncomplete",
            HandlerError::NotDone {
                status: Status::Rejected,
                ..
            } => "EmployeeRejected",
            HandlerError::NotDone {
                status: Status::Conflict,
                ..
            } => "UserConflict",
            HandlerError::NotDone {
                status: Status::NotFound,
                ..
            } => "UserNotFound",
            HandlerError::NotDone {
                status: Status::NotStarted,
                ..
            } => "NotStarted",
            HandlerError::NotDone { action, .. } => match action {
                Action::Onboard => "OnboardingFailed",
                Action::Offboard => "OffboardingFailed",
                Action::Update => "UpdateFailed",
                Action::Resend => "ResendFailed",
            },
            HandlerError::InProgress(_) => "OnboardingInProgress",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: err.to_string(),
        }
    }
}
