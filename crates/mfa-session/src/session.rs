//! Temporary credentials from GetSessionToken, and the time helpers around them.
//!
//! Secrets are wrapped in [`Secret`], whose `Debug` is redacted and which has no
//! `Display`: the secret key and session token leave this module only through
//! [`SessionCredentials::process_json`] (the `credential_process` output),
//! [`SessionCredentials::env`] (an `--exec` child's environment) and the
//! credentials file.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sdk_sts::primitives::{DateTime, DateTimeFormat};
use serde::{Deserialize, Serialize};

/// Credentials that still have more than this left are reused instead of asking
/// for a new code (and SDKs refresh `credential_process` credentials this long
/// before they expire, so handing out anything shorter would loop).
pub const REUSE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A secret string: redacted in `Debug`, no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it must be written out.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Temporary credentials of an MFA session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCredentials {
    /// The access key id (not secret: it names the key, it does not sign).
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// When the credentials expire (whole seconds).
    pub expiration: SystemTime,
}

/// The JSON document `credential_process` must print (version 1).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput {
    version: u8,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

impl SessionCredentials {
    /// Whether these credentials are still good for more than [`REUSE_WINDOW`].
    pub fn fresh_at(&self, now: SystemTime) -> bool {
        fresh(self.expiration, now)
    }

    /// `{"Version":1,"AccessKeyId":…,"SecretAccessKey":…,"SessionToken":…,"Expiration":…}`
    pub fn process_json(&self) -> String {
        serde_json::to_string(&ProcessOutput {
            version: 1,
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.expose().to_string(),
            session_token: self.session_token.expose().to_string(),
            expiration: format_time(self.expiration),
        })
        .expect("plain strings serialize")
    }

    /// Reads [`Self::process_json`]'s output back; `None` if it is not that.
    pub fn from_process_json(text: &str) -> Option<Self> {
        let doc: ProcessOutput = serde_json::from_str(text).ok()?;
        if doc.version != 1
            || doc.access_key_id.is_empty()
            || doc.secret_access_key.is_empty()
            || doc.session_token.is_empty()
        {
            return None;
        }
        Some(Self {
            access_key_id: doc.access_key_id,
            secret_access_key: Secret(doc.secret_access_key),
            session_token: Secret(doc.session_token),
            expiration: parse_time(&doc.expiration)?,
        })
    }

    /// The variables an `--exec` child gets.
    pub fn env(&self) -> [(&'static str, String); 4] {
        [
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY",
                self.secret_access_key.expose().to_string(),
            ),
            ("AWS_SESSION_TOKEN", self.session_token.expose().to_string()),
            ("AWS_CREDENTIAL_EXPIRATION", format_time(self.expiration)),
        ]
    }
}

/// Whether something expiring at `expiration` has more than [`REUSE_WINDOW`] left at `now`.
pub fn fresh(expiration: SystemTime, now: SystemTime) -> bool {
    expiration > now + REUSE_WINDOW
}

/// `2026-01-02T03:04:05Z` (RFC 3339, UTC, whole seconds).
pub fn format_time(t: SystemTime) -> String {
    DateTime::from_secs(DateTime::from(t).secs())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| "invalid-time".into())
}

/// Parses an RFC 3339 timestamp; `None` when it is not one.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    let dt = DateTime::from_str(s.trim(), DateTimeFormat::DateTime).ok()?;
    SystemTime::try_from(dt).ok()
}

/// Rounds down to whole seconds (what the files store).
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = DateTime::from(t).secs();
    SystemTime::try_from(DateTime::from_secs(secs)).unwrap_or(t)
}

/// `11h 58m`, `14m`, `45s`, or `expired` — how long from `now` until `t`.
pub fn time_left(t: SystemTime, now: SystemTime) -> String {
    match t.duration_since(now) {
        Err(_) => "already expired".into(),
        Ok(d) => {
            let s = d.as_secs();
            let (h, m) = (s / 3600, s % 3600 / 60);
            match (h, m) {
                (0, 0) => format!("{s}s"),
                (0, m) => format!("{m}m"),
                (h, m) => format!("{h}h {m}m"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn sample() -> SessionCredentials {
        SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("very-secret-key"),
            session_token: Secret::new("very-secret-token"),
            expiration: at(1_800_000_000),
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let debug = format!("{:?} {:#?}", sample(), sample());
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(debug.contains("ASIAEXAMPLE"));
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn process_json_is_what_credential_process_expects_and_round_trips() {
        let json = sample().process_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "ASIAEXAMPLE");
        assert_eq!(v["SecretAccessKey"], "very-secret-key");
        assert_eq!(v["SessionToken"], "very-secret-token");
        assert_eq!(v["Expiration"], "2027-01-15T08:00:00Z");
        assert_eq!(SessionCredentials::from_process_json(&json), Some(sample()));
        assert_eq!(SessionCredentials::from_process_json("{}"), None);
        assert_eq!(SessionCredentials::from_process_json("not json"), None);
        let v2 = json.replace("\"Version\":1", "\"Version\":2");
        assert_eq!(SessionCredentials::from_process_json(&v2), None);
    }

    #[test]
    fn times_format_and_parse_as_rfc3339_utc() {
        assert_eq!(format_time(at(0)), "1970-01-01T00:00:00Z");
        let t = at(1_800_000_000) + Duration::from_millis(900);
        assert_eq!(format_time(t), "2027-01-15T08:00:00Z");
        assert_eq!(whole_seconds(t), at(1_800_000_000));
        assert_eq!(parse_time("2027-01-15T08:00:00Z"), Some(at(1_800_000_000)));
        assert_eq!(
            parse_time(" 2027-01-15T08:00:00Z "),
            Some(at(1_800_000_000))
        );
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn the_reuse_window_is_fifteen_minutes_exclusive() {
        let now = at(1_000_000);
        assert!(fresh(now + Duration::from_secs(15 * 60 + 1), now));
        assert!(!fresh(now + Duration::from_secs(15 * 60), now));
        assert!(!fresh(now + Duration::from_secs(60), now));
        assert!(!fresh(now - Duration::from_secs(60), now));
        let mut c = sample();
        c.expiration = now + Duration::from_secs(3600);
        assert!(c.fresh_at(now));
    }

    #[test]
    fn time_left_is_human() {
        let now = at(1_000_000);
        assert_eq!(time_left(now + Duration::from_secs(45), now), "45s");
        assert_eq!(
            time_left(now + Duration::from_secs(14 * 60 + 5), now),
            "14m"
        );
        assert_eq!(
            time_left(now + Duration::from_secs(11 * 3600 + 58 * 60), now),
            "11h 58m"
        );
        assert_eq!(
            time_left(now - Duration::from_secs(1), now),
            "already expired"
        );
    }

    #[test]
    fn env_holds_the_three_variables_and_the_expiration() {
        let env = sample().env();
        let get = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_ACCESS_KEY_ID"), Some("ASIAEXAMPLE"));
        assert_eq!(get("AWS_SECRET_ACCESS_KEY"), Some("very-secret-key"));
        assert_eq!(get("AWS_SESSION_TOKEN"), Some("very-secret-token"));
        assert_eq!(
            get("AWS_CREDENTIAL_EXPIRATION"),
            Some("2027-01-15T08:00:00Z")
        );
    }
}
