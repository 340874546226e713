//! The four rules of the sweep, as a pure function of one user's report row,
//! its tags and the time: what to do and why, nothing written here.

use serde::Serialize;

use super::report::UserRow;
use crate::aws::iam::ExistingUser;
use crate::config::SweepSettings;
use crate::hr::Email;
use crate::identity::ownership::{
    CONTACT_EMAIL_TAG, MFA_REMINDED_AT_TAG, OFFBOARDED_AT_TAG, STARTED_AT_TAG, STATUS_COMPLETE,
    STATUS_OFFBOARDED, STATUS_TAG,
};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// Which rule caused an action (the summary counts per rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// 1: a one-time password unused for `PASSWORD_TTL_HOURS`.
    UnusedPassword,
    /// 2: signed in, but no MFA `MFA_GRACE_DAYS` after onboarding.
    MissingMfa,
    /// 3: offboarded more than `DELETE_AFTER_DAYS` ago.
    Leaver,
    /// 4: an active access key unused for `KEY_UNUSED_DAYS`.
    UnusedAccessKey,
}

impl Rule {
    /// The rule's name in logs and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::UnusedPassword => "unused_password",
            Rule::MissingMfa => "missing_mfa",
            Rule::Leaver => "leaver",
            Rule::UnusedAccessKey => "unused_access_key",
        }
    }
}

/// What the sweep does about a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `DeleteLoginProfile`, then `TagUser OnboardingStatus=expired`.
    ExpirePassword,
    /// `SendEmail` with the MFA steps to `recipient`, then `TagUser MfaReminderSentAt`.
    RemindMfa {
        /// The employee's address (the user's `ContactEmail` tag).
        recipient: Email,
    },
    /// Every credential, membership and policy removed, then `DeleteUser`.
    DeleteUser,
    /// Reported only (`DEACTIVATE_UNUSED_KEYS` is off).
    ReportKey {
        /// 0 or 1: the report's `access_key_1` / `access_key_2`.
        slot: usize,
    },
    /// `UpdateAccessKey Status=Inactive` on the key created at `created_at`.
    DeactivateKey {
        /// 0 or 1: the report's `access_key_1` / `access_key_2`.
        slot: usize,
        /// The key's creation time (unix seconds): how it is found in ListAccessKeys.
        created_at: i64,
    },
}

impl Action {
    /// Whether the action takes something away (counted against `SWEEP_MAX_ACTIONS`).
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Action::ExpirePassword | Action::DeleteUser | Action::DeactivateKey { .. }
        )
    }

    /// The action's name in the summary.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::ExpirePassword => "expire_password",
            Action::RemindMfa { .. } => "remind_mfa",
            Action::DeleteUser => "delete_user",
            Action::ReportKey { .. } => "report_key",
            Action::DeactivateKey { .. } => "deactivate_key",
        }
    }
}

/// One thing a rule found about one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that fired.
    pub rule: Rule,
    /// What to do.
    pub action: Action,
    /// Why, with the dates and threshold (no secret, no address).
    pub reason: String,
}

/// What the rules say about one managed user: findings, and rules that would
/// have fired but cannot act (with the reason).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Actions to take.
    pub findings: Vec<Finding>,
    /// Why a rule that matched takes no action.
    pub skipped: Vec<String>,
}

fn age_text(seconds: i64) -> String {
    if seconds >= 2 * DAY {
        format!("{} days", seconds / DAY)
    } else {
        format!("{} hours", seconds / HOUR)
    }
}

/// Applies the rules to a managed user at `now` (unix seconds). The fresh
/// `GetUser` answer wins over the report, which may be hours old: a password
/// used since the report was made is used.
pub fn evaluate(
    row: &UserRow,
    user: &ExistingUser,
    now: i64,
    settings: &SweepSettings,
) -> Evaluation {
    let mut out = Evaluation::default();
    let status = user.tag(STATUS_TAG);
    let tag_time = |key: &str| user.tag(key).and_then(|v| v.parse::<i64>().ok());
    let password_last_used = user.password_last_used.or(row.password_last_used);

    if status == Some(STATUS_OFFBOARDED) {
        // Rule 3; an offboarded user's keys and password are already disabled.
        if settings.delete_after_days == 0 {
            return out;
        }
        match tag_time(OFFBOARDED_AT_TAG) {
            Some(at) if now - at > settings.delete_after_days * DAY => {
                out.findings.push(Finding {
                    rule: Rule::Leaver,
                    action: Action::DeleteUser,
                    reason: format!(
                        "offboarded {} ago, more than DELETE_AFTER_DAYS={}",
                        age_text(now - at),
                        settings.delete_after_days
                    ),
                });
            }
            Some(_) => {}
            None => out.skipped.push(format!(
                "{STATUS_TAG}={STATUS_OFFBOARDED} without a readable {OFFBOARDED_AT_TAG} tag; not deleted"
            )),
        }
        return out;
    }

    if status == Some(STATUS_COMPLETE) && row.password_enabled {
        let onboarded_at = tag_time(STARTED_AT_TAG).unwrap_or(row.created_at);
        match password_last_used {
            None => {
                // Rule 1: when the one-time password was set.
                let set_at = row.password_last_changed.unwrap_or(onboarded_at);
                if now - set_at > settings.password_ttl_hours * HOUR {
                    out.findings.push(Finding {
                        rule: Rule::UnusedPassword,
                        action: Action::ExpirePassword,
                        reason: format!(
                            "one-time password set {} ago and never used, more than PASSWORD_TTL_HOURS={}",
                            age_text(now - set_at),
                            settings.password_ttl_hours
                        ),
                    });
                }
            }
            Some(_) if !row.mfa_active && now - onboarded_at > settings.mfa_grace_days * DAY => {
                // Rule 2, at most once every MFA_REMINDER_EVERY_DAYS.
                let due = tag_time(MFA_REMINDED_AT_TAG)
                    .is_none_or(|at| now - at > settings.mfa_reminder_every_days * DAY);
                let reason = format!(
                    "signed in, no MFA device {} after onboarding, more than MFA_GRACE_DAYS={}",
                    age_text(now - onboarded_at),
                    settings.mfa_grace_days
                );
                match (due, user.tag(CONTACT_EMAIL_TAG).map(Email::parse)) {
                    (false, _) => {}
                    (true, Some(Ok(recipient))) => out.findings.push(Finding {
                        rule: Rule::MissingMfa,
                        action: Action::RemindMfa { recipient },
                        reason,
                    }),
                    (true, _) => out.skipped.push(format!(
                        "{reason}; no valid {CONTACT_EMAIL_TAG} tag to send the reminder to: tell the employee yourself"
                    )),
                }
            }
            Some(_) => {}
        }
    }

    // Rule 4: every active key, whatever the onboarding status.
    for (slot, key) in row.keys.iter().enumerate() {
        let Some(since) = key.last_used.or(key.created_at) else {
            continue;
        };
        if key.active && now - since > settings.key_unused_days * DAY {
            let what = if key.last_used.is_some() {
                "last used"
            } else {
                "created and never used"
            };
            let reason = format!(
                "access key {} {what} {} ago, more than KEY_UNUSED_DAYS={}",
                slot + 1,
                age_text(now - since),
                settings.key_unused_days
            );
            let action = match (settings.deactivate_unused_keys, key.created_at) {
                (true, Some(created_at)) => Action::DeactivateKey { slot, created_at },
                _ => Action::ReportKey { slot },
            };
            out.findings.push(Finding {
                rule: Rule::UnusedAccessKey,
                action,
                reason,
            });
        }
    }
    out
}
