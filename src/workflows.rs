//! One entry for every HR action: parses a request and runs it with the workflow
//! of its action. The triggers in [`crate::triggers`] only talk to this.

use std::future::Future;

use futures::StreamExt;
use serde_json::Value;
use tracing::{Instrument, Span, info};

use crate::aws::iam::Iam;
use crate::aws::scheduler::Scheduler;
use crate::aws::ses::Ses;
use crate::config::Config;
use crate::hr::{FieldError, HrRequest};
use crate::lease::Leases;
use crate::lifecycle::{Offboarder, PendingOffboardings, Resender, Updater};
use crate::onboarding::{AccountContext, EmployeeResult, Onboarder};

/// Employees handled at the same time within one batch. IAM throttling is
/// absorbed by the SDK's retries (see `main.rs`).
pub const BATCH_CONCURRENCY: usize = 16;

/// The workflows of a container, one per action.
pub struct Workflows {
    onboarder: Onboarder,
    offboarder: Offboarder,
    updater: Updater,
    resender: Resender,
    config: Config,
}

impl Workflows {
    /// The workflows using these adapters and configuration.
    pub fn new(iam: Iam, ses: Ses, scheduler: Scheduler, config: Config) -> Self {
        let pending =
            PendingOffboardings::new(scheduler.clone(), config.offboarding_schedules.clone());
        Self {
            onboarder: Onboarder::new(iam.clone(), ses.clone(), config.clone())
                .with_pending_offboardings(pending.clone()),
            offboarder: Offboarder::new(iam.clone(), scheduler, config.clone()),
            updater: Updater::new(iam.clone(), config.clone()).with_pending_offboardings(pending),
            resender: Resender::new(iam, ses, config.clone()),
            config,
        }
    }

    /// The same workflows, each taking the person's lease (see [`crate::lease`])
    /// before it writes a user.
    pub fn with_leases(self, leases: Leases) -> Self {
        Self {
            onboarder: self.onboarder.with_leases(leases.clone()),
            offboarder: self.offboarder.with_leases(leases.clone()),
            updater: self.updater.with_leases(leases.clone()),
            resender: self.resender.with_leases(leases),
            config: self.config,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Validates a request payload against this function's allowed groups.
    pub fn parse_request(&self, payload: &Value) -> Result<HrRequest, FieldError> {
        HrRequest::parse(payload, &self.config.allowed_groups)
    }

    /// Runs `request` as `attempt` (the Lambda request id, see [`crate::lease`]);
    /// one result per employee, in request order.
    pub async fn run(
        &self,
        request: HrRequest,
        account: &AccountContext,
        attempt: &str,
    ) -> Vec<EmployeeResult> {
        match request {
            HrRequest::Onboard(request) => {
                Box::pin(self.onboarder.run(request, account, attempt)).await
            }
            HrRequest::Offboard(request) => {
                Box::pin(self.offboarder.run(request, account, attempt)).await
            }
            HrRequest::Update(request) => Box::pin(self.updater.run(request, attempt)).await,
            HrRequest::Resend(request) => {
                Box::pin(self.resender.run(request, account, attempt)).await
            }
        }
    }
}

/// Runs `work(entry_attempt, entry)` for every valid entry (entry `i` runs as
/// attempt `"{attempt}/{i}"`, see [`crate::lease`]), at most [`BATCH_CONCURRENCY`]
/// at a time, inside the entry's `span`, and logs each entry's status when it
/// finishes; a rejected entry becomes a `rejected` result. One result per entry,
/// in order.
pub async fn for_each_entry<T, S, F, Fut>(
    entries: Vec<Result<T, FieldError>>,
    attempt: &str,
    span: S,
    work: F,
) -> Vec<EmployeeResult>
where
    S: Fn(&T) -> Span,
    F: Fn(String, T) -> Fut,
    Fut: Future<Output = EmployeeResult>,
{
    let (span, work) = (&span, &work);
    let mut finished: Vec<(usize, EmployeeResult)> =
        futures::stream::iter(entries.into_iter().enumerate())
            .map(|(index, entry)| async move {
                let result = match entry {
                    Ok(entry) => {
                        let span = span(&entry);
                        async {
                            let result = work(format!("{attempt}/{index}"), entry).await;
                            info!(status = result.status.as_str(), "employee finished");
                            result
                        }
                        .instrument(span)
                        .await
                    }
                    Err(field_error) => {
                        info!(field = %field_error.field, status = "rejected", "employee rejected");
                        EmployeeResult::rejected(&field_error)
                    }
                };
                (index, result)
            })
            // Unordered, so one slow employee does not hold a slot others could use.
            .buffer_unordered(BATCH_CONCURRENCY)
            .collect()
            .await;
    finished.sort_unstable_by_key(|(index, _)| *index);
    finished.into_iter().map(|(_, result)| result).collect()
}
