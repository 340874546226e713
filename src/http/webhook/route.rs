//! The webhook as a route of the router: `POST /` and every path no other route
//! claims, so every deployed sender keeps working whatever path it was given.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use lambda_runtime::Context;
use tracing::Instrument;

use super::{Deliveries, SigningKeys, WebhookRequest, handle_webhook};
use crate::http::RawBody;
use crate::identity::AccountContext;
use crate::workflows::Workflows;

/// What the webhook needs, shared by every request of a container.
#[derive(Clone)]
pub struct WebhookState {
    /// The workflows every action runs with.
    pub workflows: Arc<Workflows>,
    /// The signing keys and their cache.
    pub keys: Arc<SigningKeys>,
    /// Standard Webhooks delivery records.
    pub deliveries: Deliveries,
}

/// The webhook routes: a fallback, so it answers every method and path (a method
/// other than POST is refused by the flow itself, with `allow: POST`).
pub fn routes(state: WebhookState) -> Router {
    Router::new().fallback(webhook).with_state(state)
}

async fn webhook(
    State(state): State<WebhookState>,
    Extension(context): Extension<Context>,
    method: Method,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let account = AccountContext::from_function_arn(&context.invoked_function_arn);
    let request = WebhookRequest {
        method: method.as_str().to_ascii_uppercase(),
        headers,
        body,
    };
    handle_webhook(
        &state.workflows,
        &state.keys,
        &state.deliveries,
        request,
        &context.request_id,
        &account,
    )
    .instrument(tracing::info_span!("webhook"))
    .await
}
