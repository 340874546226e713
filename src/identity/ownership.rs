//! Which IAM users belong to this function, to which person, and how far their
//! onboarding got: all of it is kept in the user's own tags, because IAM is the
//! only store the function has.
//!
//! Idempotency and failure handling (also in the README):
//! - Users are created with `ManagedBy=iam-onboarding`, `EmailSha256`, `OnboardingStatus=pending`
//!   and `OnboardingStartedAt`; the status becomes `complete` only after SES accepted the email.
//! - A repeat of a completed event finds `complete` and returns `already_onboarded`
//!   without any write. A name held by a user without the marker, or with another
//!   `EmployeeId` or email hash, is a `conflict` and nothing is touched.
//! - Every run first takes the person's lease ([`crate::lease`]); while it holds it no other run
//!   writes the user, so a `pending` or `failed` user is resumed at once. Without a lease table
//!   (a local run), a `pending` user whose attempt started less than [`IN_PROGRESS_SECONDS`] ago
//!   is taken to belong to a concurrent invocation: `OnboardingInProgress`, no write.
//! - `OnboardingAttempt` holds the attempt id of the run that created or last claimed the user,
//!   so a run whose `CreateUser` response was lost (the SDK's retry then meets
//!   `EntityAlreadyExists`) recognises its own user and carries on.
//! - A failure after the password was set removes the login profile again, so no
//!   console password exists that nobody received, and marks the user `failed`. A retry of
//!   the same event re-claims and resumes it: IAM attach/add calls are idempotent and a
//!   new password replaces any old one before it is emailed.

use super::{AwsError, ExistingUser};

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
/// Tag key holding when the user was offboarded (unix seconds).
pub const OFFBOARDED_AT_TAG: &str = "OffboardedAt";
/// Tag key holding the attempt id (Lambda request id and batch index) of the
/// run that created or last claimed the user.
pub const ATTEMPT_TAG: &str = "OnboardingAttempt";
/// Tag key holding the given name, as HR or the identity provider sent it.
pub const GIVEN_NAME_TAG: &str = "GivenName";
/// Tag key holding the family name.
pub const FAMILY_NAME_TAG: &str = "FamilyName";
/// Tag key holding the identity provider's id of the person (SCIM `externalId`,
/// RFC 7643 §3.1).
pub const EXTERNAL_ID_TAG: &str = "ScimExternalId";
/// Tag key holding the name a SCIM client displays (`displayName`).
pub const DISPLAY_NAME_TAG: &str = "ScimDisplayName";
/// Tag key holding how a SCIM client described the address (its `type` and
/// `primary`), so it reads back as sent.
pub const EMAIL_SHAPE_TAG: &str = "ScimEmailShape";
/// Tag key holding when a SCIM client deleted the user (unix seconds): the user
/// is offboarded, hidden from SCIM, and left to the sweep's deletion.
pub const SCIM_DELETED_AT_TAG: &str = "ScimDeletedAt";
/// Tag keys this function sets itself; HR-provided tags may not use them.
pub const RESERVED_TAG_KEYS: [&str; 16] = [
    MANAGED_BY_TAG,
    STATUS_TAG,
    EMPLOYEE_ID_TAG,
    DEPARTMENT_TAG,
    EMAIL_HASH_TAG,
    STARTED_AT_TAG,
    OFFBOARDED_AT_TAG,
    ATTEMPT_TAG,
    CONTACT_EMAIL_TAG,
    MFA_REMINDED_AT_TAG,
    GIVEN_NAME_TAG,
    FAMILY_NAME_TAG,
    EXTERNAL_ID_TAG,
    DISPLAY_NAME_TAG,
    EMAIL_SHAPE_TAG,
    SCIM_DELETED_AT_TAG,
];
/// The tags a SCIM record speaks for besides the HR ones: an update of a SCIM
/// record removes them when the record has no value. Not `EmployeeId`: HR's
/// events recognise the person by it, so SCIM sets and changes it, never removes it.
pub const SCIM_OPTIONAL_TAGS: [&str; 3] = [EXTERNAL_ID_TAG, DISPLAY_NAME_TAG, EMAIL_SHAPE_TAG];

