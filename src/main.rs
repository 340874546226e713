//! Lambda entry point: configuration, clients once, then the runtime loop.

use iam_onboarding::{build_app, config::Config, logging};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let config =
        Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let app = build_app(&sdk, config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| app.handle(event))).await
}
