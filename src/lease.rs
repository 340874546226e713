//! One run per person at a time, across containers: a lease in the idempotency
//! table that every action writing a user takes first (issue 16).
//!
//! The lease is the item `lease#<hex SHA-256 of the lower-cased user name>`
//! (no name or address is stored), written with a conditional `PutItem` that
//! succeeds only when no other attempt holds a lease that has not expired. It
//! expires [`LEASE_SECONDS`] after it was taken, longer than the function's
//! 60 s timeout, so a lease is stolen only from a run Lambda has already ended;
//! it is released (conditional `DeleteItem`) when the work ends. A run that
//! cannot take it gets [`LeaseError::Busy`] and must answer a retryable
//! `OnboardingInProgress` without any write.
//!
//! The owner is the run's attempt id (the Lambda request id, plus the entry's
//! index in a batch), so a run recognises its own lease (re-entrant) and, in
//! the user's `OnboardingAttempt` tag, its own work.
//!
//! Without `IDEMPOTENCY_TABLE` (a local run) leases are disabled: every
//! acquisition succeeds and the start-up log says runs are not serialised.

use std::future::Future;

use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::aws::AwsError;
use crate::aws::dynamodb::Dynamo;
use crate::aws::iam::ExistingUser;
use crate::deadline::Deadline;
use crate::identity::ownership::{attempt_in_progress, unix_now};
use crate::identity::{EmployeeResult, Status, Step};

/// How long a lease lasts, in seconds: twice the function timeout (60 s,
/// asserted by `scripts/template-rules.cfnlint`).
pub const LEASE_SECONDS: i64 = 120;
/// The `Retry-After` (seconds) suggested to a caller that met a held lease:
/// the holder ends within the function timeout.
pub const RETRY_AFTER_SECONDS: i64 = 60;

/// Why the lease was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseError {
    /// Another attempt holds it.
    #[error("another invocation is working on this person right now")]
    Busy,
    /// The table could not be written.
    #[error("the lease could not be taken: {0}")]
    Store(AwsError),
}

impl LeaseError {
    /// The error for a result: `OnboardingInProgress` (retryable, nothing was
    /// written), or the table's AWS error.
    pub fn to_aws_error(&self) -> AwsError {
        match self {
            LeaseError::Busy => AwsError {
                code: "OnboardingInProgress".into(),
                message: format!(
                    "another invocation is working on this employee right now; \
                     nothing was changed, retry after {RETRY_AFTER_SECONDS} s"
                ),
            },
            LeaseError::Store(err) => err.clone(),
        }
    }
}

/// The per-person leases of a container (disabled without a table).
#[derive(Debug, Clone)]
pub struct Leases {
    store: Option<Dynamo>,
}

impl Leases {
    /// Leases in `store`; `None` disables them.
    pub fn new(store: Option<Dynamo>) -> Self {
        Self { store }
    }

    /// Whether runs are serialised (a table is configured).
    pub fn is_enabled(&self) -> bool {
        self.store.is_some()
    }

    /// The age in seconds of another run's recent `pending` claim on `user`,
    /// which this run must not interfere with. `None` with a table: the lease's
    /// holder is the only run, so such a claim is a run that ended. Without one,
    /// [`attempt_in_progress`].
    pub fn unfinished_claim(&self, user: &ExistingUser) -> Option<i64> {
        if self.is_enabled() {
            return None;
        }
        attempt_in_progress(user, unix_now())
    }

    /// Runs `work` while holding the lease of user `username` as `attempt`, then
    /// releases it. Errors: [`LeaseError::Busy`] (nothing of `work` ran) or
    /// [`LeaseError::Store`]. A failed release is logged; the lease then expires.
    pub async fn exclusive<T>(
        &self,
        username: &str,
        attempt: &str,
        work: impl Future<Output = T>,
    ) -> Result<T, LeaseError> {
        // Boxed: a workflow's future is large, and the caller's stack is not (tests,
        // the runtime's worker threads).
        let work = Box::pin(work);
        let Some(store) = &self.store else {
            return Ok(work.await);
        };
        let key = lease_key(username);
        let now = unix_now();
        let taken = Step::AcquireLease
            .run(store.put_unless_held(&key, attempt, now + LEASE_SECONDS, now))
            .await
            .map_err(LeaseError::Store)?;
        if !taken {
            return Err(LeaseError::Busy);
        }
        let result = work.await;
        match Step::ReleaseLease
            .run(store.delete_if_owner(&key, attempt))
            .await
        {
            Ok(true) => {}
            Ok(false) => warn!("the lease had expired and was taken over before it was released"),
            Err(err) => warn!(
                aws_error = %err.code,
                "could not release the lease; it expires within {LEASE_SECONDS} s"
            ),
        }
        Ok(result)
    }

