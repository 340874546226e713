//! The IAM credential report (GetCredentialReport's CSV, IAM User Guide
//! "Getting credential reports"): one row per user with password, MFA and
//! access-key use. Parsed with the `csv` crate; anything unexpected fails the
//! whole report, so the sweep never acts on a partial picture.

use chrono::DateTime;
use serde::Deserialize;

/// One access-key slot of a report row (`access_key_1_*`, `access_key_2_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeySlot {
    /// Whether the key exists and is active.
    pub active: bool,
    /// When the key was created or last rotated (unix seconds); `None` when there is no key.
    pub created_at: Option<i64>,
    /// When the key was last used (unix seconds); `None` when never.
    pub last_used: Option<i64>,
}

/// One IAM user of the report (the `<root_account>` row is left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The user's name.
    pub user: String,
    /// The user's ARN (it holds the path).
    pub arn: String,
    /// The user's path, from the ARN (`/employees/`).
    pub path: String,
    /// When the user was created (unix seconds).
    pub created_at: i64,
    /// Whether the user has a console password.
    pub password_enabled: bool,
    /// When the password was last used (unix seconds); `None` when never
    /// (`no_information`) or when there is no password.
    pub password_last_used: Option<i64>,
    /// When the password was last set (unix seconds); `None` without a password.
    pub password_last_changed: Option<i64>,
    /// Whether an MFA device is active.
    pub mfa_active: bool,
    /// `access_key_1_*` and `access_key_2_*`.
    pub keys: [KeySlot; 2],
}

/// Why a report cannot be used; the sweep then takes no action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the credential report is unusable: {0}")]
pub struct ReportError(pub String);

/// The columns the sweep reads, by the report's header names.
#[derive(Debug, Deserialize)]
struct RawRow {
    user: String,
    arn: String,
    user_creation_time: String,
    password_enabled: String,
    password_last_used: String,
    password_last_changed: String,
    mfa_active: String,
    access_key_1_active: String,
    access_key_1_last_rotated: String,
    access_key_1_last_used_date: String,
    access_key_2_active: String,
    access_key_2_last_rotated: String,
    access_key_2_last_used_date: String,
}

/// The columns of [`RawRow`], which the header must have.
pub const COLUMNS: [&str; 13] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
];

/// The `<root_account>` row's user name.
const ROOT_ROW: &str = "<root_account>";

/// Parses a report. Errors name the line and column; a header without one of
/// the columns above, a row with another number of fields, a value that is not
/// `true`/`false` or an ISO 8601 date (or one of `N/A`, `no_information`,
/// `not_supported`) fails the whole report.
pub fn parse_report(csv_bytes: &[u8]) -> Result<Vec<UserRow>, ReportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(csv_bytes);
    let headers = reader
        .headers()
        .map_err(|e| ReportError(format!("header: {e}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(ReportError("the report is empty".into()));
    }
    if let Some(missing) = COLUMNS.iter().find(|c| !headers.iter().any(|h| h == **c)) {
        return Err(ReportError(format!("the header has no column {missing}")));
    }
    let mut rows = Vec::new();
    for (index, record) in reader.deserialize::<RawRow>().enumerate() {
        // Line 1 is the header.
        let line = index + 2;
        let raw = record.map_err(|e| ReportError(format!("line {line}: {e}")))?;
        if raw.user == ROOT_ROW {
            continue;
        }
        rows.push(convert(raw).map_err(|e| ReportError(format!("line {line}: {e}")))?);
    }
    Ok(rows)
}

fn convert(raw: RawRow) -> Result<UserRow, String> {
    let path = path_of(&raw.arn).ok_or_else(|| format!("arn {:?} is not a user ARN", raw.arn))?;
    let slot = |active: &str, rotated: &str, used: &str, n: u8| -> Result<KeySlot, String> {
        Ok(KeySlot {
            active: boolean(active, &format!("access_key_{n}_active"))?,
            created_at: date(rotated, &format!("access_key_{n}_last_rotated"))?,
            last_used: date(used, &format!("access_key_{n}_last_used_date"))?,
        })
    };
    Ok(UserRow {
        path: path.to_string(),
        created_at: date(&raw.user_creation_time, "user_creation_time")?
            .ok_or("user_creation_time is missing")?,
        password_enabled: boolean(&raw.password_enabled, "password_enabled")?,
        password_last_used: date(&raw.password_last_used, "password_last_used")?,
        password_last_changed: date(&raw.password_last_changed, "password_last_changed")?,
        mfa_active: boolean(&raw.mfa_active, "mfa_active")?,
        keys: [
            slot(
                &raw.access_key_1_active,
                &raw.access_key_1_last_rotated,
                &raw.access_key_1_last_used_date,
                1,
            )?,
            slot(
                &raw.access_key_2_active,
                &raw.access_key_2_last_rotated,
                &raw.access_key_2_last_used_date,
                2,
            )?,
        ],
        user: raw.user,
        arn: raw.arn,
    })
}

/// The path of a user ARN: `arn:aws:iam::1:user/employees/jane` → `/employees/`.
pub fn path_of(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let rest = resource.strip_prefix("user")?;
    let last = rest.rfind('/')?;
    rest.starts_with('/').then(|| &rest[..=last])
}

fn boolean(value: &str, column: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{column} is {value:?}, not true or false")),
    }
}

