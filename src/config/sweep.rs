//! The sweep's thresholds and rails, from the environment (template parameters
//! of the same meaning). Every value has a documented default.

use super::ConfigError;

/// Thresholds and rails of the credential sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepSettings {
    /// A one-time password unused this many hours after it was set is removed
    /// (`PASSWORD_TTL_HOURS`, default `REVEAL_TTL_HOURS`: the reveal link's window).
    pub password_ttl_hours: i64,
    /// Days after onboarding until a user who signed in without MFA is reminded
    /// (`MFA_GRACE_DAYS`, default 7).
    pub mfa_grace_days: i64,
    /// Days between two MFA reminders to the same user (`MFA_REMINDER_EVERY_DAYS`, default 3).
    pub mfa_reminder_every_days: i64,
    /// Days an offboarded user is kept before deletion; 0 keeps it for ever
    /// (`DELETE_AFTER_DAYS`, default 30).
    pub delete_after_days: i64,
    /// Days without use after which an active access key is reported
    /// (`KEY_UNUSED_DAYS`, default 45, as CIS AWS Foundations 1.12).
    pub key_unused_days: i64,
    /// Whether such keys are also deactivated (`DEACTIVATE_UNUSED_KEYS`, default false).
    pub deactivate_unused_keys: bool,
    /// Most destructive actions (expire, delete, deactivate) one sweep may take;
    /// above it the sweep takes none (`SWEEP_MAX_ACTIONS`, default 10).
    pub max_actions: usize,
    /// SNS topic the summary is published to (`NOTIFY_TOPIC_ARN`, optional).
    pub notify_topic_arn: Option<String>,
}

impl Default for SweepSettings {
    fn default() -> Self {
        Self {
            password_ttl_hours: super::DEFAULT_REVEAL_TTL_HOURS,
            mfa_grace_days: 7,
            mfa_reminder_every_days: 3,
            delete_after_days: 30,
            key_unused_days: 45,
            deactivate_unused_keys: false,
            max_actions: 10,
            notify_topic_arn: None,
        }
    }
}

impl SweepSettings {
    /// Reads the settings through `get` (trimmed, empty = unset);
    /// `PASSWORD_TTL_HOURS` defaults to `reveal_ttl_hours`.
    ///
    /// Errors: a number that is not a whole number in 0..=100000, a flag that
    /// is not `true`/`false`, a topic that is not an SNS ARN.
    pub fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
        reveal_ttl_hours: i64,
    ) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let number = |variable: &'static str, default: i64| -> Result<i64, ConfigError> {
            match get(variable) {
                None => Ok(default),
                Some(v) => v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=100_000).contains(n))
                    .ok_or_else(|| ConfigError {
                        variable,
                        reason: "must be a whole number from 0 to 100000".into(),
                    }),
            }
        };
        let deactivate_unused_keys = match get("DEACTIVATE_UNUSED_KEYS").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(ConfigError {
                    variable: "DEACTIVATE_UNUSED_KEYS",
                    reason: "must be true or false".into(),
                });
            }
        };
        let notify_topic_arn = get("NOTIFY_TOPIC_ARN");
        if let Some(arn) = &notify_topic_arn
            && !(arn.starts_with("arn:") && arn.split(':').nth(2) == Some("sns"))
        {
            return Err(ConfigError {
                variable: "NOTIFY_TOPIC_ARN",
                reason: "must be an SNS topic ARN".into(),
            });
        }
        Ok(Self {
            password_ttl_hours: number("PASSWORD_TTL_HOURS", reveal_ttl_hours)?,
            mfa_grace_days: number("MFA_GRACE_DAYS", defaults.mfa_grace_days)?,
            mfa_reminder_every_days: number(
                "MFA_REMINDER_EVERY_DAYS",
                defaults.mfa_reminder_every_days,
            )?,
            delete_after_days: number("DELETE_AFTER_DAYS", defaults.delete_after_days)?,
            key_unused_days: number("KEY_UNUSED_DAYS", defaults.key_unused_days)?,
            deactivate_unused_keys,
            max_actions: number("SWEEP_MAX_ACTIONS", defaults.max_actions as i64)? as usize,
            notify_topic_arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<SweepSettings, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SweepSettings::from_lookup(
            &move |name| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            },
            72,
        )
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(
            read(&[]).unwrap(),
            SweepSettings {
                password_ttl_hours: 72,
                ..SweepSettings::default()
            }
        );
        let s = read(&[
            ("PASSWORD_TTL_HOURS", "0"),
            ("DELETE_AFTER_DAYS", "0"),
            ("DEACTIVATE_UNUSED_KEYS", "true"),
            ("SWEEP_MAX_ACTIONS", "3"),
            ("NOTIFY_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:ops"),
        ])
        .unwrap();
        assert_eq!(s.password_ttl_hours, 0);
        assert_eq!(s.delete_after_days, 0);
        assert!(s.deactivate_unused_keys);
        assert_eq!(s.max_actions, 3);
        assert!(s.notify_topic_arn.is_some());
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value) in [
            ("PASSWORD_TTL_HOURS", "-1"),
            ("MFA_GRACE_DAYS", "seven"),
            ("KEY_UNUSED_DAYS", "1e3"),
            ("SWEEP_MAX_ACTIONS", "100001"),
            ("DEACTIVATE_UNUSED_KEYS", "yes"),
            ("NOTIFY_TOPIC_ARN", "ops-topic"),
        ] {
            assert_eq!(read(&[(name, value)]).unwrap_err().variable, name);
        }
    }
}
