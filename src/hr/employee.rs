//! The employee record as HR sends it, and the validated [`Employee`]: every value
//! has passed IAM's and SES's rules, so invalid data cannot reach an AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Email, FieldError, GroupName, MAX_TAGS, Username, check_tag_key, check_tag_value};
use crate::onboarding::ownership::{
    DEPARTMENT_TAG, EMAIL_HASH_TAG, EMPLOYEE_ID_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE,
    RESERVED_TAG_KEYS,
};

/// IAM's limit of groups per user.
pub const MAX_GROUPS: usize = 10;

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
        // OnboardingStatus and OnboardingStartedAt are added when the user is created,
        // OffboardedAt when it is offboarded.
        if tags.len() + 3 > MAX_TAGS {
            return Err(FieldError::new(
                "tags",
                format!(
                    "too many tags: IAM allows {MAX_TAGS} per user and the function sets up to 7 itself"
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
    use crate::hr::{UserPath, mask_emails_in};

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
        for i in 0..45 {
            r.tags.insert(format!("k{i}"), "v".into());
        }
        assert!(
            Employee::parse(&r, &[]).is_ok(),
            "45 + marker, email hash, status, start time, offboarded at = 50"
        );
        r.tags.insert("k45".into(), "v".into());
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
