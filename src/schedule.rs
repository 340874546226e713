//! The one-time schedule of a future offboarding: its name (one per user, so a
//! later offboarding replaces it and anyone can find it again), its time, the
//! payload it invokes the function with, and its cancellation.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::aws::AwsError;
use crate::aws::scheduler::Scheduler;
use crate::config::ScheduleSettings;
use crate::hr::Leaver;
use crate::identity::Step;

/// Cancels a person's pending offboarding: an `update` with `terminationCancelled`
/// and an `onboard` of a person who has one (a rehire). Cloned into each workflow.
#[derive(Debug, Clone, Default)]
pub struct PendingOffboardings {
    /// Nothing can be pending without scheduler settings (future dates are refused).
    scheduler: Option<(Scheduler, ScheduleSettings)>,
}

impl PendingOffboardings {
    /// Schedules in `settings`' group, through `scheduler`; `None`: this
    /// deployment schedules nothing, so there is never anything to cancel.
    pub fn new(scheduler: Scheduler, settings: Option<ScheduleSettings>) -> Self {
        Self {
            scheduler: settings.map(|settings| (scheduler, settings)),
        }
    }

    /// Deletes `username`'s pending offboarding (its schedule, found by
    /// [`schedule_name`]): `true` when there was one, `false` when there was none.
    pub async fn cancel(&self, username: &str) -> Result<bool, AwsError> {
        let Some((scheduler, settings)) = &self.scheduler else {
            return Ok(false);
        };
        let cancelled = Step::CancelSchedule
            .run(scheduler.delete(&schedule_name(username), &settings.group))
            .await?;
        if cancelled {
            tracing::info!("pending offboarding cancelled");
        }
        Ok(cancelled)
    }

    /// Dry run: the call [`Self::cancel`] would make, if any.
    pub fn cancel_plan(&self, username: &str) -> Option<String> {
        self.scheduler.as_ref().map(|(_, settings)| {
            format!(
                "{} {} in {} (the pending offboarding, if there is one)",
                Step::CancelSchedule.operation(),
                schedule_name(username),
                settings.group
            )
        })
    }
}

/// Schedule name for `username`: `offboard-<name>-<hash>`, lower-cased (IAM
/// names are case-insensitive), where characters Scheduler does not allow
/// (`[0-9a-zA-Z-_.]` only, at most 64) become `_`, and 8 hex digits of the
/// SHA-256 of the name keep apart names that map to the same text.
pub fn schedule_name(username: &str) -> String {
    let lower = username.to_ascii_lowercase();
    let readable: String = lower
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = Sha256::digest(lower.as_bytes());
    format!("offboard-{readable}-{}", &hex::encode(digest)[..8])
}

/// Scheduler's `at()` time, `yyyy-mm-ddThh:mm:ss` in UTC, for unix seconds `at`.
pub fn schedule_at(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The direct-invoke payload the schedule sends: the same offboarding, without
/// `effectiveAt` (so it runs at once then) and, when an employee id names the
/// leaver, without `email`, marked `fromSchedule`. Scheduler
/// invokes asynchronously and reads no results, so that run fails the invocation
/// unless the leaver ends offboarded: Lambda retries it, then the dead-letter
/// queue keeps it.
pub fn schedule_input(leaver: &Leaver) -> Value {
    let mut employee = json!({"username": leaver.username.as_str()});
    if let Some(id) = &leaver.employee_id {
        employee["employeeId"] = json!(id);
    }
    // With an employee id, that and the name identify the leaver: an update may
    // still change the address during the notice period.
    if let Some(email) = leaver
        .email
        .as_ref()
        .filter(|_| leaver.employee_id.is_none())
    {
        employee["email"] = json!(email.as_str());
    }
    json!({"action": "offboard", "fromSchedule": true, "employee": employee})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_and_distinct() {
        let plain = schedule_name("jane.doe");
        assert!(plain.starts_with("offboard-jane.doe-"), "{plain}");
        let odd = schedule_name("jane+hr@corp");
        assert!(odd.starts_with("offboard-jane_hr_corp-"), "{odd}");
        assert_ne!(schedule_name("jane+hr@corp"), schedule_name("jane_hr_corp"));
        assert_eq!(schedule_name("Jane.Doe"), schedule_name("jane.doe"));
        let long = schedule_name(&"a".repeat(64));
        assert!(long.len() <= 64, "{}", long.len());
        assert!(
            long.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
    }

    #[test]
    fn at_is_utc_without_offset() {
        assert_eq!(schedule_at(1_798_740_000), "2026-12-31T18:00:00");
    }
}
