//! The AWS calls: long-term credentials from the profile, the caller's MFA
//! devices (iam:GetUser + iam:ListMFADevices) and sts:GetSessionToken, with
//! failures turned into [`MfaError`]s that say what to do.

use std::time::SystemTime;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sts::config::ProvideCredentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use super::duration::SessionDuration;
use super::error::MfaError;
use super::session::{Secret, SessionCredentials, whole_seconds};

/// Region used when neither the profile nor the environment sets one; STS and
/// IAM answer GetSessionToken / ListMFADevices from any commercial region.
const FALLBACK_REGION: &str = "us-east-1";

/// An SDK failure reduced to what the messages need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// AWS answered with an error code.
    Service { code: String, message: String },
    /// No usable answer (network, timeout, unreadable response), with the cause chain.
    Transport(String),
}

impl<E, R> From<SdkError<E, R>> for Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        match &err {
            SdkError::ServiceError(service) => Failure::Service {
                code: service.err().code().unwrap_or("Unknown").to_string(),
                message: service
                    .err()
                    .message()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            },
            _ => Failure::Transport(error_chain(&err)),
        }
    }
}

/// `error: cause: cause…` — each error's `Display`, without the `Debug` dump
/// that the SDK's `DisplayErrorContext` appends.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

/// What the provider chain said about the profile, when it said something:
/// the rest of its message lists every other provider it tried.
fn credentials_detail(chain: &str) -> String {
    const NOT_ENABLED: &str = "the credential provider was not enabled: ";
    chain
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("Profile: "))
        .map(|l| l.trim_start_matches(NOT_ENABLED).to_string())
        .unwrap_or_else(|| chain.lines().next().unwrap_or_default().to_string())
}

/// Whether an error message is about the request's time (clock skew).
fn is_time_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("signature expired") || m.contains("not yet current") || m.contains("skew")
}

/// The error for a failed `operation` made with the key of `profile`.
pub fn failure_error(
    operation: &'static str,
    profile: &str,
    failure: Failure,
    endpoint: Option<&str>,
) -> MfaError {
    let (code, message) = match failure {
        Failure::Transport(detail) => {
            return MfaError::Unreachable {
                operation,
                detail,
                endpoint_note: endpoint
                    .map(|e| format!("; note that AWS_ENDPOINT_URL sends requests to {e}"))
                    .unwrap_or_default(),
            };
        }
        Failure::Service { code, message } => (code, message),
    };
    match code.as_str() {
        "RequestExpired" | "RequestTimeTooSkewed" | "RequestInTheFuture" => {
            MfaError::ClockSkew { code, message }
        }
        "SignatureDoesNotMatch" | "InvalidSignatureException" if is_time_message(&message) => {
            MfaError::ClockSkew { code, message }
        }
        "SignatureDoesNotMatch" | "InvalidSignatureException" => MfaError::BadAccessKey {
            profile: profile.to_string(),
            code,
            message,
            hint: "the secret access key does not belong to the access key id: check aws_secret_access_key in that profile for a typo or a truncated copy",
        },
        "InvalidClientTokenId" | "UnrecognizedClientException" => MfaError::BadAccessKey {
            profile: profile.to_string(),
            code,
            message,
            hint: "the key was deleted or deactivated (or belongs to another AWS partition): create a new access key on your Security credentials page and put it in that profile",
        },
        _ => MfaError::Aws {
            operation,
            code,
            message,
        },
    }
}

/// The error for a failed GetSessionToken with `serial`.
pub fn session_token_error(
    profile: &str,
    serial: &str,
    failure: Failure,
    endpoint: Option<&str>,
) -> MfaError {
    match &failure {
        Failure::Service { code, message } if code == "AccessDenied" => {
            if message.to_ascii_lowercase().contains("session credentials") {
                MfaError::TemporarySource {
                    source_desc: format!("profile \"{profile}\""),
                    hint: "use the profile that holds your IAM user's access key".into(),
                }
            } else {
                MfaError::CodeRejected {
                    serial: serial.to_string(),
                    profile: profile.to_string(),
                    message: format!("AccessDenied: {message}"),
                }
            }
        }
        _ => failure_error("sts:GetSessionToken", profile, failure, endpoint),
    }
}

