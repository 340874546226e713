//! Direct invokes (`aws lambda invoke`, SAM, cargo-lambda): the payload is the
//! onboarding request itself, and the answer is `{"results": [...]}`.

use serde_json::{Value, json};
use tracing::info;

use crate::handler::HandlerError;
use crate::onboarding::{AccountContext, Onboarder};

/// Onboards the request in `payload`; an invalid request is an error, per-employee
/// outcomes (including failures) are results.
pub async fn handle_direct(
    onboarder: &Onboarder,
    payload: &Value,
    account: &AccountContext,
) -> Result<Value, HandlerError> {
    let request = onboarder.parse_request(payload).map_err(|e| {
        info!(field = %e.field, "invalid request");
        HandlerError::InvalidRequest(e)
    })?;
    let results = onboarder.run(request, account).await;
    Ok(json!({"results": results}))
}
