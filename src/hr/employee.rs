//! The employee record as HR sends it, and the validated [`Employee`]: every value
//! has passed IAM's and SES's rules, so invalid data cannot reach an AWS call. HR
//! free text that becomes a tag value is normalised ([`normalise_tag_value`]), with a warning.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::leaver::parse_hr_time;
use super::{
    Email, FieldError, FieldWarning, GroupName, MAX_TAG_VALUE_CHARS, MAX_TAGS, Username,
    check_tag_key, encode_tag_text, is_valid_tag_value, normalise_tag_value,
};
use crate::identity::ownership::ACCESS_KEY_DESCRIPTION_TAGS;
use crate::identity::ownership::{
    CONTACT_EMAIL_TAG, DEPARTMENT_TAG, EMAIL_HASH_TAG, EMPLOYEE_ID_TAG, FAMILY_NAME_TAG,
    GIVEN_NAME_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE, Person, RESERVED_TAG_KEYS, unix_now,
};
use crate::identity::{AwsError, EmployeeResult, Status, Step};

/// IAM's limit of groups per user.
pub const MAX_GROUPS: usize = 10;

/// Control and format characters (Unicode Cc, Cf: U+202E, zero-width joiners, ...).
static INVISIBLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{Cc}\p{Cf}]").unwrap());

/// A person's name as it appears in the welcome email: at most 128 characters, no
/// control or invisible formatting characters (they could reorder or hide text).
fn check_display_name(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.chars().count() > 128 {
        return Err("must be at most 128 characters".into());
    }
    if INVISIBLE.is_match(trimmed) {
        return Err(
            "must not contain control or invisible formatting characters \
             (such as U+202E right-to-left override or a zero-width joiner)"
                .into(),
        );
    }
    Ok(trimmed.to_string())
}

/// HR free text for a tag value, normalised; `None` (and a warning) when nothing remains.
fn free_text(field: &str, raw: &str, warnings: &mut Vec<FieldWarning>) -> Option<String> {
    match normalise_tag_value(raw) {
        Cow::Borrowed(value) => Some(value.to_string()),
        Cow::Owned(value) if value.is_empty() => {
            warnings.push(FieldWarning::new(
                field,
                "left out: no character IAM allows in a tag value remains after normalisation",
            ));
            None
        }
        Cow::Owned(value) => {
            warnings.push(FieldWarning::new(
                field,
                "normalised to an IAM-valid tag value (characters IAM does not allow were replaced by - or removed)",
            ));
            Some(value)
        }
    }
}

/// `value` as a tag value that reads back exactly ([`encode_tag_text`]).
fn exact_tag_text(field: &str, value: &str) -> Result<String, FieldError> {
    encode_tag_text(value).ok_or_else(|| {
        FieldError::new(
            field,
            format!(
                "too long for an IAM tag ({MAX_TAG_VALUE_CHARS} characters) once its characters \
                 IAM does not allow are escaped"
            ),
        )
    })
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
    /// `update` only: HR withdrew the person's termination, so a pending
    /// offboarding (a future `effectiveAt`) is cancelled.
    pub termination_cancelled: Option<bool>,
    /// When the person (re)starts: a date (`2026-12-01`) or an RFC 3339 date-time.
    /// An onboarding of an offboarded user is a rehire only when this is after the
    /// offboarding, or [`EmployeeRecord::rehire`] says so.
    pub hire_date: Option<String>,
    /// This onboarding is a rehire of an offboarded user, whatever the dates.
    pub rehire: Option<bool>,
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
    /// Fields that were changed to be accepted (normalised free text), in field order.
    pub warnings: Vec<FieldWarning>,
    /// `update` only: cancel the person's pending offboarding (`terminationCancelled: true`).
    pub termination_cancelled: bool,
    /// The hire date, unix seconds (a date is its start in UTC).
    pub hired_at: Option<i64>,
    /// Explicitly a rehire (`rehire: true`).
    pub rehire: bool,
    /// The record comes from an identity provider (SCIM,
    /// [`Employee::from_identity_provider`]); HR records never do.
    pub from_identity_provider: bool,
    /// IAM's id of the person's user, when the caller resolved it ([`Employee::known_as`]).
    pub user_id: Option<String>,
    /// An update changes only these memberships ([`Employee::with_group_changes`]),
    /// read against the user's groups under its lease; `None`: `groups` is the
    /// complete wanted list.
    pub group_changes: Option<GroupChanges>,
}

