//! How the one-time password reaches the employee (`PASSWORD_DELIVERY`,
//! `REVEAL_BASE_URL`, `REVEAL_TTL_HOURS`; issue 22, docs/reveal-link.md).

use super::ConfigError;

/// `PASSWORD_DELIVERY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordDelivery {
    /// `link` (the default): the email carries a one-time reveal link.
    Link,
    /// `email`: the email carries the password in clear text (weaker: mail is
    /// archived, journaled and forwarded; OWASP ASVS 4.0.3 V2.5.1).
    Email,
}

/// Default of `REVEAL_TTL_HOURS`.
pub const DEFAULT_REVEAL_TTL_HOURS: i64 = 24;
/// Most `REVEAL_TTL_HOURS` may be (a week).
pub const MAX_REVEAL_TTL_HOURS: i64 = 168;

/// The reveal link's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealSettings {
    /// `PASSWORD_DELIVERY`, default `link`.
    pub delivery: PasswordDelivery,
    /// `REVEAL_BASE_URL`: the function's public base URL, no trailing `/`
    /// (https, or http to a loopback address for tests). Without it the function
    /// reads its own Function URL (`lambda:GetFunctionUrlConfig`) once.
    pub base_url: Option<String>,
    /// `REVEAL_TTL_HOURS` (1 to 168, default 24): how long a link works.
    pub ttl_hours: i64,
}

impl RevealSettings {
    /// Reads the settings through `get` (trimmed, empty = unset); `table` is
    /// `IDEMPOTENCY_TABLE`, where the reveal records live.
    ///
    /// Errors: an unknown delivery, `link` without a table, a base URL that is not
    /// https (or loopback http) or carries a query or fragment, a TTL outside 1..=168.
    pub fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
        table: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let fail = |variable: &'static str, reason: &str| ConfigError {
            variable,
            reason: reason.into(),
        };
        let delivery = match get("PASSWORD_DELIVERY").as_deref() {
            None | Some("link") => PasswordDelivery::Link,
            Some("email") => PasswordDelivery::Email,
            Some(_) => return Err(fail("PASSWORD_DELIVERY", "must be link or email")),
        };
        if delivery == PasswordDelivery::Link && table.is_none() {
            return Err(fail(
                "PASSWORD_DELIVERY",
                "link (the default) keeps its one-time records in IDEMPOTENCY_TABLE, which is \
                 not set; set it, or PASSWORD_DELIVERY=email to send the password itself",
            ));
        }
        let base_url = get("REVEAL_BASE_URL").map(|url| url.trim_end_matches('/').to_string());
        if let Some(url) = &base_url {
            let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
            let scheme_ok =
                url.starts_with("https://") || loopback.iter().any(|l| url.starts_with(l));
            if !scheme_ok || url.contains(['?', '#', ' ', '\t']) {
                return Err(fail(
                    "REVEAL_BASE_URL",
                    "must be an https:// URL without query or fragment (or http:// to a \
                     loopback address, for tests)",
                ));
            }
        }
        let ttl_hours = match get("REVEAL_TTL_HOURS") {
            None => DEFAULT_REVEAL_TTL_HOURS,
            Some(hours) => hours
                .parse::<i64>()
                .ok()
                .filter(|h| (1..=MAX_REVEAL_TTL_HOURS).contains(h))
                .ok_or_else(|| {
                    fail(
                        "REVEAL_TTL_HOURS",
                        "must be a whole number of hours from 1 to 168",
                    )
                })?,
        };
        Ok(Self {
            delivery,
            base_url,
            ttl_hours,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)], table: Option<&str>) -> Result<RevealSettings, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RevealSettings::from_lookup(
            &|name| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            },
            table,
        )
    }

    #[test]
    fn link_is_the_default_and_needs_the_table() {
        let settings = read(&[], Some("t-table")).unwrap();
        assert_eq!(settings.delivery, PasswordDelivery::Link);
        assert_eq!(settings.ttl_hours, 24);
        assert_eq!(settings.base_url, None);
        let err = read(&[], None).unwrap_err();
        assert_eq!(err.variable, "PASSWORD_DELIVERY");
        assert!(err.reason.contains("IDEMPOTENCY_TABLE"));
        let email = read(&[("PASSWORD_DELIVERY", "email")], None).unwrap();
        assert_eq!(email.delivery, PasswordDelivery::Email);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (pairs, variable) in [
            (vec![("PASSWORD_DELIVERY", "sms")], "PASSWORD_DELIVERY"),
            (
                vec![("REVEAL_BASE_URL", "http://example.com")],
                "REVEAL_BASE_URL",
            ),
            (
                vec![("REVEAL_BASE_URL", "https://x.example/?a=1")],
                "REVEAL_BASE_URL",
            ),
            (
                vec![("REVEAL_BASE_URL", "https://x.example/#f")],
                "REVEAL_BASE_URL",
            ),
            (vec![("REVEAL_TTL_HOURS", "0")], "REVEAL_TTL_HOURS"),
            (vec![("REVEAL_TTL_HOURS", "169")], "REVEAL_TTL_HOURS"),
            (vec![("REVEAL_TTL_HOURS", "1.5")], "REVEAL_TTL_HOURS"),
        ] {
            assert_eq!(
                read(&pairs, Some("t-table")).unwrap_err().variable,
                variable
            );
        }
        let ok = read(
            &[
                ("REVEAL_BASE_URL", "https://id.example/"),
                ("REVEAL_TTL_HOURS", "168"),
            ],
            Some("t-table"),
        )
        .unwrap();
        assert_eq!(ok.base_url.as_deref(), Some("https://id.example"));
        assert_eq!(ok.ttl_hours, 168);
    }
}
