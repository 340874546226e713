//! The one router every HTTP request goes through: a `Router` per concern,
//! merged here. Paths no route claims (and `POST /`) are the webhook's.

use axum::Router;

use super::reserved;
use super::webhook::{self, WebhookState};

/// The function's HTTP routes: the reserved prefixes (`/scim/v2/`, `/reveal/`,
/// `/hr/`), and the webhook for everything else.
pub fn router(webhook: WebhookState) -> Router {
    reserved::routes().merge(webhook::routes(webhook))
}
