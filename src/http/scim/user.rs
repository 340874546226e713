//! The SCIM User resource (RFC 7643 §4.1, with the enterprise extension §4.3),
//! publishing only what IAM keeps, and where each attribute lives:
//!
//! | SCIM attribute | IAM |
//! |---|---|
//! | `id` | the user's `UserId` (stable across renames) |
//! | `userName` | the user name |
//! | `externalId` | tag `ScimExternalId` |
//! | `displayName` | tag `ScimDisplayName` |
//! | `name.givenName`, `name.familyName` | tags `GivenName`, `FamilyName` |
//! | `emails` (one) | tags `ContactEmail` and `EmailSha256`; its `type` and `primary` as sent in `ScimEmailShape` (none: the primary work address) |
//! | `active` | `false` once offboarded (`OnboardingStatus=offboarded`) |
//! | enterprise `employeeNumber`, `department` | tags `EmployeeId`, `Department` |
//! | `groups` (read-only) | the user's groups of `ALLOWED_GROUPS` |
//! | `meta.created` | `CreateDate` |
//!
//! Text tags are stored with [`crate::hr::encode_tag_text`], so they read back
//! exactly; anything else a client sends (a password, phone numbers, …) is ignored.

use serde_json::{Map, Value, json};

use super::ScimError;
use crate::aws::iam::ExistingUser;
use crate::aws::iam_directory::IamGroup;
use crate::hr::{EmployeeRecord, decode_tag_text};
use crate::identity::ownership::{
    CONTACT_EMAIL_TAG, DEPARTMENT_TAG, DISPLAY_NAME_TAG, EMAIL_SHAPE_TAG, EMPLOYEE_ID_TAG,
    EXTERNAL_ID_TAG, FAMILY_NAME_TAG, GIVEN_NAME_TAG, OFFBOARDED_AT_TAG, SCIM_DELETED_AT_TAG,
    STARTED_AT_TAG, STATUS_OFFBOARDED, STATUS_TAG,
};

/// The core User schema (RFC 7643 §8.7.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Attributes the service provider sets (RFC 7643 §3.1, §4.1.2), and the
/// list of schemas.
const READ_ONLY: [&str; 4] = ["id", "meta", "groups", "schemas"];

/// What SCIM reads and writes of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimUser {
    /// The IAM user name.
    pub user_name: String,
    /// The client's id of the person.
    pub external_id: Option<String>,
    /// The name the client displays.
    pub display_name: Option<String>,
    /// `name.givenName`.
    pub given_name: Option<String>,
    /// `name.familyName`.
    pub family_name: Option<String>,
    /// The work address (the primary of `emails`).
    pub email: Option<String>,
    /// Its `type` and `primary` as the client sent them; `None`: the primary
    /// work address.
    pub email_shape: Option<EmailShape>,
    /// Not offboarded.
    pub active: bool,
    /// Enterprise `employeeNumber`.
    pub employee_number: Option<String>,
    /// Enterprise `department`.
    pub department: Option<String>,
}

/// An address's `type` and `primary`, as a SCIM client sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailShape {
    /// `type` (`work`, …).
    pub kind: Option<String>,
    /// `primary`.
    pub primary: Option<bool>,
}

impl EmailShape {
    /// The tag text: `+`, `-` or `.` (primary true, false, absent), then the type.
    pub fn to_text(&self) -> String {
        let flag = match self.primary {
            Some(true) => '+',
            Some(false) => '-',
            None => '.',
        };
        format!("{flag}{}", self.kind.as_deref().unwrap_or_default())
    }

    /// The shape [`EmailShape::to_text`] wrote.
    pub fn from_text(text: &str) -> Self {
        let mut chars = text.chars();
        let primary = match chars.next() {
            Some('+') => Some(true),
            Some('-') => Some(false),
            _ => None,
        };
        let kind = chars.as_str();
        Self {
            kind: (!kind.is_empty()).then(|| kind.to_string()),
            primary,
        }
    }
}

/// The read-only parts of a user resource.
#[derive(Debug, Clone)]
pub struct UserMeta<'a> {
    /// IAM's `UserId`.
    pub id: &'a str,
    /// `meta.created`, unix seconds.
    pub created: i64,
    /// `meta.lastModified`, unix seconds.
    pub last_modified: i64,
    /// The SCIM base URL (`…/scim/v2`), for `meta.location` and group `$ref`s.
    pub base: &'a str,
    /// The user's allowed groups, when read.
    pub groups: Option<&'a [IamGroup]>,
}

