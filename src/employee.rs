//! Validated employee data. Every value here has passed IAM's and SES's rules, so
//! invalid data cannot reach an AWS call.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

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
/// IAM's limit of tags per user.
pub const MAX_TAGS: usize = 50;
/// IAM's limit of groups per user.
pub const MAX_GROUPS: usize = 10;

/// Why a field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// Path of the offending field, e.g. `employee.email` or `employees[2].tags.CostCenter`.
    pub field: String,
    /// Human-readable reason; never echoes secret values.
    pub reason: String,
}

impl FieldError {
    /// A rejection of `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error with `prefix.` put before the field path.
    pub fn within(self, prefix: &str) -> Self {
        let field = if self.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.field)
        };
        Self {
            field,
            reason: self.reason,
        }
    }
}

/// An email address that SES accepts as a destination (ASCII, `local@domain.tld`).
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks the address syntax: one `@`, a dot-atom local part of at most 64
    /// characters, a domain of at least two DNS labels and an alphabetic TLD.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if !value.is_ascii() {
            return Err(
                "must contain only ASCII characters (use the punycode form of the domain)".into(),
            );
        }
        let (local, domain) = value.split_once('@').ok_or("must contain an @")?;
        if domain.contains('@') {
            return Err("must contain exactly one @".into());
        }
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        if local.is_empty() || local.len() > 64 {
            return Err("the part before @ must be 1 to 64 characters".into());
        }
        if local
            .split('.')
            .any(|atom| atom.is_empty() || !atom.chars().all(atext))
        {
            return Err("the part before @ has a character or dot that is not allowed".into());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err("the domain must have at least two labels, like example.com".into());
        }
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !labels.iter().all(label_ok) {
            return Err("the domain is not a valid host name".into());
        }
        let tld = labels[labels.len() - 1];
        if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err("the domain must end in an alphabetic top-level domain".into());
        }
        Ok(Self(value.to_string()))
    }

    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with the local part hidden (`j***@example.com`), for logs.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }

    /// Hex SHA-256 of the lower-cased address (the [`EMAIL_HASH_TAG`] value).
    pub fn sha256_hex(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.0.to_ascii_lowercase().as_bytes()))
    }

    /// The local part (before `@`).
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

/// Masks an email-like string for logs: first character of the local part, then `***`.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// Masks every email address inside `text` (e.g. an AWS error message) the way
/// [`mask_email`] does, leaving the rest unchanged.
pub fn mask_emails_in(text: &str) -> String {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let is_domain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut local = Vec::new();
        while let Some(c) = out.chars().last().filter(|c| is_local(*c)) {
            local.push(c);
            out.pop();
        }
        let end = (i + 1..chars.len())
            .find(|&j| !is_domain(chars[j]))
            .unwrap_or(chars.len());
        match local.last() {
            Some(_) if end > i + 1 => {
                let address: String = local.iter().rev().chain(&chars[i..end]).collect();
                out.push_str(&mask_email(&address));
                i = end;
            }
            _ => {
                out.extend(local.iter().rev());
                out.push('@');
                i += 1;
            }
        }
    }
    out
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

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

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() && !c.is_control() || "_.:/=+-@".contains(c)
}

/// Validates an IAM tag key (1–128 characters, IAM's tag characters, no `aws:` prefix).
pub fn check_tag_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err("tag keys must be 1 to 128 characters".into());
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("tag keys must not start with aws:".into());
    }
    if !key.chars().all(is_tag_char) {
        return Err("tag keys may contain only letters, digits, spaces and _.:/=+-@".into());
    }
    Ok(())
}

/// Validates an IAM tag value (0–256 characters of IAM's tag characters).
pub fn check_tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > 256 {
        return Err("tag values must be at most 256 characters".into());
    }
    if !value.chars().all(is_tag_char) {
        return Err("tag values may contain only letters, digits, spaces and _.:/=+-@".into());
    }
    Ok(())
}

/// A person's name as it appears in the welcome email: at most 128 characters, no control characters.
fn check_display_name(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.chars().count() > 128 {
        return Err("must be at most 128 characters".into());
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_string())
}

/// The employee record as HR sends it (camelCase JSON); only `email` is required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmployeeRecord {
    /// Work email; the welcome email goes there.
    pub email: String,
    /// IAM user name; derived from the email when absent.
    pub username: Option<String>,
    /// Given name, for the greeting.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// HR employee id, stored as the `EmployeeId` tag.
    pub employee_id: Option<String>,
    /// Department, stored as the `Department` tag.
    pub department: Option<String>,
    /// IAM groups to join; each must be allow-listed.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Extra tags for the user.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// An employee whose every field passed validation.
