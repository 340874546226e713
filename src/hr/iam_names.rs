//! IAM names as HR or the operator give them: user names, paths, group names
//! (rules from the IAM API reference, `CreateUser` / `CreateGroup`).

use std::fmt;

use super::Email;

fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// An IAM user name: 1–64 characters of `[A-Za-z0-9_+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Validates an explicitly requested user name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.chars().count() > 64 {
            return Err("must be 1 to 64 characters".into());
        }
        if !raw.chars().all(is_iam_name_char) {
            return Err("may contain only letters, digits and _+=,.@-".into());
        }
        Ok(Self(raw.to_string()))
    }

    /// Derives a user name from an email's local part: lower-cased, characters IAM
    /// does not allow dropped, at most 64 characters.
    pub fn from_email(email: &Email) -> Result<Self, String> {
        let derived: String = email
            .local_part()
            .chars()
            .filter(|c| is_iam_name_char(*c))
            .map(|c| c.to_ascii_lowercase())
            .take(64)
            .collect();
        Self::parse(&derived)
            .map_err(|_| "cannot be derived from the email address; give one explicitly".into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IAM path: `/` or `/segment/.../`, characters 0x21–0x7E, at most 512.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPath(String);

impl UserPath {
    /// Validates a path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > 512 {
            return Err("must be 1 to 512 characters".into());
        }
        if !raw.starts_with('/') || !raw.ends_with('/') {
            return Err("must begin and end with /".into());
        }
        if raw.contains("//") {
            return Err("must not contain an empty segment (//)".into());
        }
        if !raw.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)) {
            return Err("may contain only printable ASCII characters without spaces".into());
        }
        Ok(Self(raw.to_string()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IAM group name: 1–128 characters of `[A-Za-z0-9_+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupName(String);

impl GroupName {
    /// Validates a group name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.chars().count() > 128 {
            return Err("must be 1 to 128 characters".into());
        }
        if !raw.chars().all(is_iam_name_char) {
            return Err("may contain only letters, digits and _+=,.@-".into());
        }
        Ok(Self(raw.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Case-insensitive comparison, as IAM treats group names.
    pub fn same_as(&self, other: &GroupName) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
