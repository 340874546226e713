//! Signed HR webhooks (Function URL, API Gateway HTTP API and REST): the request,
//! the signature scheme, the signing keys, why a request is refused, and the flow.

mod endpoint;
mod keys;
mod rejection;
mod request;
mod signature;

pub use endpoint::{handle_webhook, http_status};
pub use keys::SigningKeys;
pub use rejection::{Rejection, http_response};
pub use request::{BodyError, MAX_BODY_BYTES, WebhookRequest, decode_body};
pub use signature::{
    MAX_SKEW_SECONDS, SIGNATURE_HEADER, SignatureError, SigningKey, TIMESTAMP_HEADER, verify,
};
