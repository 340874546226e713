//! The Lambda handler: recognises the trigger and hands the event to its module
//! in [`crate::triggers`]; errors for the runtime map to a Lambda `Diagnostic`.

use std::sync::Arc;

use axum::Router;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use tracing::{Instrument, info_span};

use crate::deadline::Deadline;
use crate::error::HandlerError;
use crate::http::scim::{ScimParts, ScimService};
use crate::http::webhook::{Deliveries, SigningKeys, WebhookState};
use crate::http::{HrSystems, HttpEvent, router};
use crate::hygiene::Sweeper;
use crate::identity::AccountContext;
use crate::metrics::with_trigger;
use crate::reveal::PasswordHandover;
use crate::triggers::sweep::{
    handle_scheduled_sweep, handle_sweep_request, is_schedule, is_sweep_request,
};
use crate::triggers::{
    ShapeError, StrictJson, Trigger, handle_direct, handle_eventbridge, handle_sqs,
};
use crate::workflows::Workflows;

/// Everything a warm container keeps between invocations.
pub struct App {
    workflows: Arc<Workflows>,
    sweeper: Sweeper,
    router: Router,
}

impl App {
    /// The handler state for a container: the workflows, the sweep, and the HTTP
    /// router (the webhook's signing keys and delivery records are its state).
    pub fn new(
        workflows: Workflows,
        sweeper: Sweeper,
        keys: SigningKeys,
        deliveries: Deliveries,
        hr: HrSystems,
        handover: PasswordHandover,
        scim: ScimParts,
    ) -> Self {
        let workflows = Arc::new(workflows);
        let scim = Arc::new(ScimService::new(workflows.clone(), scim));
        let router = router(
            WebhookState {
                workflows: workflows.clone(),
                keys: Arc::new(keys),
                deliveries,
            },
            hr,
            handover,
            scim,
        );
        Self {
            workflows,
            sweeper,
            router,
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
        let answer = Box::pin(Deadline::scope(deadline, self.dispatch(event))).await;
        crate::metrics::emit_throttles();
        answer
    }

    async fn dispatch(&self, event: LambdaEvent<StrictJson>) -> Result<Value, HandlerError> {
        let (payload, context) = event.into_parts();
        let account = AccountContext::from_function_arn(&context.invoked_function_arn);
        tracing::debug!(function_arn = %context.invoked_function_arn, "invocation received");
        let payload = payload.into_value().map_err(|e| {
            tracing::info!(field = %e.field, "invalid request");
            HandlerError::InvalidRequest(e)
        })?;
        if HttpEvent::is_http(&payload) {
            let event = HttpEvent::from_event(payload)
                .map_err(|e| HandlerError::UnsupportedEvent(e.to_string()))?;
            return Ok(with_trigger("http", event.serve(&self.router, context)).await);
        }
        let trigger = Trigger::from_event(payload).map_err(|e| match e {
            ShapeError::Unsupported(reason) => HandlerError::UnsupportedEvent(reason),
            ShapeError::Invalid(field) => HandlerError::InvalidRequest(field),
        })?;
        let workflows = &self.workflows;
        match trigger {
            // The runtime's own span already carries the request id.
            Trigger::Direct(payload) if is_sweep_request(&payload) => {
                // Boxed: the sweep's future is large, the handler's stays small.
                with_trigger(
                    "direct",
                    Box::pin(handle_sweep_request(&self.sweeper, &payload, &account)),
                )
                .instrument(info_span!("sweep"))
                .await
            }
            Trigger::EventBridge(event) if is_schedule(&event) => {
                let correlation_id = event.id.clone().unwrap_or_default();
                let span = info_span!("scheduled_sweep", correlation_id = %correlation_id);
                with_trigger(
                    "schedule",
                    Box::pin(handle_scheduled_sweep(&self.sweeper, &account)),
                )
                .instrument(span)
                .await
            }
            Trigger::Sqs(event) => Ok(with_trigger(
                "sqs",
                Box::pin(handle_sqs(workflows, event, &account, &context.request_id)),
            )
            .instrument(info_span!("sqs"))
            .await),
            Trigger::Direct(payload) => {
                with_trigger(
                    "direct",
                    handle_direct(workflows, &payload, &account, &context.request_id),
                )
                .instrument(info_span!("direct"))
                .await
            }
            Trigger::EventBridge(event) => {
                let correlation_id = event.id.clone().unwrap_or_default();
                let span = info_span!("eventbridge", correlation_id = %correlation_id);
                with_trigger(
                    "eventbridge",
                    handle_eventbridge(workflows, event, &account, &context.request_id),
                )
                .instrument(span)
                .await
            }
        }
    }
}