/// Memberships an update adds and removes, leaving the user's other groups as
/// they are (a SCIM client changes one group's members at a time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    /// Allowed groups to join.
    pub join: Vec<GroupName>,
    /// Allowed groups to leave.
    pub leave: Vec<GroupName>,
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
        for (key, field, value) in [
            (GIVEN_NAME_TAG, "givenName", &given_name),
            (FAMILY_NAME_TAG, "familyName", &family_name),
        ] {
            if let Some(value) = value {
                tags.push((key.to_string(), exact_tag_text(field, value)?));
            }
        }
        let mut warnings = Vec::new();
        if is_valid_tag_value(email.as_str()) {
            tags.push((CONTACT_EMAIL_TAG.to_string(), email.as_str().to_string()));
        } else {
            warnings.push(FieldWarning::new(
                "email",
                "not stored in the ContactEmail tag (IAM tag values cannot hold some of its \
                 characters): the credential sweep cannot send this employee MFA reminders",
            ));
        }
        let employee_id = match record.employee_id.as_deref().map(str::trim) {
            Some("") => {
                return Err(FieldError::new(
                    "employeeId",
                    "must not be empty when given",
                ));
            }
            Some(id) => free_text("employeeId", id, &mut warnings),
            None => None,
        };
        if let Some(id) = &employee_id {
            tags.push((EMPLOYEE_ID_TAG.to_string(), id.clone()));
        }
        if let Some(department) = record
            .department
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .and_then(|d| free_text("department", d, &mut warnings))
        {
            tags.push((DEPARTMENT_TAG.to_string(), department));
        }
        for (key, value) in &record.tags {
            let field = format!("tags.{key}");
            check_tag_key(key).map_err(|r| FieldError::new(&field, r))?;
            if RESERVED_TAG_KEYS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key))
            {
                return Err(FieldError::new(
                    field,
                    "this tag key is set by the onboarding function",
                ));
            }
            // IAM names an access key's description tag by the key id (tag keys
            // are case-insensitive): an HR tag must not overwrite it.
            if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("AKIA")) {
                return Err(FieldError::new(
                    field,
                    "tag keys starting with AKIA hold access-key descriptions",
                ));
            }
            if tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(FieldError::new(
                    field,
                    "duplicate tag key (tag keys are case-insensitive)",
                ));
            }
            if let Some(value) = free_text(&field, value, &mut warnings) {
                tags.push((key.clone(), value));
            }
        }
        // Room for every tag added later: all of the function's own (status, start,
        // attempt at creation; ContactEmail and Department by an update; OffboardedAt;
        // MfaReminderSentAt by the sweep) and the employee's two access-key descriptions.
        let hr_tags = record.tags.len();
        let room = MAX_TAGS - RESERVED_TAG_KEYS.len() - ACCESS_KEY_DESCRIPTION_TAGS;
        if hr_tags > room {
            return Err(FieldError::new(
                "tags",
                format!(
                    "too many tags: IAM allows {MAX_TAGS} per user; the function keeps {} for \
                     its own and {ACCESS_KEY_DESCRIPTION_TAGS} for access-key descriptions, so \
                     at most {room}",
                    RESERVED_TAG_KEYS.len()
                ),
            ));
        }

        let hired_at = record
            .hire_date
            .as_deref()
            .map(|raw| parse_hr_time(raw, unix_now()))
            .transpose()
            .map_err(|r| FieldError::new("hireDate", r))?;

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
            warnings,
            termination_cancelled: record.termination_cancelled.unwrap_or(false),
            hired_at,
            rehire: record.rehire.unwrap_or(false),
            from_identity_provider: false,
            user_id: None,
            group_changes: None,
        })
    }

    /// The same employee, whose update changes only `changes`' memberships
    /// (none when empty), not the whole list of its groups.
    pub fn with_group_changes(mut self, changes: GroupChanges) -> Self {
        self.group_changes = Some(changes);
        self
    }

    /// The same employee, known to be the IAM user with id `user_id` (see
    /// [`Person::user_id`]).
    pub fn known_as(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_string());
        self
    }

    /// The same employee as an identity provider (SCIM) describes the person:
    /// `tags` (key, SCIM attribute, text) set, or removed when `None`, with
    /// [`crate::identity::ownership::SCIM_OPTIONAL_TAGS`] removed by an update
    /// when the record has no value. An update may then change the tags of an
    /// offboarded user (identity providers keep deactivated users' attributes
    /// current); it still never adds a leaver to a group. Errors: an empty or
    /// unstorable value.
    pub fn from_identity_provider(
        mut self,
        tags: &[(&str, &str, Option<&str>)],
    ) -> Result<Self, FieldError> {
        for (key, field, value) in tags {
            self.tags.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
            if let Some(value) = value {
                if value.is_empty() {
                    return Err(FieldError::new(*field, "must not be empty when given"));
                }
                self.tags
                    .push((key.to_string(), exact_tag_text(field, value)?));
            }
        }
        self.from_identity_provider = true;
        Ok(self)
    }
}

