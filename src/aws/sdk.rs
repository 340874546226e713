//! The SDK configuration of the Lambda, read from the variables Lambda defines
//! for every function (Lambda Developer Guide, "Defined runtime environment
//! variables"): `AWS_REGION` and the execution role's temporary credentials
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`. The
//! function needs nothing else of aws-config's provider chain (profiles, SSO,
//! web identity through STS, instance metadata), so it does not link it.
//! `AWS_ENDPOINT_URL` sends every client to one endpoint (a local emulator).
//! Everything else (HTTPS client, sleep, clock, the 3.1 s connect timeout) is the
//! SDK's default for [`BehaviorVersion::latest`].

use aws_credential_types::Credentials;
use aws_sdk_iam::config::BehaviorVersion;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config::{RetryConfig, SharedCredentialsProvider};

use crate::config::ConfigError;

/// Attempts per AWS request (the SDK's standard retry mode, with backoff): more
/// than the default 3, so a batch's burst against IAM's rate limits is absorbed.
pub const SDK_MAX_ATTEMPTS: u32 = 6;

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