/// Status while an attempt runs (or was cut off).
pub const STATUS_PENDING: &str = "pending";
/// Status after an attempt failed and undid its password.
pub const STATUS_FAILED: &str = "failed";
/// Status once the welcome email was accepted by SES.
pub const STATUS_COMPLETE: &str = "complete";
/// Status once every access of a leaver was ended.
pub const STATUS_OFFBOARDED: &str = "offboarded";
/// Status after the credential sweep removed a one-time password nobody used.
pub const STATUS_EXPIRED: &str = "expired";
/// Tag key holding when the sweep last sent an MFA reminder (unix seconds).
pub const MFA_REMINDED_AT_TAG: &str = "MfaReminderSentAt";
/// Tag key holding the employee's address (ASCII form), written at onboarding
/// and by an update, so the credential sweep can send MFA reminders. Left out
/// (with a warning) when IAM's tag value characters cannot hold the address.
pub const CONTACT_EMAIL_TAG: &str = "ContactEmail";
/// A `pending` user whose attempt started less than this long ago is being
/// onboarded by another invocation right now (the function times out after 60 s).
pub const IN_PROGRESS_SECONDS: i64 = 120;
/// Conflict reason when the name exists but the role may not even read the user.
pub const OUTSIDE_PATH: &str =
    "an IAM user with this name exists outside this function's user path";

/// IAM's limit of tags per user (IAM User Guide, "IAM and AWS STS quotas").
pub const MAX_USER_TAGS: usize = 50;
/// IAM allows two access keys per user; the console saves each one's
/// description as a tag named after the key id, which the employee may add.
pub const ACCESS_KEY_DESCRIPTION_TAGS: usize = 2;
/// Tags an offboarded user can do without, in the order they are given up when
/// IAM's tag limit stops the offboarded state from being recorded.
pub const LEAVER_DROPPABLE_TAGS: [&str; 4] = [
    MFA_REMINDED_AT_TAG,
    ATTEMPT_TAG,
    DEPARTMENT_TAG,
    CONTACT_EMAIL_TAG,
];

/// The keys of `droppable` (in its order) to remove from a user with `current`
/// tags so that `adding` fits within [`MAX_USER_TAGS`]; empty when it fits
/// already or when the droppable tags present are not enough. Keys compare
/// case-insensitively, as IAM's do.
pub fn tags_to_drop(
    current: &[(String, String)],
    adding: &[(String, String)],
    droppable: &[&str],
) -> Vec<String> {
    let has = |key: &str| current.iter().any(|(k, _)| k.eq_ignore_ascii_case(key));
    let new_keys = adding.iter().filter(|(k, _)| !has(k)).count();
    let over = (current.len() + new_keys).saturating_sub(MAX_USER_TAGS);
    let present: Vec<String> = droppable
        .iter()
        .filter(|d| has(d) && !adding.iter().any(|(k, _)| k.eq_ignore_ascii_case(d)))
        .map(|d| d.to_string())
        .collect();
    if over == 0 || present.len() < over {
        return Vec::new();
    }
    present.into_iter().take(over).collect()
}

/// The current time in unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Seconds since a `pending` user's attempt started, when that is less than
/// [`IN_PROGRESS_SECONDS`] ago: another invocation is onboarding it right now.
pub fn attempt_in_progress(user: &ExistingUser, now: i64) -> Option<i64> {
    if user.tag(STATUS_TAG) != Some(STATUS_PENDING) {
        return None;
    }
    let started = user.tag(STARTED_AT_TAG)?.parse::<i64>().ok()?;
    Some(now - started).filter(|age| (0..IN_PROGRESS_SECONDS).contains(age))
}

/// The failure of a run that found an attempt [`attempt_in_progress`] (`age`
/// seconds old): `OnboardingInProgress`, retryable, nothing changed.
pub fn in_progress(age: i64) -> AwsError {
    AwsError {
        code: "OnboardingInProgress".into(),
        message: format!(
            "another invocation started onboarding this employee {age} s ago; \
             nothing was changed, retry after {IN_PROGRESS_SECONDS} s"
        ),
    }
}