/// Results about an employee carry its user name, groups and normalisation warnings.
impl EmployeeResult {
    /// The result for `employee` with `status` and no details yet.
    pub fn new(employee: &Employee, status: Status) -> Self {
        let mut result = Self::for_user(employee.username.as_str(), status);
        result.groups = employee
            .groups
            .iter()
            .map(|g| g.as_str().to_string())
            .collect();
        for warning in &employee.warnings {
            result.add_warning(&warning.to_string());
        }
        result
    }

    /// The result for a failed `step`; `note` says what state the user is left in.
    pub fn failed(employee: &Employee, step: Step, err: &AwsError, note: &str) -> Self {
        Self::new(employee, Status::Failed).with_failure(step, err, note)
    }
}

impl<'a> From<&'a Employee> for Person<'a> {
    /// The person an HR employee record names: user name, employee id, email hash.
    fn from(employee: &'a Employee) -> Self {
        Self {
            username: employee.username.as_str(),
            employee_id: employee.employee_id.as_deref(),
            email_hash: Some(employee.email.sha256_hex()),
            user_id: employee.user_id.as_deref(),
        }
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
    fn accepts_international_domains_in_either_form() {
        // Issue 11, input 2: the Punycode and the Unicode form are one address.
        let punycode = Email::parse("ivan.petrov@xn--e1afmkfd.xn--p1ai").unwrap();
        let unicode = Email::parse("ivan.petrov@пример.рф").unwrap();
        assert_eq!(punycode.as_str(), "ivan.petrov@xn--e1afmkfd.xn--p1ai");
        assert_eq!(unicode.as_str(), punycode.as_str());
        assert_eq!(unicode.sha256_hex(), punycode.sha256_hex());
        assert_eq!(
            Email::parse("Ivan.Petrov@ПРИМЕР.РФ").unwrap().sha256_hex(),
            punycode.sha256_hex()
        );
        for ok in [
            "user@bücher.de",
            "user@xn--bcher-kva.de",
            "user@例え.テスト",
            "user@example.中国",
            "user@münchen.xn--p1ai",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "user@xn--zz.com",
            "user@ex_ample.com",
            "user@пример",
            "user@a..рф",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_non_ascii_local_parts_saying_why() {
        let err = Email::parse("иван@пример.рф").unwrap_err();
        assert!(err.contains("SES") && err.contains("non-ASCII"), "{err}");
    }

    #[test]
    fn ascii_addresses_keep_the_hash_of_users_onboarded_before() {
        // sha256("jane.doe@example.com"): the tag value written before IDN support.
        let old = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d";
        for spelling in [
            "jane.doe@example.com",
            "Jane.Doe@Example.COM",
            " jane.doe@EXAMPLE.com ",
        ] {
            assert_eq!(
                Email::parse(spelling).unwrap().sha256_hex(),
                old,
                "{spelling}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_valid_domain_is_one_address_in_either_form(
            labels in proptest::collection::vec(
                r"[a-z0-9äöüéàçñßøåæπλжщфыяёґїαβγ東京中文日本ひらがなカタカナ한국]{1,12}", 1..4),
            tld in proptest::sample::select(vec!["com", "рф", "中国", "xn--p1ai", "de", "みんな"]),
        ) {
            let unicode_domain = format!("{}.{tld}", labels.join("."));
            // Only domains UTS #46 accepts are valid domains (e.g. no leading digit before RTL text).
            let Ok(ascii_domain) = idna::domain_to_ascii_strict(&unicode_domain) else {
                return Ok(());
            };
            let (round_trip, ok) = idna::domain_to_unicode(&ascii_domain);
            proptest::prop_assume!(ok.is_ok());
            let from_unicode = Email::parse(&format!("First.Last@{unicode_domain}")).unwrap();
            let from_ascii = Email::parse(&format!("first.last@{ascii_domain}")).unwrap();
            let from_round_trip = Email::parse(&format!("first.last@{round_trip}")).unwrap();
            proptest::prop_assert!(from_unicode.as_str().is_ascii());
            proptest::prop_assert_eq!(from_unicode.sha256_hex(), from_ascii.sha256_hex());
            proptest::prop_assert_eq!(from_round_trip.as_str(), from_ascii.as_str());
        }
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
                ("ContactEmail".into(), "jane@example.com".into()),
                ("EmployeeId".into(), "E-1042".into()),
                ("Department".into(), "Engineering".into()),
                ("CostCenter".into(), "4410".into()),
            ]
        );
        assert_eq!(e.username.as_str(), "jane");
    }

    #[test]
    fn keeps_the_address_in_contact_email_when_iam_can_store_it() {
        let contact = |address: &str| {
            let e = Employee::parse(&record(address), &[]).unwrap();
            let tag = e.tags.iter().find(|(k, _)| k == "ContactEmail").cloned();
            (tag.map(|(_, v)| v), e.warnings)
        };
        let (tag, warnings) = contact("jane.doe+hr@example.com");
        assert_eq!(tag.as_deref(), Some("jane.doe+hr@example.com"));
        assert!(warnings.is_empty());
        // SES and the tag get the domain's ASCII (Punycode) form.
        let (tag, _) = contact("jane@bücher.example");
        assert_eq!(tag.as_deref(), Some("jane@xn--bcher-kva.example"));
        // Characters IAM tag values refuse: no tag, a warning, the person is onboarded.
        for address in ["o'brien@example.com", "a!b@example.com", "x#y@example.com"] {
            let (tag, warnings) = contact(address);
            assert_eq!(tag, None, "{address}");
            assert_eq!(warnings.len(), 1, "{address}");
            assert_eq!(warnings[0].field, "email");
            assert!(warnings[0].note.contains("MFA reminders"), "{warnings:?}");
        }
    }

    #[test]
    fn rejects_bad_tags_with_the_field() {
        let cases: Vec<(&str, &str, &str)> = vec![
            ("aws:foo", "x", "tags.aws:foo"),
            ("managedby", "x", "tags.managedby"),
            ("Cost$", "x", "tags.Cost$"),
            ("R&D", "x", "tags.R&D"),
            ("contactemail", "x", "tags.contactemail"),
            ("MfaReminderSentAt", "1", "tags.MfaReminderSentAt"),
            ("AKIANEWKEY", "hr", "tags.AKIANEWKEY"),
            ("akia", "hr", "tags.akia"),
            // Issue 21: spaces around a key made it pass for another.
            (" aws:owner", "x", "tags. aws:owner"),
            ("ManagedBy ", "x", "tags.ManagedBy "),
            ("\u{3000}Team", "x", "tags.\u{3000}Team"),
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
    }

    #[test]
    fn normalises_free_text_tag_values_with_a_warning_per_field() {
        // Issue 11, input 1.
        let mut r = record("tom.baker@example.com");
        r.employee_id = Some("E-2001".into());
        r.department = Some("R&D".into());
        let e = Employee::parse(&r, &[]).unwrap();
        assert_eq!(e.tags[4], ("Department".into(), "R-D".into()));
        assert_eq!(e.employee_id.as_deref(), Some("E-2001"));
        assert_eq!(e.warnings.len(), 1);
        assert_eq!(e.warnings[0].field, "department");

        let mut r = record("jane@example.com");
        r.employee_id = Some("E#77".into());
        r.department = Some("Finance (EMEA)".into());
        r.tags.insert("Team".into(), "Ops, North #2".into());
        r.tags.insert("Site".into(), "(?)".into());
        r.tags.insert("Long".into(), "v".repeat(257));
        r.tags.insert("Fine".into(), "ok".into());
        let e = Employee::parse(&r, &[]).unwrap();
        assert_eq!(e.employee_id.as_deref(), Some("E-77"));
        assert_eq!(
            e.tags[3..],
            [
                ("EmployeeId".into(), "E-77".into()),
                ("Department".into(), "Finance -EMEA".into()),
                ("Fine".into(), "ok".into()),
                ("Long".into(), "v".repeat(256)),
                ("Team".into(), "Ops- North -2".into()),
            ]
        );
        let fields: Vec<&str> = e.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "employeeId",
                "department",
                "tags.Long",
                "tags.Site",
                "tags.Team"
            ]
        );
        assert!(e.warnings[3].note.starts_with("left out"));

        let mut r = record("jane@example.com");
        r.department = Some("Engineering".into());
        assert!(Employee::parse(&r, &[]).unwrap().warnings.is_empty());
        r.employee_id = Some("###".into());
        let e = Employee::parse(&r, &[]).unwrap();
        assert_eq!(e.employee_id, None);
        assert_eq!(e.warnings[0].field, "employeeId");
    }

    #[test]
    fn limits_tag_count() {
        let mut r = record("jane@example.com");
        for i in 0..32 {
            r.tags.insert(format!("k{i}"), "v".into());
        }
        assert!(
            Employee::parse(&r, &[]).is_ok(),
            "32 + the function's 16 own keys + 2 access-key descriptions = 50"
        );
        r.tags.insert("k32".into(), "v".into());
        let err = Employee::parse(&r, &[]).unwrap_err();
        assert_eq!(err.field, "tags");
        assert!(err.reason.contains("at most 32"), "{err}");
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
        // Issue 16: direction overrides and zero-width characters (Unicode Cf).
        for invisible in ["Ann\u{202e}evil", "Jo\u{200d}hn", "\u{feff}Ann"] {
            r.given_name = Some(invisible.into());
            let err = Employee::parse(&r, &[]).unwrap_err();
            assert_eq!(err.field, "givenName", "{invisible:?}");
            assert!(err.reason.contains("invisible"), "{err}");
        }
        r.given_name = None;
        r.family_name = Some("Do\u{2066}e".into());
        assert_eq!(Employee::parse(&r, &[]).unwrap_err().field, "familyName");
        r.family_name = Some("हिंदी".into());
        assert!(
            Employee::parse(&r, &[]).is_ok(),
            "combining marks are fine in names"
        );
        r.given_name = Some("  Zoë  ".into());
        assert_eq!(
            Employee::parse(&r, &[]).unwrap().given_name.as_deref(),
            Some("Zoë")
        );
    }
}
