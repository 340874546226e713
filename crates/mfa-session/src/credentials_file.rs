//! Writing the MFA session into the shared credentials file.
//!
//! Only the output profile's credential lines are touched: `aws_access_key_id`,
//! `aws_secret_access_key`, `aws_session_token` and `expiration` (a line the SDKs
//! ignore, kept for people and for the reuse check). Every other line — other
//! sections, comments, blank lines, other keys of the output profile — stays
//! byte-for-byte as it was, CRLF files keep CRLF, and a file without a final
//! newline only gains the one needed to append after its last line.

use std::time::SystemTime;

use super::profile_file::{self, LineKind, credentials_profile, line_ending};
use super::session::{SessionCredentials, format_time, fresh, parse_time};

/// The keys this tool owns in the output profile.
pub const MANAGED_KEYS: [&str; 4] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "expiration",
];

/// What the output profile currently holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputState {
    /// No credentials under that profile.
    Empty,
    /// An access key without a session token: long-term credentials, never overwritten.
    LongTerm,
    /// Session credentials good for more than the reuse window.
    Fresh { expiration: SystemTime },
    /// Session credentials expiring within the window, expired, or of unknown expiry.
    Stale { expiration: Option<SystemTime> },
}

/// The state of profile `profile` in credentials file `content` at `now`.
pub fn output_state(content: &str, profile: &str, now: SystemTime) -> OutputState {
    let props = profile_file::credentials_properties(content, profile);
    let has = |k: &str| props.get(k).is_some_and(|v| !v.is_empty());
    if !has("aws_access_key_id") {
        return OutputState::Empty;
    }
    if !has("aws_session_token") {
        return OutputState::LongTerm;
    }
    let expiration = props.get("expiration").and_then(|s| parse_time(s));
    match expiration {
        Some(e) if has("aws_secret_access_key") && fresh(e, now) => {
            OutputState::Fresh { expiration: e }
        }
        _ => OutputState::Stale { expiration },
    }
}