/// An ISO 8601 date as unix seconds; the report's "no date" words as `None`.
fn date(value: &str, column: &str) -> Result<Option<i64>, String> {
    match value {
        "N/A" | "no_information" | "not_supported" => Ok(None),
        _ => DateTime::parse_from_rfc3339(value)
            .map(|d| Some(d.timestamp()))
            .map_err(|_| format!("{column} is {value:?}, not an ISO 8601 date")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-01T00:00:00Z in unix seconds.
    const NOV_1_2026: i64 = 1_793_491_200;

    pub const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    #[test]
    fn reads_every_column_the_sweep_needs_and_skips_the_root_row() {
        let csv = format!(
            "{HEADER}\n\
             <root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
             jane,arn:aws:iam::123456789012:user/employees/jane,2026-11-01T00:00:00+00:00,true,no_information,2026-11-01T00:00:10+00:00,N/A,false,true,2026-11-02T00:00:00+00:00,2026-11-03T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
        );
        let rows = parse_report(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        let jane = &rows[0];
        assert_eq!(jane.user, "jane");
        assert_eq!(jane.path, "/employees/");
        assert_eq!(jane.created_at, NOV_1_2026);
        assert!(jane.password_enabled);
        assert_eq!(jane.password_last_used, None);
        assert_eq!(jane.password_last_changed, Some(jane.created_at + 10));
        assert!(!jane.mfa_active);
        assert_eq!(
            jane.keys[0],
            KeySlot {
                active: true,
                created_at: Some(jane.created_at + 86_400),
                last_used: Some(jane.created_at + 2 * 86_400)
            }
        );
        assert_eq!(jane.keys[1], KeySlot::default());
    }

    #[test]
    fn malformed_reports_fail_as_a_whole_with_the_line() {
        let good = "jane,arn:aws:iam::1:user/jane,2026-11-01T00:00:00+00:00,true,no_information,2026-11-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
        let cases = [
            (String::new(), "empty"),
            ("user,arn\n".to_string(), "no column user_creation_time"),
            (
                format!("{HEADER}\n{good}\njohn,arn:aws:iam::1:user/john,2026\n"),
                "line 3",
            ),
            (
                format!("{HEADER}\n{}\n", good.replace(",true,", ",yes,")),
                "password_enabled",
            ),
            (
                format!(
                    "{HEADER}\n{}\n",
                    good.replace("no_information", "yesterday")
                ),
                "password_last_used",
            ),
            (
                format!("{HEADER}\n{}\n", good.replace("user/jane", "role/jane")),
                "not a user ARN",
            ),
        ];
        for (csv, needle) in cases {
            let err = parse_report(csv.as_bytes()).unwrap_err();
            assert!(err.to_string().contains(needle), "{err} lacks {needle}");
        }
    }

    #[test]
    fn paths_come_from_the_arn() {
        assert_eq!(path_of("arn:aws:iam::1:user/jane"), Some("/"));
        assert_eq!(path_of("arn:aws:iam::1:user/a/b/jane"), Some("/a/b/"));
        assert_eq!(path_of("arn:aws:iam::1:root"), None);
        assert_eq!(path_of("arn:aws:iam::1:group/a/x"), None);
    }
}
