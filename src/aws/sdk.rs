//! The SDK configuration of the Lambda, read from the variables Lambda defines
//! for every function (Lambda Developer Guide, "Defined runtime environment
//! variables"): `AWS_REGION` and the execution role's temporary credentials
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`. The
//! function needs nothing else of aws-config's provider chain (profiles, SSO,
//! web identity through STS, instance metadata), so it does not link it.
//! `AWS_ENDPOINT_URL` sends every client to one endpoint (a local emulator).
//! Everything else (HTTPS client, sleep, clock, the 3.1 s connect timeout) is the
//! SDK's default for [`BehaviorVersion::latest`].

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::BehaviorVersion;
use aws_sdk_iam::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_iam::config::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config::{RetryConfig, SharedCredentialsProvider};

use super::last_answer::{IAM_THROTTLES, LastAnswer, SES_THROTTLES};
use crate::config::ConfigError;

/// Attempts per AWS request (the SDK's standard retry mode, with backoff): more
/// than the default 3, so a batch's burst against IAM's rate limits is absorbed.
pub const SDK_MAX_ATTEMPTS: u32 = 6;

/// Retry tokens each service's own bucket regains per second. The SDK's default
/// bucket (500 tokens, 5 per retry) never refills by itself: one burst of
/// throttles would leave a warm container without retries.
pub const RETRY_TOKENS_PER_SECOND: f32 = 10.0;

/// A retry partition of its own for `service` (a bucket of the default 500
/// tokens that refills at [`RETRY_TOKENS_PER_SECOND`]), so one service's
/// throttling cannot spend another's retries.
fn own_retry_partition(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(
            TokenBucket::builder()
                .refill_rate(RETRY_TOKENS_PER_SECOND)
                .build(),
        )
        .build()
}

/// The SES client: its own retry partition ([`own_retry_partition`]), failed
/// attempts recorded ([`LastAnswer`]).
pub fn ses_client(sdk: &SdkConfig) -> aws_sdk_ses::Client {
    let config = aws_sdk_ses::config::Builder::from(sdk)
        .retry_partition(own_retry_partition("iam-onboarding-ses"))
        .interceptor(LastAnswer(&SES_THROTTLES))
        .build();
    aws_sdk_ses::Client::from_conf(config)
}

/// The IAM client: its own retry partition ([`own_retry_partition`]), failed
/// attempts recorded ([`LastAnswer`]).
pub fn iam_client(sdk: &SdkConfig) -> aws_sdk_iam::Client {
    // Adaptive retry mode: after `Throttling` the SDK's client-side rate limiter
    // (shared by the partition) slows every further IAM call of the container down.
    let config = aws_sdk_iam::config::Builder::from(sdk)
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::adaptive())
        .retry_partition(own_retry_partition("iam-onboarding-iam"))
        .interceptor(LastAnswer(&IAM_THROTTLES))
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// The SDK's connect timeout (its default for this behavior version).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// `sdk` with every call bounded: operation timeout `call_timeout` (all
/// attempts and backoff), attempt timeout half of it, connect timeout 3.1 s or
/// `call_timeout` if shorter. Without them a hung call waits until Lambda ends
/// the run, wherever it is.
pub fn with_call_timeout(sdk: &SdkConfig, call_timeout: Duration) -> SdkConfig {
    sdk.to_builder()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT.min(call_timeout))
                .operation_timeout(call_timeout)
                .operation_attempt_timeout(call_timeout / 2)
                .build(),
        )
        .build()
}

/// Reads the SDK configuration through `lookup` (empty values count as unset).
///
/// Errors: `AWS_REGION`, `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY` missing.
/// The error names the variable only, never a value.
pub fn sdk_config_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<SdkConfig, ConfigError> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let required = |variable: &'static str| {
        get(variable).ok_or_else(|| ConfigError {
            variable,
            reason: "is required (Lambda sets it for every function)".into(),
        })
    };
    let credentials = Credentials::new(
        required("AWS_ACCESS_KEY_ID")?,
        required("AWS_SECRET_ACCESS_KEY")?,
        get("AWS_SESSION_TOKEN"),
        None,
        "LambdaEnvironment",
    );
    let mut sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(required("AWS_REGION")?.trim().to_string()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS));
    if let Some(endpoint) = get("AWS_ENDPOINT_URL") {
        sdk = sdk.endpoint_url(endpoint.trim());
    }
    Ok(sdk.build())
}

/// [`sdk_config_from_lookup`] over the process environment.
pub fn sdk_config_from_env() -> Result<SdkConfig, ConfigError> {
    sdk_config_from_lookup(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::ProvideCredentials;

    fn lookup(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    const LAMBDA: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret-value-never-shown"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    #[tokio::test]
    async fn reads_region_credentials_and_retries_from_the_lambda_environment() {
        let sdk = sdk_config_from_lookup(lookup(LAMBDA)).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.endpoint_url(), None);
        assert_eq!(
            sdk.retry_config().map(|r| r.max_attempts()),
            Some(SDK_MAX_ATTEMPTS)
        );
        let credentials = sdk
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(credentials.session_token(), Some("token"));
        assert!(!format!("{sdk:?}").contains("secret-value-never-shown"));
    }

    #[test]
    fn ses_and_iam_retry_in_partitions_of_their_own() {
        let sdk = sdk_config_from_lookup(lookup(LAMBDA)).unwrap();
        let ses = ses_client(&sdk);
        let iam = iam_client(&sdk);
        let name = |p: Option<&RetryPartition>| p.map(ToString::to_string);
        assert_eq!(
            name(ses.config().retry_partition()).as_deref(),
            Some("iam-onboarding-ses")
        );
        assert_eq!(
            name(iam.config().retry_partition()).as_deref(),
            Some("iam-onboarding-iam")
        );
        assert_eq!(
            ses.config().retry_config().map(|r| r.max_attempts()),
            Some(SDK_MAX_ATTEMPTS)
        );
    }

    #[test]
    fn every_call_is_bounded_by_the_call_timeout() {
        let sdk = sdk_config_from_lookup(lookup(LAMBDA)).unwrap();
        let bounded = with_call_timeout(&sdk, Duration::from_millis(3000));
        let timeouts = bounded.timeout_config().unwrap();
        assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(3)));
        let client = ses_client(&bounded);
        let client_timeouts = client.config().timeout_config().unwrap();
        assert_eq!(
            client_timeouts.operation_timeout(),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn an_endpoint_url_sends_every_client_there() {
        const LOCAL: &[(&str, &str)] = &[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ];
        let sdk = sdk_config_from_lookup(lookup(LOCAL)).unwrap();
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:5000"));
    }

    #[test]
    fn missing_variables_are_named_without_values() {
        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let err = sdk_config_from_lookup(|name| {
                (name != missing).then(|| lookup(LAMBDA)(name)).flatten()
            })
            .unwrap_err();
            assert_eq!(err.variable, missing);
            assert!(!err.to_string().contains("secret-value-never-shown"));
        }
    }
}
