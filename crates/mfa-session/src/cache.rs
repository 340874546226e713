//! The session cache of `--credential-process` and `--exec`: one 0600 file per
//! (profile, serial, endpoint) under `~/.aws/cli/cache/`, holding the
//! `credential_process` JSON, so a new code is asked for only once the session
//! is within the reuse window of expiring.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::error::MfaError;
use super::private_file::{read_optional, write_atomic};
use super::session::SessionCredentials;

/// The cache file for a profile and `--serial` value (`auto` or an ARN), and the
/// endpoint override if any (so sessions from an emulator never serve real AWS).
pub fn cache_path(home: &Path, profile: &str, serial: &str, endpoint: Option<&str>) -> PathBuf {
    let mut hash = Sha256::new();
    for part in ["mfa-session/v1", profile, serial, endpoint.unwrap_or("")] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hex::encode(hash.finalize());
    home.join(".aws/cli/cache")
        .join(format!("mfa-session-{}.json", &digest[..40]))
}

/// The cached session, if there is one with more than the reuse window left.
/// A damaged cache file counts as no cache.
pub fn load(path: &Path, now: SystemTime) -> Result<Option<SessionCredentials>, MfaError> {
    Ok(read_optional(path)?
        .and_then(|text| SessionCredentials::from_process_json(&text))
        .filter(|c| c.fresh_at(now)))
}

/// Stores a session (0600, atomically).
pub fn store(path: &Path, creds: &SessionCredentials) -> Result<(), MfaError> {
    write_atomic(path, &format!("{}\n", creds.process_json()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private_file::tests::TempDir;
    use crate::session::Secret;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    fn creds(expiration: SystemTime) -> SessionCredentials {
        SessionCredentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration,
        }
    }

    #[test]
    fn key_depends_on_profile_serial_and_endpoint() {
        let home = Path::new("/home/u");
        let a = cache_path(home, "jane", "auto", None);
        assert!(a.starts_with("/home/u/.aws/cli/cache"));
        assert!(
            a.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("mfa-session-")
        );
        assert_eq!(a, cache_path(home, "jane", "auto", None));
        assert_ne!(a, cache_path(home, "bob", "auto", None));
        assert_ne!(a, cache_path(home, "jane", "arn:aws:iam::1:mfa/x", None));
        assert_ne!(
            a,
            cache_path(home, "jane", "auto", Some("http://127.0.0.1:5000"))
        );
        // No ambiguity from concatenation.
        assert_ne!(
            cache_path(home, "ab", "c", None),
            cache_path(home, "a", "bc", None)
        );
    }

    #[test]
    fn stores_0600_and_serves_only_fresh_sessions() {
        let t = TempDir::new("cache");
        let path = cache_path(&t.0, "jane", "auto", None);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(load(&path, now).unwrap(), None);
        let c = creds(now + Duration::from_secs(3600));
        store(&path, &c).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load(&path, now).unwrap(), Some(c.clone()));
        assert_eq!(
            load(&path, now + Duration::from_secs(45 * 60)).unwrap(),
            None
        );
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(load(&path, now).unwrap(), None);
    }
}
