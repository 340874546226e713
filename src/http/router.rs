//! The one router every HTTP request goes through: a `Router` per concern,
//! merged here. Paths no route claims (and `POST /`) are the webhook's.

use axum::Router;

use super::connectors::{self, BambooHr, Connectors, HiBob};
use super::reserved;
use super::webhook::{self, SigningKeys, WebhookState};

/// The HR-system connectors' own parts: each vendor's signing keys, HiBob's API.
pub struct HrSystems {
    /// `BAMBOOHR_SECRET_ARN`'s keys.
    pub bamboohr: SigningKeys,
    /// HiBob's API and `HIBOB_SECRET_ARN`'s keys.
    pub hibob: (HiBob, SigningKeys),
    /// `HR_GROUP_MAP`.
    pub group_map: crate::config::GroupMap,
}

/// The function's HTTP routes: the HR-system connectors (`/hr/`), the reserved
/// prefixes (`/scim/v2/`, `/reveal/`), and the webhook for everything else.
pub fn router(webhook: WebhookState, hr: HrSystems) -> Router {
    let shared = Connectors {
        workflows: webhook.workflows.clone(),
        deliveries: webhook.deliveries.clone(),
        group_map: hr.group_map,
    };
    connectors::routes(shared, (BambooHr, hr.bamboohr), hr.hibob)
        .merge(reserved::routes())
        .merge(webhook::routes(webhook))
}
