//! Lambda entry point: configuration, clients once, then the runtime loop.

// The handler future nests trigger, workflow and SDK futures deeper than the
// default limit lets rustc compute its layout.
#![recursion_limit = "256"]

use iam_onboarding::aws::sdk::sdk_config_from_env;
use iam_onboarding::triggers::StrictJson;
use iam_onboarding::{build_app, config::Config, logging};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let config =
        Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let sdk = sdk_config_from_env()
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let app = build_app(&sdk, config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<StrictJson>| {
        app.handle(event)
    }))
    .await
}
