//! The steps of a workflow: one name for logs, results and the dry-run plan.

use std::fmt;
use std::future::Future;
use std::time::Instant;

use serde::Serialize;
use tracing::{info, warn};

use crate::aws::AwsError;

/// One AWS call (or group of calls) of the onboarding workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `GetAccountPasswordPolicy`, once per container.
    ReadPasswordPolicy,
    /// The password policy and sign-in URL, once per container.
    ReadAccountSettings,
    /// `CreateUser` with the HR tags, the marker and `OnboardingStatus=pending`.
    CreateUser,
    /// `GetUser`: who holds the name.
    GetUser,
    /// `TagUser` claiming a pending user for this attempt.
    ClaimUser,
    /// `CreateLoginProfile` (or `UpdateLoginProfile`) with the one-time password.
    CreateLoginProfile,
    /// `AttachUserPolicy` with the self-manage policy.
    AttachPolicy,
    /// `AddUserToGroup`, once per group.
    AddToGroup,
    /// `SendEmail` with the welcome email.
    SendEmail,
    /// `TagUser` with `OnboardingStatus=complete`.
    MarkComplete,
    /// `DeleteLoginProfile` after a failure, so no undelivered password works.
    UndoLoginProfile,
    /// `TagUser` with `OnboardingStatus=failed`.
    MarkFailed,
}

impl Step {
    /// The step's name in logs and results (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::ReadPasswordPolicy => "read_password_policy",
            Step::ReadAccountSettings => "read_account_settings",
            Step::CreateUser => "create_user",
            Step::GetUser => "get_user",
            Step::ClaimUser => "claim_user",
            Step::CreateLoginProfile => "create_login_profile",
            Step::AttachPolicy => "attach_policy",
            Step::AddToGroup => "add_to_group",
            Step::SendEmail => "send_email",
            Step::MarkComplete => "mark_complete",
            Step::UndoLoginProfile => "undo_login_profile",
            Step::MarkFailed => "mark_failed",
        }
    }

    /// The AWS operation the step calls, as the dry-run plan names it.
    pub fn operation(self) -> &'static str {
        match self {
            Step::ReadPasswordPolicy | Step::ReadAccountSettings => "GetAccountPasswordPolicy",
            Step::CreateUser => "CreateUser",
            Step::GetUser => "GetUser",
            Step::ClaimUser | Step::MarkComplete | Step::MarkFailed => "TagUser",
            Step::CreateLoginProfile => "CreateLoginProfile",
            Step::AttachPolicy => "AttachUserPolicy",
            Step::AddToGroup => "AddUserToGroup",
            Step::SendEmail => "SendEmail",
            Step::UndoLoginProfile => "DeleteLoginProfile",
        }
    }

    /// Runs `call` as this step, logging its name, outcome, AWS error code and duration.
    pub async fn run<T>(
        self,
        call: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let started = Instant::now();
        let result = call.await;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let step = self.as_str();
        match &result {
            Ok(_) => info!(step, outcome = "ok", duration_ms, "step finished"),
            Err(err) => {
                warn!(step, outcome = "error", aws_error = %err.code, duration_ms, "step failed")
            }
        }
        result
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