/// Whether a SCIM client deleted the user (it is hidden from SCIM).
pub fn is_deleted(user: &ExistingUser) -> bool {
    user.tag(SCIM_DELETED_AT_TAG).is_some()
}

/// The latest change the function recorded on `user` (unix seconds): creation,
/// the last onboarding attempt, the offboarding, a SCIM deletion.
pub fn last_modified(user: &ExistingUser) -> i64 {
    [STARTED_AT_TAG, OFFBOARDED_AT_TAG, SCIM_DELETED_AT_TAG]
        .iter()
        .filter_map(|k| user.tag(k)?.parse::<i64>().ok())
        .fold(user.created_at, i64::max)
}

/// RFC 3339 in UTC, as SCIM's `dateTime` (RFC 7643 §2.3.5).
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl ScimUser {
    /// The user `name` as its tags describe it.
    pub fn of(name: &str, user: &ExistingUser) -> Self {
        let text = |key: &str| user.tag(key).map(decode_tag_text);
        Self {
            user_name: name.to_string(),
            external_id: text(EXTERNAL_ID_TAG),
            display_name: text(DISPLAY_NAME_TAG),
            given_name: text(GIVEN_NAME_TAG),
            family_name: text(FAMILY_NAME_TAG),
            email: user.tag(CONTACT_EMAIL_TAG).map(str::to_string),
            email_shape: text(EMAIL_SHAPE_TAG).map(|t| EmailShape::from_text(&t)),
            active: user.tag(STATUS_TAG) != Some(STATUS_OFFBOARDED),
            employee_number: user.tag(EMPLOYEE_ID_TAG).map(str::to_string),
            department: user.tag(DEPARTMENT_TAG).map(str::to_string),
        }
    }

    /// A full resource, as `POST` and `PUT` send it (RFC 7644 §3.3, §3.5.1):
    /// `userName` is required, an absent `active` is `active` (true for a
    /// create, the user's state for a replacement), attributes IAM does not
    /// keep are ignored. Errors: `400 invalidValue` naming the attribute,
    /// `400 invalidSyntax` when the body is not an object.
    pub fn from_resource(body: &Value, active: bool) -> Result<Self, ScimError> {
        let object = body.as_object().ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "the body must be a JSON object")
        })?;
        let mut user = Self {
            active,
            ..Self::default()
        };
        let mut user_name = None;
        for (key, value) in object {
            if key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                let ext = value.as_object().ok_or_else(|| {
                    ScimError::invalid_value(ENTERPRISE_SCHEMA, "must be an object")
                })?;
                for (sub, value) in ext {
                    user.set_enterprise(sub, value)?;
                }
                continue;
            }
            let name = key
                .strip_prefix(USER_SCHEMA)
                .and_then(|k| k.strip_prefix(':'))
                .unwrap_or(key);
            if name.eq_ignore_ascii_case("userName") {
                user_name = Some(string("userName", value)?.unwrap_or_default());
            } else if READ_ONLY.iter().any(|r| name.eq_ignore_ascii_case(r)) {
                // RFC 7644 §3.5.1: read-only values in a replacement are ignored.
            } else {
                user.set_core(name, value)?;
            }
        }
        user.user_name = user_name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ScimError::invalid_value("userName", "required"))?;
        Ok(user)
    }

    /// Sets the core attribute `name` (any letter case) to `value` (`null`
    /// clears it); `userName` and read-only attributes are not settable here.
    pub fn set_core(&mut self, name: &str, value: &Value) -> Result<(), ScimError> {
        match name.to_ascii_lowercase().as_str() {
            "externalid" => self.external_id = string("externalId", value)?,
            "displayname" => self.display_name = string("displayName", value)?,
            "name" => match value {
                Value::Null => {
                    self.given_name = None;
                    self.family_name = None;
                }
                Value::Object(parts) => {
                    for (sub, value) in parts {
                        self.set_name_part(sub, value)?;
                    }
                }
                _ => return Err(ScimError::invalid_value("name", "must be an object")),
            },
            "emails" => {
                let picked = primary_email(value)?;
                self.email_shape = picked.as_ref().map(|(_, shape)| shape.clone());
                self.email = picked.map(|(address, _)| address);
            }
            "active" => self.active = boolean("active", value)?,
            "userName" | "username" => {
                self.user_name = string("userName", value)?
                    .ok_or_else(|| ScimError::invalid_value("userName", "required"))?;
            }
            "id" | "meta" | "groups" | "schemas" => {
                return Err(ScimError::bad_request(
                    "mutability",
                    format!("{name} is read-only"),
                ));
            }
            // Attributes IAM does not keep (displayName, password, phoneNumbers, …).
            _ => {}
        }
        Ok(())
    }

    /// Sets `name.<sub>`.
    pub fn set_name_part(&mut self, sub: &str, value: &Value) -> Result<(), ScimError> {
        match sub.to_ascii_lowercase().as_str() {
            "givenname" => self.given_name = string("name.givenName", value)?,
            "familyname" => self.family_name = string("name.familyName", value)?,
            _ => {}
        }
        Ok(())
    }

    /// Sets the enterprise attribute `name`.
    pub fn set_enterprise(&mut self, name: &str, value: &Value) -> Result<(), ScimError> {
        match name.to_ascii_lowercase().as_str() {
            "employeenumber" => self.employee_number = string("employeeNumber", value)?,
            "department" => self.department = string("department", value)?,
            _ => {}
        }
        Ok(())
    }

    /// The tags SCIM keeps besides the HR record's: (key, attribute, text).
    pub fn identity_provider_tags(&self) -> [(&'static str, &'static str, Option<String>); 3] {
        [
            (EXTERNAL_ID_TAG, "externalId", self.external_id.clone()),
            (DISPLAY_NAME_TAG, "displayName", self.display_name.clone()),
            (
                EMAIL_SHAPE_TAG,
                "emails",
                self.email_shape.as_ref().map(EmailShape::to_text),
            ),
        ]
    }

    /// The HR record of this user, for the workflows: no groups (SCIM changes
    /// memberships through `/Groups`). Errors: no work address (the welcome
    /// email needs one).
    pub fn record(&self, rehire: bool) -> Result<EmployeeRecord, ScimError> {
        let email = self.email.clone().ok_or_else(|| {
            ScimError::invalid_value(
                "emails",
                "a work address is required (the welcome email and the one-time password go there)",
            )
        })?;
        Ok(EmployeeRecord {
            email,
            username: Some(self.user_name.clone()),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            employee_id: self.employee_number.clone(),
            department: self.department.clone(),
            rehire: rehire.then_some(true),
            ..EmployeeRecord::default()
        })
    }

    /// The resource as SCIM returns it.
    pub fn to_resource(&self, meta: &UserMeta<'_>) -> Value {
        let mut resource = Map::new();
        let enterprise = self.employee_number.is_some() || self.department.is_some();
        let mut schemas = vec![USER_SCHEMA];
        if enterprise {
            schemas.push(ENTERPRISE_SCHEMA);
        }
        resource.insert("schemas".into(), json!(schemas));
        resource.insert("id".into(), json!(meta.id));
        if let Some(id) = &self.external_id {
            resource.insert("externalId".into(), json!(id));
        }
        resource.insert("userName".into(), json!(self.user_name));
        if let Some(display) = &self.display_name {
            resource.insert("displayName".into(), json!(display));
        }
        let mut name = Map::new();
        if let Some(given) = &self.given_name {
            name.insert("givenName".into(), json!(given));
        }
        if let Some(family) = &self.family_name {
            name.insert("familyName".into(), json!(family));
        }
        if !name.is_empty() {
            resource.insert("name".into(), Value::Object(name));
        }
        if let Some(email) = &self.email {
            let shape = self.email_shape.clone().unwrap_or(EmailShape {
                kind: Some("work".into()),
                primary: Some(true),
            });
            let mut entry = json!({"value": email});
            if let Some(kind) = shape.kind {
                entry["type"] = json!(kind);
            }
            if let Some(primary) = shape.primary {
                entry["primary"] = json!(primary);
            }
            resource.insert("emails".into(), json!([entry]));
        }
        resource.insert("active".into(), json!(self.active));
        if let Some(groups) = meta.groups {
            let groups: Vec<Value> = groups
                .iter()
                .map(|g| {
                    json!({
                        "value": g.id,
                        "display": g.name,
                        "$ref": format!("{}/Groups/{}", meta.base, g.id),
                        "type": "direct",
                    })
                })
                .collect();
            resource.insert("groups".into(), json!(groups));
        }
        if enterprise {
            let mut ext = Map::new();
            if let Some(number) = &self.employee_number {
                ext.insert("employeeNumber".into(), json!(number));
            }
            if let Some(department) = &self.department {
                ext.insert("department".into(), json!(department));
            }
            resource.insert(ENTERPRISE_SCHEMA.into(), Value::Object(ext));
        }
        resource.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": rfc3339(meta.created),
                "lastModified": rfc3339(meta.last_modified),
                "location": format!("{}/Users/{}", meta.base, meta.id),
            }),
        );
        Value::Object(resource)
    }
}