/// The caller of a profile, as far as messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The IAM user name, when GetUser told it.
    pub user: Option<String>,
    pub devices: Vec<String>,
}

impl Caller {
    /// `IAM user jane`, or `the user of profile "x"`.
    pub fn who(&self, profile: &str) -> String {
        match &self.user {
            Some(u) => format!("IAM user {u}"),
            None => format!("the user of profile \"{profile}\""),
        }
    }
}

/// Clients signed with a profile's long-term credentials.
pub struct Aws {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    profile: String,
    endpoint: Option<String>,
    /// The credentials came from AWS_ACCESS_KEY_ID & co., not from the profile.
    pub from_environment: bool,
}

impl Aws {
    /// Loads `profile` through the SDK's normal provider chain (environment
    /// variables first, then the profile) and checks that it yields long-term
    /// credentials. `env_access_key_id` is `$AWS_ACCESS_KEY_ID`, to tell where
    /// the credentials came from.
    pub async fn connect(
        profile: &str,
        env_access_key_id: Option<&str>,
        endpoint: Option<&str>,
        credentials_file: &str,
    ) -> Result<Self, MfaError> {
        let mut sdk = aws_config::defaults(BehaviorVersion::latest())
            .profile_name(profile)
            .load()
            .await;
        if sdk.region().is_none() {
            sdk = sdk
                .into_builder()
                .region(Region::new(FALLBACK_REGION))
                .build();
        }
        let no_credentials = |detail: String| MfaError::NoCredentials {
            profile: profile.to_string(),
            detail,
            credentials_file: credentials_file.to_string(),
        };
        let provider = sdk
            .credentials_provider()
            .ok_or_else(|| no_credentials("no credentials provider".into()))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| no_credentials(credentials_detail(&error_chain(&e))))?;
        let from_environment = env_access_key_id == Some(credentials.access_key_id());
        if credentials.session_token().is_some_and(|t| !t.is_empty()) {
            return Err(if from_environment {
                MfaError::TemporarySource {
                    source_desc: "AWS_ACCESS_KEY_ID in your environment".into(),
                    hint: "environment variables take precedence over --profile; unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (are you inside `mfa-session --exec`?) and try again".into(),
                }
            } else {
                MfaError::TemporarySource {
                    source_desc: format!("profile \"{profile}\""),
                    hint: "use the profile that holds your IAM user's access key (aws_access_key_id and aws_secret_access_key, no aws_session_token), not one with role_arn, sso_*, credential_process or session credentials".into(),
                }
            });
        }
        Ok(Self {
            iam: aws_sdk_iam::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
            profile: profile.to_string(),
            endpoint: endpoint.map(str::to_string),
            from_environment,
        })
    }

    fn error_for(&self, operation: &'static str, failure: Failure) -> MfaError {
        failure_error(operation, &self.profile, failure, self.endpoint.as_deref())
    }

    /// The caller's user name and MFA devices. A GetUser that is denied is not
    /// fatal (ListMFADevices without a user name lists the caller's own);
    /// a denied ListMFADevices is returned as the failure, to fall back on config.
    pub async fn caller(&self) -> Result<Caller, (MfaError, Failure)> {
        let user = match self.iam.get_user().send().await {
            Ok(out) => out
                .user()
                .map(|u| u.user_name().to_string())
                .filter(|u| !u.is_empty()),
            Err(e) => match Failure::from(e) {
                Failure::Service { code, .. } if code == "AccessDenied" => None,
                f => return Err((self.error_for("iam:GetUser", f.clone()), f)),
            },
        };
        let mut request = self.iam.list_mfa_devices();
        if let Some(u) = &user {
            request = request.user_name(u);
        }
        let devices = request
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| {
                let f = Failure::from(e);
                (self.error_for("iam:ListMFADevices", f.clone()), f)
            })?
            .into_iter()
            .map(|d| d.serial_number().to_string())
            .collect();
        Ok(Caller { user, devices })
    }

    /// sts:GetSessionToken.
    pub async fn session_token(
        &self,
        serial: &str,
        code: &str,
        duration: SessionDuration,
    ) -> Result<SessionCredentials, MfaError> {
        let out = self
            .sts
            .get_session_token()
            .serial_number(serial)
            .token_code(code)
            .duration_seconds(duration.seconds() as i32)
            .send()
            .await
            .map_err(|e| {
                session_token_error(
                    &self.profile,
                    serial,
                    Failure::from(e),
                    self.endpoint.as_deref(),
                )
            })?;
        let missing = |what: &str| MfaError::Aws {
            operation: "sts:GetSessionToken",
            code: "IncompleteResponse".into(),
            message: format!("the response has no {what}"),
        };
        let c = out.credentials().ok_or_else(|| missing("credentials"))?;
        let expiration =
            SystemTime::try_from(*c.expiration()).map_err(|_| missing("valid expiration"))?;
        Ok(SessionCredentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: Secret::new(c.session_token()),
            expiration: whole_seconds(expiration),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, message: &str) -> Failure {
        Failure::Service {
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn credentials_detail_keeps_what_the_profile_provider_said() {
        let chain = "the credential provider was not enabled: no credentials found in chain. Attempted:\n  Environment: the credential provider was not enabled: environment variable not set\n  Profile: the credential provider was not enabled: profile `nobody` was not defined\n  EcsContainer: x";
        assert_eq!(
            credentials_detail(chain),
            "profile `nobody` was not defined"
        );
        assert_eq!(credentials_detail("timed out\nmore"), "timed out");
    }

    #[test]
    fn error_chain_joins_causes_once() {
        let io = std::io::Error::other("connection refused");
        assert_eq!(error_chain(&io), "connection refused");
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Outer(#[source] std::io::Error);
        assert_eq!(
            error_chain(&Outer(std::io::Error::other("connection refused"))),
            "dispatch failure: connection refused"
        );
    }

    #[test]
    fn access_denied_on_get_session_token_is_a_rejected_code() {
        let e = session_token_error(
            "jane",
            "arn:aws:iam::1:mfa/jane",
            service(
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
            ),
            None,
        );
        assert!(matches!(e, MfaError::CodeRejected { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("rejected the MFA code"), "{text}");
        assert!(text.contains("wait for the next one"), "{text}");
        assert!(text.contains("invalid MFA one time pass code"), "{text}");
    }

    #[test]
    fn access_denied_for_session_credentials_says_so() {
        let e = session_token_error(
            "jane",
            "arn:x:mfa/y",
            service(
                "AccessDenied",
                "Cannot call GetSessionToken with session credentials",
            ),
            None,
        );
        assert!(matches!(e, MfaError::TemporarySource { .. }), "{e:?}");
    }

    #[test]
    fn clock_skew_gets_a_time_hint() {
        for (code, message) in [
            (
                "SignatureDoesNotMatch",
                "Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)",
            ),
            (
                "SignatureDoesNotMatch",
                "Signature not yet current: 20260101T003000Z is still later than 20260101T002000Z",
            ),
            ("RequestExpired", "Request has expired."),
        ] {
            let e = session_token_error("jane", "s", service(code, message), None);
            assert!(matches!(e, MfaError::ClockSkew { .. }), "{code}: {e:?}");
            assert!(e.to_string().contains("clock"), "{e}");
        }
    }

    #[test]
    fn bad_keys_are_named() {
        let e = failure_error(
            "iam:GetUser",
            "jane",
            service(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            None,
        );
        assert!(matches!(e, MfaError::BadAccessKey { .. }));
        assert!(e.to_string().contains("profile \"jane\""));
        let e = failure_error(
            "iam:GetUser",
            "jane",
            service(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match",
            ),
            None,
        );
        assert!(e.to_string().contains("aws_secret_access_key"), "{e}");
    }

    #[test]
    fn transport_failures_mention_the_endpoint_override() {
        let e = failure_error(
            "sts:GetSessionToken",
            "jane",
            Failure::Transport("connection refused".into()),
            Some("http://127.0.0.1:1"),
        );
        let text = e.to_string();
        assert!(text.contains("could not reach AWS for sts:GetSessionToken: connection refused"));
        assert!(text.contains("AWS_ENDPOINT_URL"));
        let e = failure_error("x", "p", service("Throttling", "slow down"), None);
        assert_eq!(e.to_string(), "x failed (Throttling: slow down)");
    }
}
