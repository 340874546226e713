//! Thin adapters over the AWS SDK clients: one method per call the workflow
//! makes (IAM, its directory walk for SCIM, SES, Secrets Manager, the DynamoDB idempotency table and its
//! reveal records, Lambda's own Function URL), SDK errors
//! mapped to [`AwsError`], IAM's transient conflicts retried;
//! and the SDK configuration they share ([`sdk`]).

pub mod account;
pub mod dynamodb;
pub mod function_url;
pub mod iam;
pub mod iam_directory;
pub mod iam_hygiene;
pub mod last_answer;
pub mod reveals;
pub mod scheduler;
pub mod sdk;
pub mod secrets;
pub mod ses;
pub mod sns;

use std::future::Future;
use std::time::Duration;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

pub use crate::identity::AwsError;

impl<E: ProvideErrorMetadata, R> From<SdkError<E, R>> for AwsError {
    fn from(err: SdkError<E, R>) -> Self {
        let (code, message) = match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                (
                    e.code().unwrap_or("Unknown").to_string(),
                    e.message().unwrap_or_default().to_string(),
                )
            }
            SdkError::TimeoutError(_) => ("TimeoutError".into(), "the request timed out".into()),
            SdkError::DispatchFailure(_) => (
                "DispatchFailure".into(),
                "the request could not be sent".into(),
            ),
            SdkError::ResponseError(_) => (
                "ResponseError".into(),
                "the response could not be read".into(),
            ),
            SdkError::ConstructionFailure(_) => (
                "ConstructionFailure".into(),
                "the request could not be built".into(),
            ),
            _ => ("Unknown".into(), "unknown SDK error".into()),
        };
        Self { code, message }
    }
}

/// IAM error codes that mean "try again shortly" (eventual consistency).
const TRANSIENT_IAM_CODES: [&str; 2] = ["ConcurrentModification", "EntityTemporarilyUnmodifiable"];
/// Attempts for calls failing with a transient IAM code.
const MAX_ATTEMPTS: u32 = 5;
/// First backoff delay; doubled on every further attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Runs `call`, retrying with exponential backoff while IAM answers
/// `ConcurrentModification` or `EntityTemporarilyUnmodifiable`. (Throttling is
/// retried by the SDK's own retry policy.)
pub async fn retry_transient<T, F, Fut>(mut call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut delay = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(err)
                if attempt < MAX_ATTEMPTS && TRANSIENT_IAM_CODES.contains(&err.code.as_str()) =>
            {
                tracing::warn!(aws_error = %err.code, attempt, "transient IAM error, retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn err(code: &str) -> AwsError {
        AwsError {
            code: code.into(),
            message: String::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_codes_then_succeeds() {
        let calls = AtomicU32::new(0);
        let result = retry_transient(|| async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(err("ConcurrentModification")),
                1 => Err(err("EntityTemporarilyUnmodifiable")),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_and_never_retries_other_errors() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry_transient(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err("ConcurrentModification"))
        })
        .await;
        assert_eq!(result.unwrap_err().code, "ConcurrentModification");
        assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS);

        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry_transient(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err("AccessDenied"))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
