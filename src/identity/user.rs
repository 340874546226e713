//! An IAM user as the workflows see it: ARN, id, path, tags, creation, last password use.

/// A user that already exists, as far as onboarding cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingUser {
    /// The user's ARN.
    pub arn: String,
    /// IAM's stable id of the user (`AIDA…`); a user created again under the
    /// same name gets another.
    pub user_id: String,
    /// When IAM created the user (unix seconds).
    pub created_at: i64,
    /// The user's path (`/employees/`).
    pub path: String,
    /// The user's tags, as key–value pairs.
    pub tags: Vec<(String, String)>,
    /// When the user last signed in with their password (unix seconds); `None` when never.
    pub password_last_used: Option<i64>,
}

impl ExistingUser {
    /// The value of tag `key` (tag keys are case-insensitive on IAM users).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}
