//! iam-onboarding: an AWS Lambda that onboards employees into IAM — user, one-time
//! password with forced reset, self-manage credentials policy, welcome email.

pub mod aws;
pub mod config;
pub mod email;
pub mod employee;
pub mod handler;
pub mod logging;
pub mod mfa;
pub mod onboard;
pub mod password;
pub mod request;
pub mod trigger;
pub mod webhook;

use aws_config::SdkConfig;

use crate::aws::{iam::Iam, secrets::Secrets, ses::Ses};
use crate::config::Config;
use crate::handler::App;
use crate::onboard::Onboarder;

/// Builds the handler state from an SDK configuration: one client per service, created once.
pub fn build_app(sdk: &SdkConfig, config: Config) -> App {
    let onboarder = Onboarder::new(
        Iam::new(aws_sdk_iam::Client::new(sdk)),
        Ses::new(aws_sdk_ses::Client::new(sdk)),
        config,
    );
    App::new(
        onboarder,
        Secrets::new(aws_sdk_secretsmanager::Client::new(sdk)),
    )
}
