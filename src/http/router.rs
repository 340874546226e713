//! The one router every HTTP request goes through: a `Router` per concern,
//! merged here. Paths no route claims (and `POST /`) are the webhook's.

use axum::Router;

use super::connectors::{self, BambooHr, Connectors, HiBob};
use super::reveal;
use super::scim::{self, ScimService};
use super::webhook::{self, SigningKeys, WebhookState};
use crate::reveal::PasswordHandover;

/// The HR-system connectors' own parts: each vendor's signing keys, HiBob's API.
pub struct HrSystems {
    /// `BAMBOOHR_SECRET_ARN`'s keys.
    pub bamboohr: SigningKeys,
    /// HiBob's API and `HIBOB_SECRET_ARN`'s keys.
    pub hibob: (HiBob, SigningKeys),
    /// `HR_GROUP_MAP`.
    pub group_map: crate::config::GroupMap,
}

/// The function's HTTP routes: the HR-system connectors (`/hr/`), the reveal
/// page (`/reveal/`), SCIM (`/scim/v2/`), and the webhook for everything else.
pub fn router(
    webhook: WebhookState,
    hr: HrSystems,
    handover: PasswordHandover,
    scim: std::sync::Arc<ScimService>,
) -> Router {
    let shared = Connectors {
        workflows: webhook.workflows.clone(),
        deliveries: webhook.deliveries.clone(),
        group_map: hr.group_map,
    };
    connectors::routes(shared, (BambooHr, hr.bamboohr), hr.hibob)
        .merge(reveal::routes(handover))
        .merge(scim::routes(scim))
        .merge(webhook::routes(webhook))
}
