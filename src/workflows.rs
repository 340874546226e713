//! One entry for every HR action: parses a request and runs it with the workflow
//! of its action. The triggers in [`crate::triggers`] only talk to this.

use serde_json::Value;

use crate::aws::AwsError;
use crate::aws::iam::Iam;
use crate::aws::ses::Ses;
use crate::config::Config;
use crate::hr::{Action, FieldError, HrRequest};
use crate::onboarding::{AccountContext, EmployeeResult, Onboarder, Status, Step};

/// The workflows of a container, one per action.
pub struct Workflows {
    onboarder: Onboarder,
    config: Config,
}

impl Workflows {
    /// The workflows using these adapters and configuration.
    pub fn new(iam: Iam, ses: Ses, config: Config) -> Self {
        Self {
            onboarder: Onboarder::new(iam, ses, config.clone()),
            config,
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

    /// Runs `request`; one result per employee, in request order.
    pub async fn run(&self, request: HrRequest, account: &AccountContext) -> Vec<EmployeeResult> {
        match request {
            HrRequest::Onboard(request) => self.onboarder.run(request, account).await,
            HrRequest::Update(request) => request
                .employees
                .iter()
                .map(|entry| match entry {
                    Ok(employee) => unsupported(employee.username.as_str(), Action::Update),
                    Err(error) => EmployeeResult::rejected(error),
                })
                .collect(),
            HrRequest::Offboard(request) => request
                .leavers
                .iter()
                .map(|entry| match entry {
                    Ok(leaver) => unsupported(leaver.username.as_str(), Action::Offboard),
                    Err(error) => EmployeeResult::rejected(error),
                })
                .collect(),
        }
    }
}

/// Until the workflow of `action` exists: a failure that changed nothing.
fn unsupported(username: &str, action: Action) -> EmployeeResult {
    let err = AwsError {
        code: "UnsupportedAction".into(),
        message: format!(
            "the {} action is not available yet; nothing was changed",
            action.as_str()
        ),
    };
    EmployeeResult::for_user(username, Status::Failed).with_failure(Step::GetUser, &err, "")
}