/// The tags of every status update: the marker (the execution role allows
/// TagUser only with it) and the status.
pub fn marker_tags(status: &str) -> Vec<(String, String)> {
    vec![
        (MANAGED_BY_TAG.to_string(), MANAGED_BY_VALUE.to_string()),
        (STATUS_TAG.to_string(), status.to_string()),
    ]
}

/// [`marker_tags`] plus the attempt id and start time of this attempt.
pub fn attempt_tags(status: &str, attempt: &str) -> Vec<(String, String)> {
    let mut tags = marker_tags(status);
    tags.push((ATTEMPT_TAG.to_string(), attempt.to_string()));
    tags.push((STARTED_AT_TAG.to_string(), unix_now().to_string()));
    tags
}

/// Who an `offboard` or `update` means: the user name to look up and the
/// identifiers the user's tags must carry.
#[derive(Debug, Clone)]
pub struct Person<'a> {
    /// The IAM user name.
    pub username: &'a str,
    /// HR employee id, when given: must equal the `EmployeeId` tag.
    pub employee_id: Option<&'a str>,
    /// Hex SHA-256 of the email, when given: must equal the `EmailSha256` tag
    /// (unless an update changes the email of a person recognised by employee id).
    pub email_hash: Option<String>,
    /// IAM's id of the user, when the caller already resolved it (a SCIM
    /// client names users by id): a user with this id is the person's, whatever
    /// the other identifiers say.
    pub user_id: Option<&'a str>,
}

/// How an existing user relates to a [`Person`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recognised {
    /// The person's user: every given identifier matches.
    Same,
    /// The person's user, recognised by employee id, with another email hash (an
    /// email change; only an update acts on it).
    EmailChanged,
    /// The person's user, recognised by email hash, with another or no employee
    /// id (an id change or a first id; only an update acts on it).
    EmployeeIdChanged,
    /// Not the person's user, or not this function's: leave it alone (why).
    Foreign(&'static str),
}

