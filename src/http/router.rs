//! The one router every HTTP request goes through: a `Router` per concern,
//! merged here. Paths no route claims (and `POST /`) are the webhook's.

use axum::Router;

use super::webhook::{self, SigningKeys, WebhookState};
use super::{connectors, reserved};

/// The function's HTTP routes: the HR-system connectors (`/hr/`), the reserved
/// prefixes (`/scim/v2/`, `/reveal/`), and the webhook for everything else.
pub fn router(webhook: WebhookState, bamboohr: SigningKeys) -> Router {
    connectors::routes(webhook.workflows.clone(), bamboohr)
        .merge(reserved::routes())
        .merge(webhook::routes(webhook))
}
