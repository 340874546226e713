//! The one-time schedule of a future offboarding: its name (one per user, so a
//! later offboarding replaces it), its time and the payload it invokes the
//! function with.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::hr::Leaver;

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
/// `effectiveAt` (so it runs at once then).
pub fn schedule_input(leaver: &Leaver) -> Value {
    let mut employee = json!({"username": leaver.username.as_str()});
    if let Some(id) = &leaver.employee_id {
        employee["employeeId"] = json!(id);
    }
    if let Some(email) = &leaver.email {
        employee["email"] = json!(email.as_str());
    }
    json!({"action": "offboard", "employee": employee})
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
