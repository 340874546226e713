//! The Lambda handler: recognises the trigger and hands the event to its module
//! in [`crate::triggers`]; errors for the runtime map to a Lambda `Diagnostic`.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::{Instrument, info_span};

use crate::deadline::Deadline;
use crate::hr::{Action, FieldError};
use crate::hygiene::Sweeper;
use crate::onboarding::{AccountContext, Status};
use crate::triggers::sweep::{
    handle_scheduled_sweep, handle_sweep_request, is_schedule, is_sweep_request,
};
use crate::triggers::webhook::{Deliveries, SigningKeys, handle_webhook};
use crate::triggers::{ShapeError, StrictJson, Trigger, handle_direct, handle_eventbridge};
use crate::workflows::Workflows;

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

/// Everything a warm container keeps between invocations.
pub struct App {
    workflows: Workflows,
    sweeper: Sweeper,
    keys: SigningKeys,
    deliveries: Deliveries,
}

impl App {
    /// The handler state for a container.
    pub fn new(
        workflows: Workflows,
        sweeper: Sweeper,
        keys: SigningKeys,
        deliveries: Deliveries,
    ) -> Self {
        Self {
            workflows,
            sweeper,
            keys,
            deliveries,
        }
    }

    /// Handles one invocation. The runtime parses the payload as [`StrictJson`], so an
    /// event with a duplicate key is refused (`InvalidRequest` naming its path) before any
    /// trigger looks at it. Everything runs within the invocation's deadline
    /// (`Context.deadline`, see [`crate::deadline`]).
    pub async fn handle(&self, event: LambdaEvent<StrictJson>) -> Result<Value, HandlerError> {
        // Boxed: the workflows' futures are large, and whoever awaits this one (the
        // runtime, a test's block_on) keeps it on its stack.
        let deadline =
            Deadline::from_epoch_ms(event.context.deadline, self.workflows.config().call_timeout);
        Box::pin(Deadline::scope(deadline, self.dispatch(event))).await
    }

    async fn dispatch(&self, event: LambdaEvent<StrictJson>) -> Result<Value, HandlerError> {
        let (payload, context) = event.into_parts();
        let account = AccountContext::from_function_arn(&context.invoked_function_arn);
        tracing::debug!(function_arn = %context.invoked_function_arn, "invocation received");
        let payload = payload.into_value().map_err(|e| {
            tracing::info!(field = %e.field, "invalid request");
            HandlerError::InvalidRequest(e)
        })?;
        let trigger = Trigger::from_event(payload).map_err(|e| match e {
            ShapeError::Unsupported(reason) => HandlerError::UnsupportedEvent(reason),
            ShapeError::Invalid(field) => HandlerError::InvalidRequest(field),
        })?;
        let workflows = &self.workflows;
        match trigger {
            // The runtime's own span already carries the request id.
            Trigger::Direct(payload) if is_sweep_request(&payload) => {
                // Boxed: the sweep's future is large, the handler's stays small.
                Box::pin(handle_sweep_request(&self.sweeper, &payload, &account))
                    .instrument(info_span!("sweep"))
                    .await
            }
            Trigger::EventBridge(event) if is_schedule(&event) => {
                let correlation_id = event.id.clone().unwrap_or_default();
                let span = info_span!("scheduled_sweep", correlation_id = %correlation_id);
                Box::pin(handle_scheduled_sweep(&self.sweeper, &account))
                    .instrument(span)
                    .await
            }
            Trigger::Direct(payload) => {
                handle_direct(workflows, &payload, &account, &context.request_id)
                    .instrument(info_span!("direct"))
                    .await
            }
            Trigger::EventBridge(event) => {
                let correlation_id = event.id.clone().unwrap_or_default();
                let span = info_span!("eventbridge", correlation_id = %correlation_id);
                handle_eventbridge(workflows, event, &account, &context.request_id)
                    .instrument(span)
                    .await
            }
            Trigger::Webhook(request) => Ok(handle_webhook(
                workflows,
                &self.keys,
                &self.deliveries,
                request,
                &context.request_id,
                &account,
            )
            .instrument(info_span!("webhook"))
            .await),
        }
    }
}
