//! The person an `offboard` names: found by user name (given, or derived from the
//! email) and recognised by employee id and/or email, with an optional effective time.

use serde::Deserialize;

use super::{Email, FieldError, Username, normalise_tag_value};
use crate::identity::ownership::unix_now;

/// The leaver as HR sends it (camelCase JSON): `employeeId` and/or `email`, and
/// optionally `username` and `effectiveAt`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeaverRecord {
    /// Work email; compared with the user's `EmailSha256` tag.
    pub email: Option<String>,
    /// IAM user name; derived from the email when absent.
    pub username: Option<String>,
    /// HR employee id; compared with the user's `EmployeeId` tag.
    pub employee_id: Option<String>,
    /// When access ends (RFC 3339, e.g. `2026-12-31T17:00:00+01:00`); absent or past: now.
    pub effective_at: Option<String>,
}

/// A validated leaver.
#[derive(Debug, Clone)]
pub struct Leaver {
    /// The IAM user name to look up.
    pub username: Username,
    /// HR employee id, when given; must equal the user's `EmployeeId` tag.
    pub employee_id: Option<String>,
    /// Email, when given; its hash must equal the user's `EmailSha256` tag.
    pub email: Option<Email>,
    /// When access ends, in unix seconds; `None` = now.
    pub effective_at: Option<i64>,
    /// IAM's id of the user, when the caller resolved it (a SCIM client names
    /// users by id); see [`crate::identity::ownership::Person::user_id`].
    pub user_id: Option<String>,
}

impl Leaver {
    /// The leaver IAM user `username` with id `user_id`, leaving now: a SCIM
    /// deactivation, which names the user by id rather than by HR identifiers.
    pub fn by_user_id(username: Username, user_id: &str) -> Self {
        Self {
            username,
            employee_id: None,
            email: None,
            effective_at: None,
            user_id: Some(user_id.to_string()),
        }
    }
}

impl Leaver {
    /// Validates `record`: at least one of `employeeId` and `email`, and a user
    /// name (given, or derived from the email). Errors name the field (relative to the record).
    pub fn parse(record: &LeaverRecord) -> Result<Self, FieldError> {
        let email = record
            .email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|r| FieldError::new("email", r))?;
        let employee_id = match record.employee_id.as_deref().map(str::trim) {
            Some("") => {
                return Err(FieldError::new(
                    "employeeId",
                    "must not be empty when given",
                ));
            }
            // Compared with the EmployeeId tag, which holds the id as onboarding normalised it.
            Some(id) => match normalise_tag_value(id) {
                stored if stored.is_empty() => {
                    return Err(FieldError::new(
                        "employeeId",
                        "has no character IAM can store in a tag",
                    ));
                }
                stored => Some(stored.into_owned()),
            },
            None => None,
        };
        if email.is_none() && employee_id.is_none() {
            return Err(FieldError::new(
                "employeeId",
                "employeeId or email is required to recognise the person",
            ));
        }
        let username = match (&record.username, &email) {
            (Some(name), _) => Username::parse(name),
            (None, Some(email)) => Username::from_email(email),
            (None, None) => {
                return Err(FieldError::new(
                    "username",
                    "is required when no email is given",
                ));
            }
        }
        .map_err(|r| FieldError::new("username", r))?;
        let effective_at = record
            .effective_at
            .as_deref()
            .map(|raw| {
                let at = parse_rfc3339(raw)?;
                parse_hr_time(raw, unix_now()).map(|_| at)
            })
            .transpose()
            .map_err(|r| FieldError::new("effectiveAt", r))?;
        Ok(Self {
            username,
            employee_id,
            email,
            effective_at,
            user_id: None,
        })
    }
}

/// How far ahead an HR date may lie: a hundred years. Any real date is far nearer;
/// what lies beyond (`9999-12-31`, a mistyped year) is a data error, not a plan.
pub const MAX_DAYS_AHEAD: i64 = 100 * 366;

/// Parses an RFC 3339 date-time with offset (`2026-12-31T17:00:00Z`) into unix seconds.
pub fn parse_rfc3339(raw: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.timestamp())
        .map_err(|_| "must be an RFC 3339 date-time with offset, like 2026-12-31T17:00:00Z".into())
}

/// Parses an HR date: RFC 3339 with offset, or a calendar date (`2026-12-31`, its
/// start in UTC), into unix seconds; at most [`MAX_DAYS_AHEAD`] days after `now`.
pub fn parse_hr_time(raw: &str, now: i64) -> Result<i64, String> {
    let raw = raw.trim();
    let at = match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) => date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp(),
        Err(_) => parse_rfc3339(raw).map_err(|_| {
            "must be a date (2026-12-31) or an RFC 3339 date-time with offset \
             (2026-12-31T17:00:00Z)"
                .to_string()
        })?,
    };
    if at > now + MAX_DAYS_AHEAD * 86_400 {
        return Err(format!(
            "is more than {} years ahead: a data error, not a date to act on",
            MAX_DAYS_AHEAD / 366
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(email: Option<&str>, id: Option<&str>) -> LeaverRecord {
        LeaverRecord {
            email: email.map(str::to_string),
            employee_id: id.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn dates_are_days_or_rfc3339_and_not_centuries_ahead() {
        let now = 1_800_000_000;
        assert_eq!(parse_hr_time("2026-12-01", now), Ok(1_796_083_200));
        assert_eq!(
            parse_hr_time("2026-12-01T01:00:00+01:00", now),
            Ok(1_796_083_200)
        );
        assert!(parse_hr_time("2099-12-31T17:00:00Z", now).is_ok());
        for bad in [
            "9999-12-31",
            "9999-12-31T00:00:00Z",
            "01/12/2026",
            "2026-13-01",
            "",
        ] {
            assert!(parse_hr_time(bad, now).is_err(), "{bad}");
        }
        let mut r = record(Some("jane@example.com"), None);
        r.effective_at = Some("9999-12-31T17:00:00Z".into());
        let err = Leaver::parse(&r).unwrap_err();
        assert_eq!(err.field, "effectiveAt");
        assert!(err.reason.contains("years ahead"), "{err}");
    }

    #[test]
    fn needs_an_identifier_and_a_name() {
        assert_eq!(
            Leaver::parse(&record(None, None)).unwrap_err().field,
            "employeeId"
        );
        assert_eq!(
            Leaver::parse(&record(None, Some("E-1"))).unwrap_err().field,
            "username"
        );
        let leaver = Leaver::parse(&record(Some("Jane.Doe@example.com"), None)).unwrap();
        assert_eq!(leaver.username.as_str(), "jane.doe");
        let mut by_id = record(None, Some("E-1"));
        by_id.username = Some("jane.doe".into());
        assert_eq!(
            Leaver::parse(&by_id).unwrap().employee_id.as_deref(),
            Some("E-1")
        );
        // Matched against the tag as onboarding normalised it (issue 11).
        by_id.employee_id = Some("E#1".into());
        assert_eq!(
            Leaver::parse(&by_id).unwrap().employee_id.as_deref(),
            Some("E-1")
        );
        by_id.employee_id = Some("#".into());
        assert_eq!(Leaver::parse(&by_id).unwrap_err().field, "employeeId");
    }

    #[test]
    fn effective_at_is_rfc3339_with_offset() {
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Ok(0));
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00Z"), Ok(1_767_225_600));
        for bad in ["2026-01-01", "tomorrow", "2026-01-01T00:00:00"] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
        let mut r = record(Some("jane@example.com"), None);
        r.effective_at = Some("soon".into());
        assert_eq!(Leaver::parse(&r).unwrap_err().field, "effectiveAt");
    }
}
