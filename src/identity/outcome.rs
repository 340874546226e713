//! What the caller gets back for each employee: a [`Status`] and the details.

use serde::Serialize;

use super::{AwsError, FieldError, Step};

/// Error code of a step the invocation's deadline refused or cut off (see [`crate::deadline`]).
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// Outcome of one employee's onboarding, offboarding or update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The user was created (or a pending one completed) and the email sent.
    Created,
    /// An earlier run already onboarded this employee; nothing changed.
    AlreadyOnboarded,
    /// Dry run: validated, plan reported, nothing written.
    DryRun,
    /// The input was invalid; nothing written.
    Rejected,
    /// The user name belongs to someone else; nothing written.
    Conflict,
    /// An AWS step failed; see `error.step` and `error.code`.
    Failed,
    /// Offboarded now: no console access, every credential inactive, `AWSDenyAll` attached.
    Offboarded,
    /// An earlier run already offboarded this user; nothing changed.
    AlreadyOffboarded,
    /// A future `effectiveAt`: a one-time schedule will offboard the user then.
    Scheduled,
    /// The user's tags or groups were brought in line with the HR record.
    Updated,
    /// The user already matched the HR record; nothing written.
    Unchanged,
    /// No user of this function under its path matches the person; nothing written.
    NotFound,
    /// Resend: a fresh one-time password replaced the old one and the welcome email was sent again.
    Resent,
    /// The invocation's deadline came before this employee was started: nothing was
    /// written; retryable (code `DeadlineExceeded`).
    NotStarted,
    /// An HR-system event that cannot be acted on yet (a hire date in the future, no
    /// work email yet): nothing written; a later event of the person acts. The
    /// result's `warning` says why.
    Deferred,
}

impl Status {
    /// Whether the request for this employee is done (or would be, in a dry run)
    /// with nothing left to do; EventBridge events fail on anything else.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Status::Created
                | Status::AlreadyOnboarded
                | Status::DryRun
                | Status::Offboarded
                | Status::AlreadyOffboarded
                | Status::Scheduled
                | Status::Updated
                | Status::Unchanged
                | Status::Resent
                | Status::Deferred
        )
    }

    /// The status as it appears in responses and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::AlreadyOnboarded => "already_onboarded",
            Status::DryRun => "dry_run",
            Status::Rejected => "rejected",
            Status::Conflict => "conflict",
            Status::Failed => "failed",
            Status::Offboarded => "offboarded",
            Status::AlreadyOffboarded => "already_offboarded",
            Status::Scheduled => "scheduled",
            Status::Updated => "updated",
            Status::Unchanged => "unchanged",
            Status::NotFound => "not_found",
            Status::Resent => "resent",
            Status::NotStarted => "not_started",
            Status::Deferred => "deferred",
        }
    }
}

/// Error details of a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultError {
    /// Machine-readable code: `InvalidField`, `UserConflict`, or the AWS error code.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The offending input field, for rejections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The workflow step that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
}

/// The result for one employee, as returned to the caller. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeResult {
    /// The IAM user name, when it could be determined.
    pub username: Option<String>,
    /// What happened.
    pub status: Status,
    /// The user's ARN, when the user exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_arn: Option<String>,
    /// Groups the user was added to (or would be, in a dry run).
    pub groups: Vec<String>,
    /// SES message id of the welcome email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_message_id: Option<String>,
    /// Why the employee was not onboarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResultError>,
    /// Dry run: the calls a real run would make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<String>>,
    /// `scheduled`: when the offboarding will run (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<String>,
    /// A pending offboarding of the person (a future `effectiveAt`) was cancelled:
    /// by an `update` with `terminationCancelled`, or by a rehire. Absent when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub offboarding_cancelled: bool,
    /// Something the operator should know: fields that were normalised to be accepted
    /// (`employee.department: normalised ...`), or a step that failed after the email was
    /// sent. Several are joined with `; `.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl EmployeeResult {
    /// The result for the user `username` with `status`, no groups and no details yet.
    pub fn for_user(username: &str, status: Status) -> Self {
        Self {
            username: Some(username.to_string()),
            status,
            user_arn: None,
            groups: Vec::new(),
            email_message_id: None,
            error: None,
            plan: None,
            scheduled_at: None,
            offboarding_cancelled: false,
            warning: None,
        }
    }

    /// The result of an HR-system event that cannot be acted on yet (`reason`, in
    /// the warning): status `deferred`, nothing written.
    pub fn deferred(reason: &str) -> Self {
        let mut result = Self::for_user("", Status::Deferred);
        result.username = None;
        result.add_warning(reason);
        result
    }

    /// Adds `text` to the warning (several are joined with `; `).
    pub fn add_warning(&mut self, text: &str) {
        self.warning = Some(match self.warning.take() {
            Some(earlier) => format!("{earlier}; {text}"),
            None => text.to_string(),
        });
    }

    /// The result for an employee entry that failed validation.
    pub fn rejected(error: &FieldError) -> Self {
        Self {
            username: None,
            status: Status::Rejected,
            user_arn: None,
            groups: Vec::new(),
            email_message_id: None,
            error: Some(ResultError {
                code: "InvalidField".into(),
                message: error.to_string(),
                field: Some(error.field.clone()),
                step: None,
            }),
            plan: None,
            scheduled_at: None,
            offboarding_cancelled: false,
            warning: None,
        }
    }

    /// The result for the user `username` when the invocation's deadline came
    /// before its turn: status `not_started`, code `DeadlineExceeded`, nothing written.
    pub fn not_started(username: &str) -> Self {
        let mut result = Self::for_user(username, Status::NotStarted);
        result.error = Some(ResultError {
            code: DEADLINE_EXCEEDED.into(),
            message: "not started: the invocation's deadline was too near to start this \
                      employee and still undo a failure; nothing was changed, send it again"
                .into(),
            field: None,
            step: None,
        });
        result
    }

    /// This result turned into a failure of `step` (status `failed`, error set).
    pub fn with_failure(mut self, step: Step, err: &AwsError, note: &str) -> Self {
        self.status = Status::Failed;
        self.error = Some(ResultError {
            code: err.code.clone(),
            message: format!("{step} failed: {}{note}", err.message),
            field: None,
            step: Some(step),
        });
        self
    }
}