impl Person<'_> {
    /// Whether `user` (found under [`Person::username`]) is this person's user,
    /// created by this function under `path`. Rule: the marker, the path, and
    /// every identifier the request gives must match; a tag that is absent does not match.
    /// When both identifiers are given and exactly one differs, the other one
    /// recognises the user ([`Recognised::EmailChanged`], [`Recognised::EmployeeIdChanged`]).
    pub fn recognise(&self, user: &ExistingUser, path: &str) -> Recognised {
        if user.tag(MANAGED_BY_TAG) != Some(MANAGED_BY_VALUE) {
            return Recognised::Foreign(
                "an IAM user with this name exists and is not managed by iam-onboarding",
            );
        }
        if user.path != path {
            return Recognised::Foreign(OUTSIDE_PATH);
        }
        if let Some(id) = self.user_id {
            return if user.user_id == id {
                Recognised::Same
            } else {
                Recognised::Foreign(
                    "the IAM user with this name was created again since it was read",
                )
            };
        }
        let same_email = self
            .email_hash
            .as_deref()
            .is_some_and(|hash| user.tag(EMAIL_HASH_TAG) == Some(hash));
        if let Some(id) = self.employee_id
            && user.tag(EMPLOYEE_ID_TAG) != Some(id)
        {
            return if same_email {
                Recognised::EmployeeIdChanged
            } else {
                Recognised::Foreign("the IAM user with this name belongs to another employee id")
            };
        }
        match &self.email_hash {
            Some(hash) if user.tag(EMAIL_HASH_TAG) != Some(hash.as_str()) => {
                if self.employee_id.is_some() {
                    Recognised::EmailChanged
                } else {
                    Recognised::Foreign(
                        "the IAM user with this name belongs to another email address",
                    )
                }
            }
            _ => Recognised::Same,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_made_only_from_droppable_tags_and_only_as_much_as_needed() {
        let tags = |keys: &[&str]| -> Vec<(String, String)> {
            keys.iter()
                .map(|k| (k.to_string(), "v".to_string()))
                .collect()
        };
        let mut full: Vec<(String, String)> =
            (0..47).map(|i| (format!("Hr{i}"), "v".into())).collect();
        full.extend(tags(&[DEPARTMENT_TAG, CONTACT_EMAIL_TAG, STATUS_TAG]));
        let done = tags(&[STATUS_TAG, OFFBOARDED_AT_TAG]);
        // One new key (the status exists): one droppable tag, in the given order.
        assert_eq!(
            tags_to_drop(&full, &done, &LEAVER_DROPPABLE_TAGS),
            [DEPARTMENT_TAG]
        );
        // Room enough already: nothing.
        assert!(tags_to_drop(&full[1..], &done, &LEAVER_DROPPABLE_TAGS).is_empty());
        // Nothing droppable present: nothing (the caller reports the limit).
        let hr_only: Vec<(String, String)> =
            (0..50).map(|i| (format!("Hr{i}"), "v".into())).collect();
        assert!(tags_to_drop(&hr_only, &done, &LEAVER_DROPPABLE_TAGS).is_empty());
        // Keys compare case-insensitively, as IAM's do.
        let mut lower = full.clone();
        lower[47].0 = "department".into();
        assert_eq!(
            tags_to_drop(&lower, &done, &LEAVER_DROPPABLE_TAGS),
            [DEPARTMENT_TAG]
        );
    }

    fn user(path: &str, tags: &[(&str, &str)]) -> ExistingUser {
        ExistingUser {
            arn: "arn:aws:iam::123456789012:user/employees/jane".into(),
            path: path.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            user_id: "AIDAEXAMPLE".into(),
            created_at: 0,
            password_last_used: None,
        }
    }

    #[test]
    fn a_person_is_recognised_by_every_identifier_given() {
        let ours = [
            (MANAGED_BY_TAG, MANAGED_BY_VALUE),
            (EMPLOYEE_ID_TAG, "E-1"),
            (EMAIL_HASH_TAG, "abc"),
        ];
        let person = |id: Option<&'static str>, hash: Option<&str>| Person {
            username: "jane",
            employee_id: id,
            email_hash: hash.map(str::to_string),
            user_id: None,
        };
        let same = user("/employees/", &ours);
        assert_eq!(
            person(Some("E-1"), Some("abc")).recognise(&same, "/employees/"),
            Recognised::Same
        );
        assert_eq!(
            person(Some("E-1"), None).recognise(&same, "/employees/"),
            Recognised::Same
        );
        assert_eq!(
            person(None, Some("abc")).recognise(&same, "/employees/"),
            Recognised::Same
        );
        assert_eq!(
            person(Some("E-1"), Some("new")).recognise(&same, "/employees/"),
            Recognised::EmailChanged
        );
        assert_eq!(
            person(Some("E-2"), Some("abc")).recognise(&same, "/employees/"),
            Recognised::EmployeeIdChanged
        );
        let without_id = user(
            "/employees/",
            &[(MANAGED_BY_TAG, MANAGED_BY_VALUE), (EMAIL_HASH_TAG, "abc")],
        );
        assert_eq!(
            person(Some("E-1"), Some("abc")).recognise(&without_id, "/employees/"),
            Recognised::EmployeeIdChanged
        );
        assert!(matches!(
            person(Some("E-2"), Some("new")).recognise(&same, "/employees/"),
            Recognised::Foreign(_)
        ));
        assert!(matches!(
            person(Some("E-2"), None).recognise(&same, "/employees/"),
            Recognised::Foreign(_)
        ));
        for (p, u) in [
            (person(None, Some("new")), same.clone()),
            (person(Some("E-1"), None), user("/other/", &ours)),
            (person(Some("E-1"), None), user("/employees/", &ours[1..])),
            (person(Some("E-1"), None), user("/employees/", &[ours[0]])),
        ] {
            assert!(
                matches!(p.recognise(&u, "/employees/"), Recognised::Foreign(_)),
                "{p:?} {u:?}"
            );
        }
    }
}
