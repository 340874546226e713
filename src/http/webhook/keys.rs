//! The webhook signing keys: the secret's current and previous versions from
//! Secrets Manager, cached per container and re-read after a rotation.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tracing::{error, info, warn};

use super::standard::{self, verify_standard};
use super::{Rejection, SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER, WebhookRequest, verify};
use crate::aws::secrets::Secrets;
use crate::identity::ownership::unix_now;

/// How long fetched webhook secrets are reused.
const SECRET_TTL: Duration = Duration::from_secs(300);
/// After a signature mismatch, secrets older than this are fetched again (rotation).
const SECRET_REFRESH_AFTER: Duration = Duration::from_secs(30);

struct CachedKeys {
    fetched: Instant,
    keys: Vec<SigningKey>,
}

/// The signing keys of one container.
pub struct SigningKeys {
    secrets: Secrets,
    secret_arn: Option<String>,
    /// The variable naming the secret, for the logs (`WEBHOOK_SECRET_ARN`, …).
    variable: &'static str,
    cache: Mutex<Option<CachedKeys>>,
}

impl SigningKeys {
    /// Keys read from `secret_arn` (`WEBHOOK_SECRET_ARN`) when first needed.
    pub fn new(secrets: Secrets, secret_arn: Option<String>) -> Self {
        Self::of(secrets, secret_arn, "WEBHOOK_SECRET_ARN")
    }

    /// Keys read from `secret_arn`, which the variable `variable` names.
    pub fn of(secrets: Secrets, secret_arn: Option<String>, variable: &'static str) -> Self {
        Self {
            secrets,
            secret_arn,
            variable,
            cache: Mutex::new(None),
        }
    }

    /// Checks the request's signature over `body`: Standard Webhooks when
    /// [`standard::is_standard`], else the `X-Onboarding-*` scheme. Errors:
    /// [`Rejection::StandardSignature`] or [`Rejection::Signature`] (401), or
    /// [`Rejection::SecretUnavailable`] (500) when no key can be read.
    pub async fn check(&self, request: &WebhookRequest, body: &[u8]) -> Result<(), Rejection> {
        let is_standard = standard::is_standard(request);
        let verify = |keys: &[SigningKey]| {
            if is_standard {
                verify_standard(
                    request.header(standard::ID_HEADER),
                    request.header(standard::TIMESTAMP_HEADER),
                    request.header(standard::SIGNATURE_HEADER),
                    body,
                    keys,
                    unix_now(),
                )
                .map_err(Rejection::StandardSignature)
            } else {
                verify(
                    request.header(TIMESTAMP_HEADER),
                    request.header(SIGNATURE_HEADER),
                    body,
                    keys,
                    unix_now(),
                )
                .map_err(Rejection::Signature)
            }
        };
        self.check_with(verify).await
    }

    /// Runs `verify` with the cached keys (fetched first when older than 5
    /// minutes); a mismatch with keys older than 30 s fetches them again and
    /// retries once (the secret may have been rotated). Errors: `verify`'s, or
    /// [`Rejection::SecretUnavailable`] when no key can be read.
    pub async fn check_with(
        &self,
        verify: impl Fn(&[SigningKey]) -> Result<(), Rejection>,
    ) -> Result<(), Rejection> {
        let mut cache = self.cache.lock().await;
        let fresh = |c: &Option<CachedKeys>, max: Duration| {
            c.as_ref().is_some_and(|c| c.fetched.elapsed() < max)
        };
        if !fresh(&cache, SECRET_TTL) {
            match self.fetch().await {
                Some(keys) => *cache = Some(keys),
                // Secrets Manager unavailable: keep verifying with the keys we have.
                None if cache.is_some() => {
                    warn!(
                        variable = self.variable,
                        "using the cached signing secret after a failed refresh"
                    )
                }
                None => return Err(Rejection::SecretUnavailable),
            }
        }
        let cached = cache.as_ref().ok_or(Rejection::SecretUnavailable)?;
        match verify(&cached.keys) {
            Err(rejection) if rejection.is_mismatch() && !fresh(&cache, SECRET_REFRESH_AFTER) => {
                // The secret may have been rotated since it was cached.
                let refreshed = self.fetch().await.ok_or(Rejection::SecretUnavailable)?;
                let result = verify(&refreshed.keys);
                *cache = Some(refreshed);
                result
            }
            other => other,
        }
    }

    /// The keys as last read (after [`SigningKeys::check_with`] accepted a
    /// request: the ones that verified it); empty before any read.
    pub async fn current(&self) -> Vec<SigningKey> {
        self.cache
            .lock()
            .await
            .as_ref()
            .map(|c| c.keys.clone())
            .unwrap_or_default()
    }

    async fn fetch(&self) -> Option<CachedKeys> {
        let Some(arn) = &self.secret_arn else {
            error!(
                variable = self.variable,
                "signed request received but its secret is not configured"
            );
            return None;
        };
        let (current, previous) = tokio::join!(
            self.secrets.signing_key(arn, "AWSCURRENT"),
            self.secrets.signing_key(arn, "AWSPREVIOUS")
        );
        let mut keys = Vec::new();
        match current {
            Ok(Some(key)) => keys.push(key),
            Ok(None) => {
                error!(
                    variable = self.variable,
                    "the signing secret has no string value"
                );
                return None;
            }
            Err(err) => {
                error!(variable = self.variable, aws_error = %err.code, "could not read the signing secret");
                return None;
            }
        }
        match previous {
            Ok(key) => keys.extend(key),
            Err(err) => {
                warn!(variable = self.variable, aws_error = %err.code, "could not read the previous signing secret version")
            }
        }
        if keys.iter().any(SigningKey::is_malformed_whsec) {
            warn!(
                "the webhook secret starts with whsec_ but the rest is not base64: Standard \
                 Webhooks signatures are checked with the whole string as the key"
            );
        }
        info!(
            variable = self.variable,
            versions = keys.len(),
            "signing secret loaded"
        );
        Some(CachedKeys {
            fetched: Instant::now(),
            keys,
        })
    }
}
