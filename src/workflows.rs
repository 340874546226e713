//! One entry for every HR action: parses a request and runs it with the workflow
//! of its action. The triggers in [`crate::triggers`] only talk to this.

use serde_json::Value;

use crate::aws::iam::Iam;
use crate::aws::scheduler::Scheduler;
use crate::aws::ses::Ses;
use crate::config::Config;
use crate::hr::{FieldError, HrRequest};
use crate::identity::{AccountContext, EmployeeResult};
use crate::lease::Leases;
use crate::lifecycle::{Offboarder, Resender, Updater};
use crate::onboarding::Onboarder;
use crate::reveal::PasswordHandover;
use crate::schedule::PendingOffboardings;

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

    /// The same workflows, onboarding and `resend` handing passwords over with
    /// `handover` (`PASSWORD_DELIVERY`).
    pub fn with_password_handover(self, handover: PasswordHandover) -> Self {
        Self {
            onboarder: self.onboarder.with_password_handover(handover.clone()),
            resender: self.resender.with_password_handover(handover),
            ..self
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
        let action = request.action();
        let results = match request {
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
        };
        crate::metrics::emit_results(action.as_str(), &results);
        results
    }
}