/// `content` with profile `profile`'s credentials set to `creds`.
///
/// The new lines go where the profile's first credential line was, or right after
/// its first `[profile]` header, or in a new section at the end. Credential lines
/// in later sections of the same name (which would override ours) are removed,
/// with any continuation lines of theirs.
pub fn upsert(content: &str, profile: &str, creds: &SessionCredentials) -> String {
    let eol = line_ending(content);
    let block = format!(
        "aws_access_key_id = {}{eol}aws_secret_access_key = {}{eol}aws_session_token = {}{eol}expiration = {}{eol}",
        creds.access_key_id,
        creds.secret_access_key.expose(),
        creds.session_token.expose(),
        format_time(creds.expiration),
    );
    let lines = profile_file::lines(content);

    // Which lines to drop, and where the block goes (insert before line `at`).
    let mut drop = vec![false; lines.len()];
    let mut insert_at: Option<usize> = None;
    let mut first_header: Option<usize> = None;
    // How many sections named `profile` have started so far.
    let mut occurrence = 0;
    let mut in_profile = false;
    let mut dropping_continuations = false;
    for (i, line) in lines.iter().enumerate() {
        match &line.kind {
            LineKind::Section(name) => {
                in_profile = credentials_profile(name) == Some(profile);
                if in_profile {
                    occurrence += 1;
                    first_header.get_or_insert(i);
                }
                dropping_continuations = false;
            }
            LineKind::Property { key, .. } if in_profile => {
                dropping_continuations = MANAGED_KEYS.contains(&key.as_str());
                if dropping_continuations {
                    drop[i] = true;
                    if occurrence == 1 {
                        insert_at.get_or_insert(i);
                    }
                }
            }
            LineKind::Continuation if in_profile && dropping_continuations => drop[i] = true,
            // The SDK skips blank and comment lines between a property and its continuation.
            LineKind::Continuation | LineKind::Blank | LineKind::Comment => {}
            _ => dropping_continuations = false,
        }
    }
    let insert_at = insert_at.or(first_header.map(|h| h + 1));

    let mut out = String::with_capacity(content.len() + block.len() + 32);
    let ensure_terminated = |out: &mut String| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if insert_at == Some(i) {
            ensure_terminated(&mut out);
            out.push_str(&block);
        }
        if !drop[i] {
            out.push_str(line.text);
        }
    }
    match insert_at {
        Some(i) if i >= lines.len() => {
            ensure_terminated(&mut out);
            out.push_str(&block);
        }
        Some(_) => {}
        None => {
            ensure_terminated(&mut out);
            // A blank line between the last section and the new one.
            if !out.is_empty() && !out.ends_with(&format!("{eol}{eol}")) && out != eol {
                out.push_str(eol);
            }
            out.push_str(&format!("[{profile}]{eol}"));
            out.push_str(&block);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Secret;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn creds(n: u64) -> SessionCredentials {
        SessionCredentials {
            access_key_id: format!("ASIA{n}"),
            secret_access_key: Secret::new(format!("secret{n}")),
            session_token: Secret::new(format!("token{n}")),
            expiration: at(1_800_000_000 + n),
        }
    }

    fn block(n: u64, eol: &str) -> String {
        format!(
            "aws_access_key_id = ASIA{n}{eol}aws_secret_access_key = secret{n}{eol}aws_session_token = token{n}{eol}expiration = {}{eol}",
            format_time(at(1_800_000_000 + n))
        )
    }

    const FILE: &str = "\
# my credentials, hand-edited
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default-secret ; rotated in May

; the work account
[work]
aws_access_key_id=AKIAWORK
aws_secret_access_key=work-secret
region = eu-west-1
";

    #[test]
    fn missing_or_empty_file_gets_just_the_new_section() {
        assert_eq!(
            upsert("", "jane-mfa", &creds(1)),
            format!("[jane-mfa]\n{}", block(1, "\n"))
        );
        assert_eq!(
            upsert("\n", "jane-mfa", &creds(1)),
            format!("\n[jane-mfa]\n{}", block(1, "\n"))
        );
    }

    #[test]
    fn new_section_is_appended_and_everything_else_kept_byte_for_byte() {
        let out = upsert(FILE, "jane-mfa", &creds(1));
        assert_eq!(out, format!("{FILE}\n[jane-mfa]\n{}", block(1, "\n")));
    }

    #[test]
    fn file_without_trailing_newline_only_gains_that_newline() {
        let file = FILE.trim_end_matches('\n');
        let out = upsert(file, "jane-mfa", &creds(1));
        assert_eq!(out, format!("{file}\n\n[jane-mfa]\n{}", block(1, "\n")));
        // Replacing the last line of a file without a final newline.
        let file = "[jane-mfa]\naws_access_key_id = OLD\naws_session_token = T\nexpiration = X";
        assert_eq!(
            upsert(file, "jane-mfa", &creds(2)),
            format!("[jane-mfa]\n{}", block(2, "\n"))
        );
        // A header as the last line, without a newline.
        assert_eq!(
            upsert("[jane-mfa]", "jane-mfa", &creds(3)),
            format!("[jane-mfa]\n{}", block(3, "\n"))
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let file = FILE.replace('\n', "\r\n");
        let out = upsert(&file, "jane-mfa", &creds(1));
        assert_eq!(out, format!("{file}\r\n[jane-mfa]\r\n{}", block(1, "\r\n")));
        let again = upsert(&out, "jane-mfa", &creds(2));
        assert_eq!(
            again,
            format!("{file}\r\n[jane-mfa]\r\n{}", block(2, "\r\n"))
        );
        assert!(!again.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn existing_section_is_replaced_in_place_keeping_its_other_lines() {
        let file = format!(
            "{FILE}\n[jane-mfa]\n# written by mfa-session\nregion = us-east-1\naws_access_key_id = OLD\naws_secret_access_key = OLDSECRET\naws_session_token = OLDTOKEN\n  continued-token-line\nexpiration = 2020-01-01T00:00:00Z\noutput = json\n\n# about the next one\n[after]\nk = v\n"
        );
        let out = upsert(&file, "jane-mfa", &creds(7));
        assert_eq!(
            out,
            format!(
                "{FILE}\n[jane-mfa]\n# written by mfa-session\nregion = us-east-1\n{}output = json\n\n# about the next one\n[after]\nk = v\n",
                block(7, "\n")
            )
        );
        // Idempotent shape: a second write only changes the values.
        let again = upsert(&out, "jane-mfa", &creds(8));
        assert_eq!(again, out.replace(&block(7, "\n"), &block(8, "\n")));
    }

    #[test]
    fn section_without_credentials_gets_them_after_its_header() {
        let file = "[jane-mfa]\nregion = us-east-1\n[other]\nk = v\n";
        assert_eq!(
            upsert(file, "jane-mfa", &creds(1)),
            format!(
                "[jane-mfa]\n{}region = us-east-1\n[other]\nk = v\n",
                block(1, "\n")
            )
        );
    }

    #[test]
    fn duplicate_sections_lose_their_credential_lines_only() {
        let file = "[jane-mfa]\naws_access_key_id = A\n[x]\nk = v\n[jane-mfa]\n# dup\naws_session_token = B\nregion = r\n";
        assert_eq!(
            upsert(file, "jane-mfa", &creds(1)),
            format!(
                "[jane-mfa]\n{}[x]\nk = v\n[jane-mfa]\n# dup\nregion = r\n",
                block(1, "\n")
            )
        );
    }

    #[test]
    fn other_profiles_with_similar_names_and_prefixed_sections_are_not_ours() {
        let file =
            "[jane-mfa-old]\naws_access_key_id = A\n[profile jane-mfa]\naws_access_key_id = B\n";
        let out = upsert(file, "jane-mfa", &creds(1));
        assert_eq!(out, format!("{file}\n[jane-mfa]\n{}", block(1, "\n")));
    }

    #[test]
    fn output_state_and_the_reuse_window() {
        let now = at(1_000_000);
        let with_exp = |exp: SystemTime| {
            upsert(
                FILE,
                "jane-mfa",
                &SessionCredentials {
                    expiration: exp,
                    ..creds(1)
                },
            )
        };
        let in_16m = now + Duration::from_secs(16 * 60);
        assert_eq!(
            output_state(&with_exp(in_16m), "jane-mfa", now),
            OutputState::Fresh { expiration: in_16m }
        );
        let in_15m = now + Duration::from_secs(15 * 60);
        assert_eq!(
            output_state(&with_exp(in_15m), "jane-mfa", now),
            OutputState::Stale {
                expiration: Some(in_15m)
            }
        );
        let past = now - Duration::from_secs(1);
        assert_eq!(
            output_state(&with_exp(past), "jane-mfa", now),
            OutputState::Stale {
                expiration: Some(past)
            }
        );
        assert_eq!(output_state(FILE, "jane-mfa", now), OutputState::Empty);
        assert_eq!(output_state(FILE, "default", now), OutputState::LongTerm);
        assert_eq!(output_state(FILE, "work", now), OutputState::LongTerm);
        let no_exp =
            "[s]\naws_access_key_id = A\naws_secret_access_key = B\naws_session_token = C\n";
        assert_eq!(
            output_state(no_exp, "s", now),
            OutputState::Stale { expiration: None }
        );
        let bad_exp = format!("{no_exp}expiration = soon\n");
        assert_eq!(
            output_state(&bad_exp, "s", now),
            OutputState::Stale { expiration: None }
        );
        let crlf = with_exp(in_16m).replace('\n', "\r\n");
        assert_eq!(
            output_state(&crlf, "jane-mfa", now),
            OutputState::Fresh { expiration: in_16m }
        );
    }
}
