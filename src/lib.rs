//! iam-onboarding: an AWS Lambda that keeps IAM users in step with HR. Joiners
//! get a user, a one-time password with forced reset, the self-manage
//! credentials policy, their groups and a welcome email.
//!
//! Where things are, from the bottom up: [`identity`] is the vocabulary of a
//! managed user (tags, statuses, results, steps, the one-time password, the
//! rendered email, signing keys) and imports no other module; [`hr`] validates
//! what HR sends; [`aws`] holds the adapters; [`config`], [`deadline`],
//! [`lease`], [`batch`], [`schedule`], [`metrics`] (Embedded Metric Format) and
//! [`reveal`] (how a password is handed over) are shared by the workflows
//! ([`onboarding`], [`lifecycle`] for leavers and movers, [`hygiene`]), which
//! never import one another; [`workflows`] runs each action with its workflow;
//! [`triggers`] reads each kind of event; [`handler`] dispatches an invocation,
//! returning an [`error::HandlerError`] to the runtime.

pub mod aws;
pub mod batch;
pub mod config;
pub mod deadline;
pub mod error;
pub mod handler;
pub mod hr;
pub mod http;
pub mod hygiene;
pub mod identity;
pub mod lease;
pub mod lifecycle;
pub mod logging;
pub mod metrics;
pub mod onboarding;
pub mod reveal;
pub mod schedule;
pub mod triggers;
pub mod workflows;

#[cfg(test)]
pub(crate) mod test_fixtures;

use aws_types::SdkConfig;

use crate::aws::function_url::FunctionUrl;
use crate::aws::sdk::{iam_client, ses_client, with_call_timeout};
use crate::aws::{
    dynamodb::Dynamo, iam::Iam, scheduler::Scheduler, secrets::Secrets, ses::Ses, sns::Sns,
};
use crate::config::{Config, PasswordDelivery};
use crate::handler::App;
use crate::http::HrSystems;
use crate::http::connectors::{HiBob, Outbound};
use crate::http::scim::ScimParts;
use crate::http::webhook::{Deliveries, SigningKeys};
use crate::hygiene::Sweeper;
use crate::lease::Leases;
use crate::reveal::PasswordHandover;
use crate::workflows::Workflows;

/// The composition root, used by `main` and the tests: one client per service,
/// created once per container, every call bounded by `AWS_CALL_TIMEOUT_MS`,
/// wired into the handler state. Without
/// `IDEMPOTENCY_TABLE` it logs that runs are neither serialised nor de-duplicated.
pub fn build_app(sdk: &SdkConfig, config: Config) -> App {
    let sdk = &with_call_timeout(sdk, config.call_timeout);
    let table = config
        .idempotency_table
        .clone()
        .map(|table| Dynamo::new(aws_sdk_dynamodb::Client::new(sdk), table));
    if table.is_none() {
        tracing::warn!(
            "IDEMPOTENCY_TABLE is not set: concurrent runs for the same person are not serialised \
             and webhook deliveries are not de-duplicated (acceptable for a local run only)"
        );
    }
    let secrets = Secrets::new(aws_sdk_secretsmanager::Client::new(sdk));
    let keys = SigningKeys::new(secrets.clone(), config.webhook_secret_arn.clone());
    let scim_token = config
        .scim_token_secret_arn
        .clone()
        .map(|arn| SigningKeys::of(secrets.clone(), Some(arn), "SCIM_TOKEN_SECRET_ARN"));
    let hr = HrSystems {
        bamboohr: SigningKeys::of(
            secrets.clone(),
            config.bamboohr_secret_arn.clone(),
            "BAMBOOHR_SECRET_ARN",
        ),
        hibob: (
            HiBob::new(&config.hibob_api_url, Outbound::new(config.call_timeout)),
            SigningKeys::of(secrets, config.hibob_secret_arn.clone(), "HIBOB_SECRET_ARN"),
        ),
        group_map: config.hr_group_map.clone(),
    };
    let iam = Iam::new(iam_client(sdk)).paced(config.iam_writes_per_second());
    let ses = Ses::new(ses_client(sdk)).paced(config.ses_max_send_rate);
    let leases = Leases::new(table.clone());
    let sweeper = Sweeper::new(
        iam.clone(),
        ses.clone(),
        Sns::new(aws_sdk_sns::Client::new(sdk)),
        config.clone(),
    )
    .with_leases(leases.clone());
    let scheduler = Scheduler::new(aws_sdk_scheduler::Client::new(sdk));
    let handover = match (&config.reveal.delivery, &table) {
        (PasswordDelivery::Link, Some(table)) => PasswordHandover::link(
            table.clone(),
            config.reveal.base_url.clone(),
            FunctionUrl::new(
                aws_sdk_lambda::Client::new(sdk),
                std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
            ),
            config.reveal.ttl_hours,
        ),
        // Config refuses `link` without a table.
        _ => PasswordHandover::email(),
    };
    let scim = ScimParts {
        iam: iam.clone(),
        leases: leases.clone(),
        index: table.clone(),
        token: scim_token,
    };
    let workflows = Workflows::new(iam, ses, scheduler, config)
        .with_leases(leases)
        .with_password_handover(handover.clone());
    App::new(
        workflows,
        sweeper,
        keys,
        Deliveries::new(table),
        hr,
        handover,
        scim,
    )
}