/// A string attribute: `null` or absent clears it. Errors: another JSON type.
pub fn string(field: &str, value: &Value) -> Result<Option<String>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(ScimError::invalid_value(field, "must be a string")),
    }
}

/// A boolean attribute: `true`/`false`, or the strings `"True"`/`"False"` in
/// any case (as Entra ID sends them).
pub fn boolean(field: &str, value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::invalid_value(field, "must be true or false")),
    }
}

/// The work address of an `emails` value, with its shape: the `primary` one,
/// else the one of type `work`, else the first; `null` or `[]` clears it.
pub fn primary_email(value: &Value) -> Result<Option<(String, EmailShape)>, ScimError> {
    let entries = match value {
        Value::Null => return Ok(None),
        Value::Array(entries) => entries.as_slice(),
        Value::Object(_) => std::slice::from_ref(value),
        _ => {
            return Err(ScimError::invalid_value(
                "emails",
                "must be an array of objects",
            ));
        }
    };
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        let object = entry
            .as_object()
            .ok_or_else(|| ScimError::invalid_value("emails", "must be an array of objects"))?;
        let field = |key: &str| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
                .filter(|v| !v.is_null())
        };
        let address = field("value")
            .map(|v| string("emails.value", v))
            .transpose()?
            .flatten()
            .ok_or_else(|| ScimError::invalid_value("emails.value", "required"))?;
        let primary = field("primary")
            .map(|v| boolean("emails.primary", v))
            .transpose()?;
        let kind = field("type")
            .map(|v| string("emails.type", v))
            .transpose()?
            .flatten();
        parsed.push((address, EmailShape { kind, primary }));
    }
    let work = |shape: &EmailShape| {
        shape
            .kind
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
    };
    let pick = parsed
        .iter()
        .position(|(_, shape)| shape.primary == Some(true))
        .or_else(|| parsed.iter().position(|(_, shape)| work(shape)))
        .or_else(|| (!parsed.is_empty()).then_some(0));
    Ok(pick.map(|i| parsed.swap_remove(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_reads_the_attributes_iam_keeps_and_ignores_the_rest() {
        let user = ScimUser::from_resource(
            &json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
                "userName": "jane@example.com",
                "externalId": "00u1",
                "name": {"givenName": "Jane", "familyName": "O'Brien", "formatted": "x"},
                "emails": [
                    {"value": "home@example.org", "type": "home"},
                    {"value": "Jane@Example.com", "type": "work", "primary": "True"}
                ],
                "password": "ignored-Pa55!",
                "displayName": "Jane O'Brien",
                "id": "ignored", "meta": {"created": "ignored"},
                ENTERPRISE_SCHEMA: {"employeeNumber": "E-1", "department": "R&D"}
            }),
            true,
        )
        .unwrap();
        assert_eq!(
            user,
            ScimUser {
                user_name: "jane@example.com".into(),
                external_id: Some("00u1".into()),
                display_name: Some("Jane O'Brien".into()),
                given_name: Some("Jane".into()),
                family_name: Some("O'Brien".into()),
                email: Some("Jane@Example.com".into()),
                email_shape: Some(EmailShape {
                    kind: Some("work".into()),
                    primary: Some(true)
                }),
                active: true,
                employee_number: Some("E-1".into()),
                department: Some("R&D".into()),
            }
        );
    }

    #[test]
    fn bad_resources_name_the_attribute() {
        for (body, field) in [
            (json!({}), "userName"),
            (json!({"userName": ""}), "userName"),
            (json!({"userName": 7}), "userName"),
            (json!({"userName": "a", "active": "yes"}), "active"),
            (json!({"userName": "a", "emails": "a@b.c"}), "emails"),
            (
                json!({"userName": "a", "emails": [{"type": "work"}]}),
                "emails.value",
            ),
            (json!({"userName": "a", "name": "Jane"}), "name"),
            (
                json!({"userName": "a", ENTERPRISE_SCHEMA: []}),
                ENTERPRISE_SCHEMA,
            ),
        ] {
            let err = ScimUser::from_resource(&body, true).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidValue"), "{body}");
            assert!(err.detail.starts_with(field), "{body}: {}", err.detail);
        }
        let mut user = ScimUser::default();
        let err = user.set_core("id", &json!("x")).unwrap_err();
        assert_eq!(err.scim_type, Some("mutability"));
    }
}
