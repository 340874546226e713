//! What a user already holding a joiner's name means for the onboarding: absent,
//! this run's own, pending, to rehire, or settled (foreign, complete, in progress).

use crate::aws::iam::ExistingUser;
use crate::hr::Employee;
use crate::identity::ownership::{
    ATTEMPT_TAG, EMAIL_HASH_TAG, EMPLOYEE_ID_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE,
    OFFBOARDED_AT_TAG, STATUS_COMPLETE, STATUS_OFFBOARDED, STATUS_PENDING, STATUS_TAG,
    attempt_in_progress,
};

/// What a user already holding the employee's name means for the onboarding.
pub enum Existing {
    /// No such user.
    Absent,
    /// Ours, pending, and created or claimed by this very attempt (its ARN).
    Own(String),
    /// Ours, interrupted before the email was sent: resume it (its ARN).
    Pending(String),
    /// Ours and offboarded (or a rehire that did not finish): end the deny and
    /// the offboarded state, then onboard it again (its ARN).
    Rehire(String),
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
    /// Offboarded (at the unix seconds given) and the hire is neither dated after
    /// that nor marked `rehire`: a late or replayed hire event, not a rehire.
    LateHire(i64),
}

impl Existing {
    /// What `user`, found under the employee's name at `now` (unix seconds), means
    /// to the run with attempt id `attempt`; `serialised`: that run holds the
    /// person's lease, so no other run is writing the user.
    pub fn judge(
        employee: &Employee,
        user: ExistingUser,
        now: i64,
        attempt: &str,
        serialised: bool,
    ) -> Self {
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
        let offboarded_at = user.tag(OFFBOARDED_AT_TAG);
        let rehire = offboarded_at.is_some();
        if let Some(at) = offboarded_at {
            // An unreadable time cannot be compared: only an explicit rehire passes.
            let at = at.parse::<i64>().unwrap_or(i64::MAX);
            if !employee.rehire && employee.hired_at.is_none_or(|hired| hired <= at) {
                return Existing::Settled(Settled::LateHire(at));
            }
        }
        if !rehire
            && user.tag(STATUS_TAG) == Some(STATUS_PENDING)
            && user.tag(ATTEMPT_TAG) == Some(attempt)
        {
            return Existing::Own(user.arn);
        }
        if !serialised && let Some(age) = attempt_in_progress(&user, now) {
            return Existing::Settled(Settled::InProgress(age));
        }
        match user.tag(STATUS_TAG) {
            Some(STATUS_COMPLETE) => Existing::Settled(Settled::Complete(user.arn)),
            Some(STATUS_OFFBOARDED) => Existing::Rehire(user.arn),
            _ if rehire => Existing::Rehire(user.arn),
            _ => Existing::Pending(user.arn),
        }
    }
}
