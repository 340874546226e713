//! Which IAM users belong to this function, to which person, and how far their
//! onboarding got: all of it is kept in the user's own tags, because IAM is the
//! only store the function has.
//!
//! Idempotency and failure handling (also in the README):
//! - Users are created with `ManagedBy=iam-onboarding`, `EmailSha256`, `OnboardingStatus=pending`
//!   and `OnboardingStartedAt`; the status becomes `complete` only after SES accepted the email.
//! - A repeat of a completed event finds `complete` and returns `already_onboarded`
//!   without any write. A name held by a user without the marker, or with another
//!   `EmployeeId` or email hash, is a `conflict` and nothing is touched.
//! - A `pending` user whose attempt started less than [`IN_PROGRESS_SECONDS`] ago belongs to a
//!   concurrent invocation: `OnboardingInProgress`, no write.
//! - A failure after the password was set removes the login profile again, so no
//!   console password exists that nobody received, and marks the user `failed`. A retry of
//!   the same event re-claims and resumes it: IAM attach/add calls are idempotent and a
//!   new password replaces any old one before it is emailed.

use crate::aws::iam::ExistingUser;
use crate::hr::Employee;

/// Tag key marking users this function created (value [`MANAGED_BY_VALUE`]).
pub const MANAGED_BY_TAG: &str = "ManagedBy";
/// Value of the [`MANAGED_BY_TAG`] tag.
pub const MANAGED_BY_VALUE: &str = "iam-onboarding";
/// Tag key recording onboarding progress (`pending` or `complete`).
pub const STATUS_TAG: &str = "OnboardingStatus";
/// Tag key holding the HR employee id.
pub const EMPLOYEE_ID_TAG: &str = "EmployeeId";
/// Tag key holding the HR department.
pub const DEPARTMENT_TAG: &str = "Department";
/// Tag key holding the hex SHA-256 of the lower-cased email: ties the user to one
/// person even without an employee id, without storing the address.
pub const EMAIL_HASH_TAG: &str = "EmailSha256";
/// Tag key holding when the latest onboarding attempt started (unix seconds).
pub const STARTED_AT_TAG: &str = "OnboardingStartedAt";
/// Tag keys this function sets itself; HR-provided tags may not use them.
pub const RESERVED_TAG_KEYS: [&str; 6] = [
    MANAGED_BY_TAG,
    STATUS_TAG,
    EMPLOYEE_ID_TAG,
    DEPARTMENT_TAG,
    EMAIL_HASH_TAG,
    STARTED_AT_TAG,
];

/// Status while an attempt runs (or was cut off).
pub const STATUS_PENDING: &str = "pending";
/// Status after an attempt failed and undid its password.
pub const STATUS_FAILED: &str = "failed";
/// Status once the welcome email was accepted by SES.
pub const STATUS_COMPLETE: &str = "complete";
/// A `pending` user whose attempt started less than this long ago is being
/// onboarded by another invocation right now (the function times out after 60 s).
pub const IN_PROGRESS_SECONDS: i64 = 120;
/// Conflict reason when the name exists but the role may not even read the user.
pub const OUTSIDE_PATH: &str =
    "an IAM user with this name exists outside this function's user path";

/// The current time in unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What a user already holding the employee's name means for the onboarding.
pub enum Existing {
    /// No such user.
    Absent,
    /// Ours, interrupted before the email was sent: resume it (its ARN).
    Pending(String),
    /// Nothing to do: see [`Settled`].
    Settled(Settled),
}

/// Existing users that end the onboarding without a write.
pub enum Settled {
    /// Not ours, another person's, or outside the readable path: leave it alone.
    Foreign(&'static str),
    /// Ours and complete (its ARN).
    Complete(String),
    /// Another invocation started onboarding it moments ago (seconds since).
    InProgress(i64),
}

impl Existing {
    /// What `user`, found under the employee's name at `now` (unix seconds), means.
    pub fn judge(employee: &Employee, user: ExistingUser, now: i64) -> Self {
        if user.tag(MANAGED_BY_TAG) != Some(MANAGED_BY_VALUE) {
            return Existing::Settled(Settled::Foreign(
                "an IAM user with this name exists and is not managed by iam-onboarding",
            ));
        }
        if user.tag(EMPLOYEE_ID_TAG) != employee.employee_id.as_deref() {
            return Existing::Settled(Settled::Foreign(
                "an IAM user with this name was onboarded for another employee id",
            ));
        }
        if user
            .tag(EMAIL_HASH_TAG)
            .is_some_and(|hash| hash != employee.email.sha256_hex())
        {
            return Existing::Settled(Settled::Foreign(
                "an IAM user with this name was onboarded for another email address",
            ));
        }
        match user.tag(STATUS_TAG) {
            Some(STATUS_COMPLETE) => Existing::Settled(Settled::Complete(user.arn)),
            Some(STATUS_PENDING) => {
                let started = user.tag(STARTED_AT_TAG).and_then(|t| t.parse::<i64>().ok());
                match started.map(|t| now - t) {
                    Some(age) if (0..IN_PROGRESS_SECONDS).contains(&age) => {
                        Existing::Settled(Settled::InProgress(age))
                    }
                    _ => Existing::Pending(user.arn),
                }
            }
            _ => Existing::Pending(user.arn),
        }
    }
}

/// The tags of every status update: the marker (the execution role allows
/// TagUser only with it) and the status.
pub fn marker_tags(status: &str) -> Vec<(String, String)> {
    vec![
        (MANAGED_BY_TAG.to_string(), MANAGED_BY_VALUE.to_string()),
        (STATUS_TAG.to_string(), status.to_string()),
    ]
}

/// [`marker_tags`] plus the start time of this attempt.
pub fn attempt_tags(status: &str) -> Vec<(String, String)> {
    let mut tags = marker_tags(status);
    tags.push((STARTED_AT_TAG.to_string(), unix_now().to_string()));
    tags
}
