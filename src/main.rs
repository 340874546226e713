//! Lambda entry point: configuration, clients once, then the runtime loop.

// The handler future nests trigger, workflow and SDK futures deeper than the
// default limit lets rustc compute its layout.
#![recursion_limit = "256"]

use iam_onboarding::{build_app, config::Config, logging};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

/// Attempts per AWS request (the SDK's standard retry mode, with backoff): more
/// than the default 3, so a batch's burst against IAM's rate limits is absorbed.
const SDK_MAX_ATTEMPTS: u32 = 6;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let config =
        Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS),
        )
        .load()
        .await;
    let app = build_app(&sdk, config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| app.handle(event))).await
}
