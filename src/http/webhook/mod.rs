//! Signed HR webhooks (Function URL, API Gateway HTTP API and REST): the request,
//! the signature schemes (`X-Onboarding-*` and Standard Webhooks), the signing
//! keys, HR event types, delivery de-duplication, why a request is refused, and
//! the flow.

mod deliveries;
mod endpoint;
mod events;
mod keys;
mod rejection;
mod request;
mod route;
mod signature;
pub mod standard;

pub use deliveries::{Claim, DELIVERY_TTL_SECONDS, Deliveries, Outcome, delivery_key};
pub use endpoint::{answer_once, for_sender, handle_webhook, http_status, in_progress, read_json};
pub use events::{CONNECTORS, Connector, EmployeeEvents, StandardBody, standard_request};
pub use keys::SigningKeys;
pub use rejection::{Rejection, http_response, with_retry_after};
pub use request::WebhookRequest;
pub use route::{WebhookState, routes};
pub use signature::{
    MAX_SKEW_SECONDS, SIGNATURE_HEADER, SignatureError, SigningKey, TIMESTAMP_HEADER, WHSEC_PREFIX,
    verify,
};
pub use standard::{StandardError, verify_standard};
