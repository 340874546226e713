//! Configuration from the environment, checked once at start-up.

mod group_map;
mod reveal;
mod sweep;

pub use sweep::SweepSettings;

use std::time::Duration;

pub use group_map::GroupMap;
pub use reveal::{DEFAULT_REVEAL_TTL_HOURS, PasswordDelivery, RevealSettings};

use crate::hr::{Email, GroupName, UserPath};

/// Everything the function needs to know about where and how it may onboard.
#[derive(Debug, Clone)]
pub struct Config {
    /// ARN of the customer-managed self-manage credentials policy (`SELF_MANAGE_POLICY_ARN`).
    pub self_manage_policy_arn: String,
    /// Verified SES sender (`SENDER_EMAIL`).
    pub sender: Email,
    /// Path new users are created under (`USER_PATH`, default `/`).
    pub user_path: UserPath,
    /// Permissions boundary attached to every new user (`PERMISSIONS_BOUNDARY_ARN`).
    pub permissions_boundary_arn: Option<String>,
    /// Groups an employee may be added to (`ALLOWED_GROUPS`, comma-separated).
    pub allowed_groups: Vec<GroupName>,
    /// Console sign-in URL for the email (`SIGNIN_URL`); derived from the account when absent.
    pub signin_url: Option<String>,
    /// SES configuration set (`SES_CONFIGURATION_SET`).
    pub ses_configuration_set: Option<String>,
    /// Secrets Manager secret holding the webhook HMAC key (`WEBHOOK_SECRET_ARN`).
    pub webhook_secret_arn: Option<String>,
    /// Secrets Manager secret holding the BambooHR webhook's private key
    /// (`BAMBOOHR_SECRET_ARN`, the key as the plain secret string).
    pub bamboohr_secret_arn: Option<String>,
    /// The secret holding the SCIM bearer token (`SCIM_TOKEN_SECRET_ARN`; its
    /// current and previous versions are accepted). Unset: no SCIM API.
    pub scim_token_secret_arn: Option<String>,
    /// Secrets Manager secret holding the HiBob webhook's JSON (`HIBOB_SECRET_ARN`).
    pub hibob_secret_arn: Option<String>,
    /// HiBob's API (`HIBOB_API_URL`, default `https://api.hibob.com`): https, or
    /// http to a loopback address.
    pub hibob_api_url: String,
    /// Allowed groups per department for the HR-system connectors (`HR_GROUP_MAP`).
    pub hr_group_map: GroupMap,
    /// EventBridge `source` accepted for `Employee Hired` events (`EVENTBRIDGE_SOURCE`).
    pub eventbridge_source: Option<String>,
    /// Where offboardings with a future `effectiveAt` are scheduled
    /// (`OFFBOARDING_SCHEDULE_GROUP` and `OFFBOARDING_SCHEDULER_ROLE_ARN`, both or
    /// neither); without them such an offboarding is refused.
    pub offboarding_schedules: Option<ScheduleSettings>,
    /// The credential sweep's thresholds and rails (`PASSWORD_TTL_HOURS`, …; see [`SweepSettings`]).
    pub sweep: SweepSettings,
    /// How the one-time password is delivered (`PASSWORD_DELIVERY`, `REVEAL_BASE_URL`,
    /// `REVEAL_TTL_HOURS`; see [`RevealSettings`]).
    pub reveal: RevealSettings,
    /// DynamoDB table of per-person leases and webhook delivery records
    /// (`IDEMPOTENCY_TABLE`); without it runs are not serialised (a local run).
    pub idempotency_table: Option<String>,
    /// Emails per second SES accepts from this account (`SES_MAX_SEND_RATE`, a
    /// positive number); without it the account's `MaxSendRate` (`GetSendQuota`).
    pub ses_max_send_rate: Option<f64>,
    /// IAM write calls per second for the whole account (`IAM_WRITE_RATE`, a
    /// positive number, default [`DEFAULT_IAM_WRITE_RATE`]).
    pub iam_write_rate: f64,
    /// How many containers share [`Config::iam_write_rate`] (`IAM_WRITERS`, 1 to
    /// 1000, default 1; the stack sets the bulk queue's maximum concurrency).
    pub iam_writers: u32,
    /// Longest one AWS call may take, SDK retries included (`AWS_CALL_TIMEOUT_MS`,
    /// 50 to 30000, default 3000): the SDK's operation timeout (attempts time out
    /// at half of it), and the unit of the deadline's budget ([`crate::deadline`]).
    pub call_timeout: Duration,
}

/// Default of `IAM_WRITE_RATE`: IAM write calls per second for the account
/// (AWS does not publish IAM's throttling buckets; conservative).
pub const DEFAULT_IAM_WRITE_RATE: f64 = 5.0;

