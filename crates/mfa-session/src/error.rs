//! Every way `mfa-session` can fail, each with what to do about it.

use std::io;
use std::path::{Path, PathBuf};

/// How to register a device, for the "no MFA device" error.
const REGISTER_HINT: &str = "register one: sign in to the AWS console as this user, open \
your account menu → Security credentials → Multi-factor authentication (MFA) → Assign MFA \
device, choose \"Authenticator app\" and follow the steps; then run mfa-session again";

/// A failure, with an actionable message (its `Display`).
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("{0}")]
    Usage(String),

    #[error(
        "no credentials found for profile \"{profile}\": {detail}\n  hint: put your IAM user's access key under [{profile}] in {credentials_file} (e.g. `aws configure --profile {profile}`), or choose the profile with --profile"
    )]
    NoCredentials {
        profile: String,
        detail: String,
        credentials_file: String,
    },

    #[error(
        "{source_desc} gives temporary credentials (with a session token), but GetSessionToken needs an IAM user's long-term access key\n  hint: {hint}"
    )]
    TemporarySource { source_desc: String, hint: String },

    #[error(
        "AWS does not accept the access key of profile \"{profile}\" ({code}: {message})\n  hint: {hint}"
    )]
    BadAccessKey {
        profile: String,
        code: String,
        message: String,
        hint: &'static str,
    },

    #[error("no MFA device is registered for {who}\n  hint: {REGISTER_HINT}")]
    NoDevice { who: String },

    #[error(
        "{who} has several MFA devices:{list}\n  hint: choose one with --serial ARN, or set `mfa_serial = ARN` under [{section}] in {config_file}"
    )]
    SeveralDevices {
        who: String,
        list: String,
        section: String,
        config_file: String,
    },

    #[error("MFA device {serial} {origin} is not one of {who}'s devices:{list}\n  hint: {hint}")]
    DeviceNotFound {
        serial: String,
        origin: String,
        who: String,
        list: String,
        hint: String,
    },

    #[error(
        "cannot list your MFA devices ({code}: {message})\n  hint: pass the device's ARN with --serial, or set `mfa_serial = ARN` under [{section}] in {config_file}"
    )]
    CannotListDevices {
        code: String,
        message: String,
        section: String,
        config_file: String,
    },

    #[error(
        "AWS rejected the MFA code for device {serial} ({message})\n  hint: type the code your authenticator shows right now. Each code works once and for about 30 seconds: if you just used it, wait for the next one. If every code is rejected, make sure your phone sets its clock automatically, and that {serial} is the device of the IAM user whose key profile \"{profile}\" holds."
    )]
    CodeRejected {
        serial: String,
        profile: String,
        message: String,
    },

    #[error(
        "AWS refused the request because of the time ({code}: {message})\n  hint: your computer's clock looks wrong; turn on automatic time sync (e.g. `timedatectl set-ntp true`, or Date & Time settings), then try again"
    )]
    ClockSkew { code: String, message: String },

    #[error("{operation} failed ({code}: {message})")]
    Aws {
        operation: &'static str,
        code: String,
        message: String,
    },

    #[error(
        "could not reach AWS for {operation}: {detail}\n  hint: check your network connection and proxy settings{endpoint_note}"
    )]
    Unreachable {
        operation: &'static str,
        detail: String,
        endpoint_note: String,
    },

    #[error("no MFA code given{detail}\n  hint: {hint}")]
    NoCode { detail: String, hint: String },

    #[error("{0}")]
    BadCode(String),

    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },

    #[error("{path} is not a regular file; refusing to replace it\n  hint: {hint}")]
    NotRegularFile { path: PathBuf, hint: &'static str },

    #[error("{path} is not UTF-8 text; refusing to edit it")]
    NotText { path: PathBuf },

    #[error(
        "profile \"{profile}\" in {path} holds long-term credentials (an access key without a session token); refusing to overwrite them, even with --force\n  hint: choose another --output-profile (the default is \"<profile>-mfa\")"
    )]
    OutputHoldsLongTerm { profile: String, path: PathBuf },

    #[error("cannot run {command:?}: {source}{hint}")]
    Exec {
        command: String,
        source: io::Error,
        hint: &'static str,
    },
}

impl MfaError {
    /// An I/O failure on `path` while doing `action` ("reading", "writing", …).
    pub fn io(path: &Path, action: &'static str, source: io::Error) -> Self {
        MfaError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}

/// `\n    - a\n    - b`, for device lists inside messages.
pub fn bullet_list(items: &[String]) -> String {
    items.iter().map(|i| format!("\n    - {i}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let e = MfaError::NoDevice {
            who: "IAM user jane".into(),
        };
        let text = e.to_string();
        assert!(text.starts_with("no MFA device is registered for IAM user jane"));
        assert!(text.contains("Assign MFA device"));
        let e = MfaError::SeveralDevices {
            who: "IAM user jane".into(),
            list: bullet_list(&["a".into(), "b".into()]),
            section: "profile jane".into(),
            config_file: "/home/jane/.aws/config".into(),
        };
        assert_eq!(
            e.to_string(),
            "IAM user jane has several MFA devices:\n    - a\n    - b\n  hint: choose one with --serial ARN, or set `mfa_serial = ARN` under [profile jane] in /home/jane/.aws/config"
        );
    }
}