    /// [`Self::exclusive`] for a workflow's per-employee `work`: a lease not taken
    /// becomes a `failed` result for `username` at step `acquire_lease` (code
    /// `OnboardingInProgress` when another attempt holds it), with nothing written;
    /// so does a `not_started` one when the invocation's deadline is too near
    /// to start (see [`crate::deadline`]).
    pub async fn guard(
        &self,
        username: &str,
        attempt: &str,
        work: impl Future<Output = EmployeeResult>,
    ) -> EmployeeResult {
        if !Deadline::allows_start() {
            info!("not started: the invocation's deadline is too near");
            return EmployeeResult::not_started(username);
        }
        match self.exclusive(username, attempt, work).await {
            Ok(result) => result,
            Err(err) => EmployeeResult::for_user(username, Status::Failed).with_failure(
                Step::AcquireLease,
                &err.to_aws_error(),
                "",
            ),
        }
    }

    /// [`Self::guard`], unless `dry_run`: a dry run writes nothing, so it runs
    /// `work` without the lease.
    pub async fn guard_writes(
        &self,
        dry_run: bool,
        username: &str,
        attempt: &str,
        work: impl Future<Output = EmployeeResult>,
    ) -> EmployeeResult {
        if dry_run {
            Box::pin(work).await
        } else {
            self.guard(username, attempt, work).await
        }
    }
}

/// The table key of `username`'s lease: `lease#` + hex SHA-256 of the
/// lower-cased name (IAM user names are unique ignoring case).
pub fn lease_key(username: &str) -> String {
    let digest = Sha256::digest(username.to_ascii_lowercase().as_bytes());
    format!("lease#{}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_ignores_case_and_holds_no_name() {
        assert_eq!(lease_key("Jane.Doe"), lease_key("jane.doe"));
        assert_ne!(lease_key("jane.doe"), lease_key("john.doe"));
        let key = lease_key("jane.doe");
        assert!(key.starts_with("lease#") && key.len() == 6 + 64);
        assert!(!key.contains("jane"));
    }

    #[tokio::test(start_paused = true)]
    async fn no_work_starts_when_the_deadline_is_too_near() {
        use crate::deadline::{DEADLINE_EXCEEDED, UNDO_CALLS};
        use std::time::Duration;
        let call = Duration::from_millis(100);
        let near = Deadline::after(call * (UNDO_CALLS + 1), call);
        let result = Deadline::scope(Some(near), async {
            Leases::new(None)
                .guard("jane", "a", async { unreachable!("no work may start") })
                .await
        })
        .await;
        assert_eq!(result.status, Status::NotStarted);
        assert_eq!(result.error.unwrap().code, DEADLINE_EXCEEDED);
    }

    #[tokio::test]
    async fn without_a_table_the_work_runs_unserialised() {
        let leases = Leases::new(None);
        assert!(!leases.is_enabled());
        assert_eq!(leases.exclusive("jane", "a", async { 7 }).await, Ok(7));
    }

    #[test]
    fn a_recent_pending_claim_counts_only_without_a_table() {
        use crate::identity::ownership::{STARTED_AT_TAG, STATUS_PENDING, STATUS_TAG};
        let pending = ExistingUser {
            arn: "arn:aws:iam::123456789012:user/employees/jane".into(),
            path: "/employees/".into(),
            tags: vec![
                (STATUS_TAG.into(), STATUS_PENDING.into()),
                (STARTED_AT_TAG.into(), (unix_now() - 5).to_string()),
            ],
            user_id: "AIDAEXAMPLE".into(),
            created_at: 0,
            password_last_used: None,
        };
        let age = Leases::new(None).unfinished_claim(&pending);
        assert!(age.is_some_and(|age| (5..10).contains(&age)), "{age:?}");
        let table = crate::test_fixtures::held_leases();
        assert_eq!(table.unfinished_claim(&pending), None);
    }
}