/// Default of `HIBOB_API_URL`: HiBob's production API.
pub const DEFAULT_HIBOB_API_URL: &str = "https://api.hibob.com";

/// Default of `AWS_CALL_TIMEOUT_MS`.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_millis(3000);

/// EventBridge Scheduler settings for future offboardings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSettings {
    /// The schedule group of the stack (`OFFBOARDING_SCHEDULE_GROUP`).
    pub group: String,
    /// The role Scheduler assumes to invoke this function (`OFFBOARDING_SCHEDULER_ROLE_ARN`).
    pub role_arn: String,
}

/// A configuration variable that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable's name.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl Config {
    /// This container's share of the account's IAM write rate:
    /// `IAM_WRITE_RATE / IAM_WRITERS` calls per second (docs/bulk-onboarding.md).
    pub fn iam_writes_per_second(&self) -> f64 {
        self.iam_write_rate / f64::from(self.iam_writers)
    }

    /// Whether `group` (a name as IAM returns it) is one of `ALLOWED_GROUPS`
    /// (group names are case-insensitive in IAM).
    pub fn is_allowed_group(&self, group: &str) -> bool {
        self.allowed_groups
            .iter()
            .any(|g| g.as_str().eq_ignore_ascii_case(group))
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (empty values count as unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let fail = |variable: &'static str, reason: String| ConfigError { variable, reason };
        let required = |variable: &'static str| {
            get(variable).ok_or_else(|| fail(variable, "is required".into()))
        };

        let self_manage_policy_arn = required("SELF_MANAGE_POLICY_ARN")?;
        check_iam_arn(&self_manage_policy_arn, "policy/")
            .map_err(|r| fail("SELF_MANAGE_POLICY_ARN", r))?;
        let sender =
            Email::parse(&required("SENDER_EMAIL")?).map_err(|r| fail("SENDER_EMAIL", r))?;
        let user_path = UserPath::parse(&get("USER_PATH").unwrap_or_else(|| "/".into()))
            .map_err(|r| fail("USER_PATH", r))?;
        let permissions_boundary_arn = get("PERMISSIONS_BOUNDARY_ARN");
        if let Some(arn) = &permissions_boundary_arn {
            check_iam_arn(arn, "policy/").map_err(|r| fail("PERMISSIONS_BOUNDARY_ARN", r))?;
        }
        let allowed_groups = get("ALLOWED_GROUPS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(|g| {
                        GroupName::parse(g)
                            .map_err(|r| fail("ALLOWED_GROUPS", format!("group {g:?} {r}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let signin_url = get("SIGNIN_URL");
        if let Some(url) = &signin_url
            && (!url.starts_with("https://") || url.contains(char::is_whitespace))
        {
            return Err(fail("SIGNIN_URL", "must be an https:// URL".into()));
        }
        let secret_arn = |variable: &'static str| match get(variable) {
            Some(arn) if !(arn.starts_with("arn:") && arn.contains(":secretsmanager:")) => Err(
                fail(variable, "must be a Secrets Manager secret ARN".into()),
            ),
            other => Ok(other),
        };
        let webhook_secret_arn = secret_arn("WEBHOOK_SECRET_ARN")?;
        let bamboohr_secret_arn = secret_arn("BAMBOOHR_SECRET_ARN")?;
        let scim_token_secret_arn = secret_arn("SCIM_TOKEN_SECRET_ARN")?;
        let hibob_secret_arn = secret_arn("HIBOB_SECRET_ARN")?;
        let hibob_api_url = get("HIBOB_API_URL")
            .map(|url| url.trim().trim_end_matches('/').to_string())
            .unwrap_or_else(|| DEFAULT_HIBOB_API_URL.to_string());
        let hr_group_map = get("HR_GROUP_MAP")
            .map(|raw| GroupMap::parse(&raw, &allowed_groups))
            .transpose()
            .map_err(|r| fail("HR_GROUP_MAP", r))?
            .unwrap_or_default();
        let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
        if !(hibob_api_url.starts_with("https://")
            || loopback.iter().any(|l| hibob_api_url.starts_with(l)))
            || hibob_api_url.contains(char::is_whitespace)
        {
            return Err(fail(
                "HIBOB_API_URL",
                "must be an https:// URL (or http:// to a loopback address, for tests)".into(),
            ));
        }
        let idempotency_table = get("IDEMPOTENCY_TABLE");
        if let Some(table) = &idempotency_table
            && !((3..=255).contains(&table.len())
                && table
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
        {
            return Err(fail(
                "IDEMPOTENCY_TABLE",
                "must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)".into(),
            ));
        }
        let ses_max_send_rate = get("SES_MAX_SEND_RATE")
            .map(|rate| match rate.parse::<f64>() {
                Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
                _ => Err(fail(
                    "SES_MAX_SEND_RATE",
                    "must be a positive number of emails per second".into(),
                )),
            })
            .transpose()?;
        let iam_write_rate = match get("IAM_WRITE_RATE") {
            None => DEFAULT_IAM_WRITE_RATE,
            Some(rate) => match rate.parse::<f64>() {
                Ok(rate) if rate.is_finite() && rate > 0.0 => rate,
                _ => {
                    return Err(fail(
                        "IAM_WRITE_RATE",
                        "must be a positive number of IAM write calls per second".into(),
                    ));
                }
            },
        };
        let iam_writers = match get("IAM_WRITERS") {
            None => 1,
            Some(n) => match n.parse::<u32>() {
                Ok(n @ 1..=1000) => n,
                _ => {
                    return Err(fail(
                        "IAM_WRITERS",
                        "must be a whole number of containers from 1 to 1000".into(),
                    ));
                }
            },
        };
        let call_timeout = match get("AWS_CALL_TIMEOUT_MS") {
            None => DEFAULT_CALL_TIMEOUT,
            Some(ms) => match ms.parse::<u64>() {
                Ok(ms @ 50..=30_000) => Duration::from_millis(ms),
                _ => {
                    return Err(fail(
                        "AWS_CALL_TIMEOUT_MS",
                        "must be a whole number of milliseconds from 50 to 30000".into(),
                    ));
                }
            },
        };
        let offboarding_schedules = schedule_settings(&get)?;
        let reveal = RevealSettings::from_lookup(&get, idempotency_table.as_deref())?;
        Ok(Self {
            self_manage_policy_arn,
            sender,
            user_path,
            permissions_boundary_arn,
            allowed_groups,
            signin_url,
            ses_configuration_set: get("SES_CONFIGURATION_SET"),
            webhook_secret_arn,
            bamboohr_secret_arn,
            scim_token_secret_arn,
            hibob_secret_arn,
            hibob_api_url,
            hr_group_map,
            eventbridge_source: get("EVENTBRIDGE_SOURCE"),
            offboarding_schedules,
            sweep: SweepSettings::from_lookup(&get, reveal.ttl_hours)?,
            reveal,
            idempotency_table,
            ses_max_send_rate,
            iam_write_rate,
            iam_writers,
            call_timeout,
        })
    }
}

/// Both scheduler variables, or neither.
fn schedule_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<ScheduleSettings>, ConfigError> {
    const GROUP: &str = "OFFBOARDING_SCHEDULE_GROUP";
    const ROLE: &str = "OFFBOARDING_SCHEDULER_ROLE_ARN";
    match (get(GROUP), get(ROLE)) {
        (None, None) => Ok(None),
        (Some(group), Some(role_arn)) => {
            let name_ok = group.len() <= 64
                && group
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !name_ok {
                return Err(ConfigError {
                    variable: GROUP,
                    reason: "must be a schedule group name (1-64 of A-Z a-z 0-9 - _ .)".into(),
                });
            }
            check_iam_arn(&role_arn, "role/").map_err(|reason| ConfigError {
                variable: ROLE,
                reason,
            })?;
            Ok(Some(ScheduleSettings { group, role_arn }))
        }
        (None, Some(_)) => Err(ConfigError {
            variable: GROUP,
            reason: format!("is required when {ROLE} is set"),
        }),
        (Some(_), None) => Err(ConfigError {
            variable: ROLE,
            reason: format!("is required when {GROUP} is set"),
        }),
    }
}

/// Checks `arn:<partition>:iam::<account or aws>:<resource_prefix>...`.
fn check_iam_arn(arn: &str, resource_prefix: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && (parts[4] == "aws"
            || (parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit())))
        && parts[5].starts_with(resource_prefix)
        && parts[5].len() > resource_prefix.len();
    if valid {
        Ok(())
    } else {
        Err(format!(
            "must be an IAM ARN like arn:aws:iam::123456789012:{resource_prefix}NAME"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const MINIMAL: [(&str, &str); 3] = [
        (
            "SELF_MANAGE_POLICY_ARN",
            "arn:aws:iam::123456789012:policy/SelfManage",
        ),
        ("SENDER_EMAIL", "it@example.com"),
        ("PASSWORD_DELIVERY", "email"),
    ];

    #[test]
    fn minimal_configuration_has_defaults() {
        let config = Config::from_lookup(lookup(&MINIMAL)).unwrap();
        assert_eq!(config.user_path.as_str(), "/");
        assert!(config.allowed_groups.is_empty());
        assert!(config.permissions_boundary_arn.is_none());
        assert_eq!(config.ses_max_send_rate, None);
        assert_eq!(config.call_timeout, DEFAULT_CALL_TIMEOUT);
        assert_eq!(config.iam_writes_per_second(), DEFAULT_IAM_WRITE_RATE);
    }

    #[test]
    fn missing_or_invalid_variables_are_named() {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![MINIMAL[1]], "SELF_MANAGE_POLICY_ARN"),
            (vec![MINIMAL[0]], "SENDER_EMAIL"),
            (
                vec![MINIMAL[0], ("SENDER_EMAIL", "not-an-address")],
                "SENDER_EMAIL",
            ),
            (
                vec![
                    ("SELF_MANAGE_POLICY_ARN", "arn:aws:s3:::bucket"),
                    MINIMAL[1],
                ],
                "SELF_MANAGE_POLICY_ARN",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("USER_PATH", "employees")],
                "USER_PATH",
            ),
            (
                vec![
                    MINIMAL[0],
                    MINIMAL[1],
                    ("PERMISSIONS_BOUNDARY_ARN", "boundary"),
                ],
                "PERMISSIONS_BOUNDARY_ARN",
            ),
            (
                vec![
                    MINIMAL[0],
                    MINIMAL[1],
                    ("ALLOWED_GROUPS", "devs, bad group"),
                ],
                "ALLOWED_GROUPS",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("SIGNIN_URL", "http://x")],
                "SIGNIN_URL",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("WEBHOOK_SECRET_ARN", "secret")],
                "WEBHOOK_SECRET_ARN",
            ),
            (
                vec![
                    MINIMAL[0],
                    MINIMAL[1],
                    ("OFFBOARDING_SCHEDULE_GROUP", "offboarding"),
                ],
                "OFFBOARDING_SCHEDULER_ROLE_ARN",
            ),
            (
                vec![
                    MINIMAL[0],
                    MINIMAL[1],
                    ("OFFBOARDING_SCHEDULE_GROUP", "off/boarding"),
                    (
                        "OFFBOARDING_SCHEDULER_ROLE_ARN",
                        "arn:aws:iam::123456789012:role/scheduler",
                    ),
                ],
                "OFFBOARDING_SCHEDULE_GROUP",
            ),
            (
                vec![
                    MINIMAL[0],
                    MINIMAL[1],
                    ("IDEMPOTENCY_TABLE", "arn:aws:dynamodb:us-east-1:1:table/t"),
                ],
                "IDEMPOTENCY_TABLE",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("SES_MAX_SEND_RATE", "0")],
                "SES_MAX_SEND_RATE",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("SES_MAX_SEND_RATE", "fast")],
                "SES_MAX_SEND_RATE",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("AWS_CALL_TIMEOUT_MS", "10")],
                "AWS_CALL_TIMEOUT_MS",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("IAM_WRITE_RATE", "0")],
                "IAM_WRITE_RATE",
            ),
            (
                vec![MINIMAL[0], MINIMAL[1], ("IAM_WRITERS", "0")],
                "IAM_WRITERS",
            ),
        ];
        for (pairs, variable) in cases {
            let err = Config::from_lookup(lookup(&pairs)).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.to_string().contains(variable));
        }
    }

    #[test]
    fn reads_every_option() {
        let mut pairs = MINIMAL.to_vec();
        pairs.extend([
            ("USER_PATH", "/employees/"),
            (
                "PERMISSIONS_BOUNDARY_ARN",
                "arn:aws:iam::123456789012:policy/Boundary",
            ),
            ("ALLOWED_GROUPS", " developers, readers ,"),
            ("SIGNIN_URL", "https://corp.signin.aws.amazon.com/console"),
            ("SES_CONFIGURATION_SET", "onboarding"),
            (
                "WEBHOOK_SECRET_ARN",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook-AbCdEf",
            ),
            ("EVENTBRIDGE_SOURCE", "com.example.hr"),
            ("IDEMPOTENCY_TABLE", "iam-onboarding-Idempotency-1A2B"),
            ("SES_MAX_SEND_RATE", "14"),
            ("AWS_CALL_TIMEOUT_MS", "1500"),
        ]);
        let config = Config::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(config.user_path.as_str(), "/employees/");
        let groups: Vec<&str> = config.allowed_groups.iter().map(|g| g.as_str()).collect();
        assert_eq!(groups, ["developers", "readers"]);
        assert_eq!(config.ses_configuration_set.as_deref(), Some("onboarding"));
        assert_eq!(config.eventbridge_source.as_deref(), Some("com.example.hr"));
        assert_eq!(
            config.idempotency_table.as_deref(),
            Some("iam-onboarding-Idempotency-1A2B")
        );
        assert_eq!(config.ses_max_send_rate, Some(14.0));
        assert_eq!(config.call_timeout, Duration::from_millis(1500));
    }
}