#[derive(Debug, Clone)]
pub struct Employee {
    /// Where the welcome email goes.
    pub email: Email,
    /// The IAM user name.
    pub username: Username,
    /// Given name, if known.
    pub given_name: Option<String>,
    /// Family name, if known.
    pub family_name: Option<String>,
    /// HR employee id, if known.
    pub employee_id: Option<String>,
    /// Groups to join, already checked against the allow-list (configured spelling).
    pub groups: Vec<GroupName>,
    /// All tags the user is created with, except the status tag.
    pub tags: Vec<(String, String)>,
}

impl Employee {
    /// Validates `record` against IAM's rules and the allowed `groups`; the first
    /// problem found is returned with its field path (relative to the record).
    pub fn parse(
        record: &EmployeeRecord,
        allowed_groups: &[GroupName],
    ) -> Result<Self, FieldError> {
        let email = Email::parse(&record.email).map_err(|r| FieldError::new("email", r))?;
        let username = match &record.username {
            Some(name) => Username::parse(name),
            None => Username::from_email(&email),
        }
        .map_err(|r| FieldError::new("username", r))?;
        let optional_name = |value: &Option<String>, field: &str| {
            value
                .as_deref()
                .map(check_display_name)
                .transpose()
                .map(|v| v.filter(|s| !s.is_empty()))
                .map_err(|r| FieldError::new(field, r))
        };
        let given_name = optional_name(&record.given_name, "givenName")?;
        let family_name = optional_name(&record.family_name, "familyName")?;

        let mut tags = vec![
            (MANAGED_BY_TAG.to_string(), MANAGED_BY_VALUE.to_string()),
            (EMAIL_HASH_TAG.to_string(), email.sha256_hex()),
        ];
        let employee_id = match record.employee_id.as_deref().map(str::trim) {
            Some("") => {
                return Err(FieldError::new(
                    "employeeId",
                    "must not be empty when given",
                ));
            }
            Some(id) => {
                check_tag_value(id).map_err(|r| FieldError::new("employeeId", r))?;
                tags.push((EMPLOYEE_ID_TAG.to_string(), id.to_string()));
                Some(id.to_string())
            }
            None => None,
        };
        if let Some(department) = record
            .department
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            check_tag_value(department).map_err(|r| FieldError::new("department", r))?;
            tags.push((DEPARTMENT_TAG.to_string(), department.to_string()));
        }
        for (key, value) in &record.tags {
            let field = format!("tags.{key}");
            check_tag_key(key).map_err(|r| FieldError::new(&field, r))?;
            check_tag_value(value).map_err(|r| FieldError::new(&field, r))?;
            if RESERVED_TAG_KEYS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key))
            {
                return Err(FieldError::new(
                    field,
                    "this tag key is set by the onboarding function",
                ));
            }
            if tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(FieldError::new(
                    field,
                    "duplicate tag key (tag keys are case-insensitive)",
                ));
            }
            tags.push((key.clone(), value.clone()));
        }
        // Two more tags, OnboardingStatus and OnboardingStartedAt, are added when the user is created.
        if tags.len() + 2 > MAX_TAGS {
            return Err(FieldError::new(
                "tags",
                format!(
                    "too many tags: IAM allows {MAX_TAGS} per user and the function sets up to 6 itself"
                ),
            ));
        }

        let mut groups: Vec<GroupName> = Vec::new();
        for (index, raw) in record.groups.iter().enumerate() {
            let field = format!("groups[{index}]");
            let requested = GroupName::parse(raw).map_err(|r| FieldError::new(&field, r))?;
            let allowed = allowed_groups
                .iter()
                .find(|g| g.same_as(&requested))
                .ok_or_else(|| {
                    FieldError::new(&field, "this group is not in the function's ALLOWED_GROUPS")
                })?;
            if !groups.iter().any(|g| g.same_as(allowed)) {
                groups.push(allowed.clone());
            }
        }
        if groups.len() > MAX_GROUPS {
            return Err(FieldError::new(
                "groups",
                format!("IAM allows at most {MAX_GROUPS} groups per user"),
            ));
        }

        Ok(Self {
            email,
            username,
            given_name,
            family_name,
            employee_id,
            groups,
            tags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(email: &str) -> EmployeeRecord {
        EmployeeRecord {
            email: email.into(),
            ..Default::default()
        }
    }

    fn groups(names: &[&str]) -> Vec<GroupName> {
        names.iter().map(|n| GroupName::parse(n).unwrap()).collect()
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "jane.doe@example.com",
            "a+b@sub.example.co.uk",
            "x_y-z@ex-ample.org",
            " jane@example.com ",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@@example.com",
            "ja ne@example.com",
            "jane..doe@example.com",
            ".jane@example.com",
            "jane@example",
            "jane@-example.com",
            "jane@example.c0m",
            "jäne@example.com",
            "jane@example..com",
            "<jane@example.com>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }

    #[test]
    fn masks_the_local_part() {
        let email = Email::parse("jane.doe@example.com").unwrap();
        assert_eq!(email.masked(), "j***@example.com");
        assert_eq!(format!("{email:?}"), "Email(j***@example.com)");
    }

    #[test]
    fn masks_addresses_inside_text() {
        assert_eq!(
            mask_emails_in("Email address not verified jane.doe@example.com, also bob@x.org."),
            "Email address not verified j***@example.com, also b***@x.org."
        );
        assert_eq!(
            mask_emails_in("no address @ here, a@ and @b"),
            "no address @ here, a@ and @b"
        );
        assert_eq!(mask_emails_in("jane.doe@corp"), "j***@corp");
        assert_eq!(mask_emails_in("Zoë"), "Zoë");
    }

    #[test]
    fn derives_user_name_from_email() {
        let email = Email::parse("Jane.O'Doe+hr@example.com").unwrap();
        assert_eq!(
            Username::from_email(&email).unwrap().as_str(),
            "jane.odoe+hr"
        );
        let only_symbols = Email::parse("'''@example.com").unwrap();
        assert!(Username::from_email(&only_symbols).is_err());
        let long = Email::parse(&format!("{}@example.com", "b".repeat(64))).unwrap();
        assert_eq!(Username::from_email(&long).unwrap().as_str().len(), 64);
    }

    #[test]
    fn user_name_rules() {
        assert!(Username::parse("jane.doe@corp").is_ok());
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("jane doe").is_err());
        assert!(Username::parse("jane/doe").is_err());
    }

    #[test]
    fn path_rules() {
        assert!(UserPath::parse("/").is_ok());
        assert!(UserPath::parse("/employees/engineering/").is_ok());
        for bad in [
            "",
            "employees/",
            "/employees",
            "/a//b/",
            "/with space/",
            &format!("/{}/", "a".repeat(511)),
        ] {
            assert!(UserPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn builds_tags_with_marker_and_hr_fields() {
        let mut r = record("jane@example.com");
        r.employee_id = Some("E-1042".into());
        r.department = Some("Engineering".into());
        r.tags.insert("CostCenter".into(), "4410".into());
        let e = Employee::parse(&r, &[]).unwrap();
        assert_eq!(
            e.tags,
            vec![
                ("ManagedBy".into(), "iam-onboarding".into()),
                (
                    "EmailSha256".into(),
                    Email::parse("JANE@example.com").unwrap().sha256_hex()
                ),
                ("EmployeeId".into(), "E-1042".into()),
                ("Department".into(), "Engineering".into()),
                ("CostCenter".into(), "4410".into()),
            ]
        );
        assert_eq!(e.username.as_str(), "jane");
    }

    #[test]
    fn rejects_bad_tags_with_the_field() {
        let cases: Vec<(&str, &str, &str)> = vec![
            ("aws:foo", "x", "tags.aws:foo"),
            ("managedby", "x", "tags.managedby"),
            ("Cost$", "x", "tags.Cost$"),
            ("ok", "semi;colon", "tags.ok"),
        ];
        for (key, value, field) in cases {
            let mut r = record("jane@example.com");
            r.tags.insert(key.into(), value.into());
            let err = Employee::parse(&r, &[]).unwrap_err();
            assert_eq!(err.field, field);
        }
        let mut r = record("jane@example.com");
        r.tags.insert("A".repeat(129), "x".into());
        assert!(Employee::parse(&r, &[]).is_err());
        let mut r = record("jane@example.com");
        r.tags.insert("k".into(), "v".repeat(257));
        assert_eq!(Employee::parse(&r, &[]).unwrap_err().field, "tags.k");
    }

    #[test]
    fn limits_tag_count() {
        let mut r = record("jane@example.com");
        for i in 0..46 {
            r.tags.insert(format!("k{i}"), "v".into());
        }
        assert!(
            Employee::parse(&r, &[]).is_ok(),
            "46 + marker, email hash, status, start time = 50"
        );
        r.tags.insert("k46".into(), "v".into());
        assert_eq!(Employee::parse(&r, &[]).unwrap_err().field, "tags");
    }

    #[test]
    fn groups_must_be_allow_listed() {
        let allowed = groups(&["developers", "readers"]);
        let mut r = record("jane@example.com");
        r.groups = vec!["Developers".into(), "developers".into()];
        let e = Employee::parse(&r, &allowed).unwrap();
        assert_eq!(e.groups, groups(&["developers"]));
        r.groups = vec!["developers".into(), "admins".into()];
        let err = Employee::parse(&r, &allowed).unwrap_err();
        assert_eq!(err.field, "groups[1]");
        assert!(err.reason.contains("ALLOWED_GROUPS"));
    }

    #[test]
    fn names_are_checked() {
        let mut r = record("jane@example.com");
        r.given_name = Some("Jane\u{7}".into());
        assert_eq!(Employee::parse(&r, &[]).unwrap_err().field, "givenName");
        r.given_name = Some("  Zoë  ".into());
        assert_eq!(
            Employee::parse(&r, &[]).unwrap().given_name.as_deref(),
            Some("Zoë")
        );
    }
}
