//! Direct invokes (`aws lambda invoke`, SAM, cargo-lambda): the payload is the
//! HR request itself, and the answer is `{"results": [...]}`.

use serde_json::{Value, json};
use tracing::info;

use crate::handler::HandlerError;
use crate::onboarding::AccountContext;
use crate::workflows::Workflows;

/// Runs the request in `payload`; an invalid request is an error, per-employee
/// outcomes (including failures) are results.
pub async fn handle_direct(
    workflows: &Workflows,
    payload: &Value,
    account: &AccountContext,
) -> Result<Value, HandlerError> {
    let request = workflows.parse_request(payload).map_err(|e| {
        info!(field = %e.field, "invalid request");
        HandlerError::InvalidRequest(e)
    })?;
    let results = workflows.run(request, account).await;
    Ok(json!({"results": results}))
}
