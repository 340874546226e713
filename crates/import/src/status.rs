//! Where the file's people are, from IAM's own tags: one
//! `GetAccountAuthorizationDetails` walk (users only, with their tags, hundreds
//! per page), never a call per person. A person is recognised by the
//! `EmailSha256` tag of a user carrying the function's marker.

use std::collections::HashMap;

use aws_sdk_iam::types::EntityType;
use iam_onboarding::identity::ownership::{
    EMAIL_HASH_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE, STATUS_TAG,
};

use crate::check::Accepted;
use crate::send::Ledger;

/// `EmailSha256` → `OnboardingStatus` of every user the function manages.
pub async fn managed_users(
    iam: &aws_sdk_iam::Client,
) -> Result<HashMap<String, String>, aws_sdk_iam::Error> {
    let mut users = HashMap::new();
    let mut pages = iam
        .get_account_authorization_details()
        .filter(EntityType::User)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for user in page.map_err(aws_sdk_iam::Error::from)?.user_detail_list() {
            let tag = |key: &str| {
                user.tags()
                    .iter()
                    .find(|t| t.key().eq_ignore_ascii_case(key))
                    .map(|t| t.value().to_string())
            };
            if tag(MANAGED_BY_TAG).as_deref() != Some(MANAGED_BY_VALUE) {
                continue;
            }
            if let Some(hash) = tag(EMAIL_HASH_TAG) {
                users.insert(hash, tag(STATUS_TAG).unwrap_or_default());
            }
        }
    }
    Ok(users)
}

/// Where one person of the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Progress {
    /// Onboarded (`complete`, or `expired`: onboarded, password unused).
    Complete,
    /// Queued (in the ledger) or being onboarded (`pending`).
    Pending,
    /// Onboarding failed (`failed`); its message comes back or is in the DLQ.
    Failed,
    /// The user was offboarded since.
    Offboarded,
    /// Neither queued by this file nor known to IAM.
    NotSent,
}

impl Progress {
    /// Its name in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Pending => "pending",
            Self::Failed => "failed",
            Self::Offboarded => "offboarded",
            Self::NotSent => "not sent",
        }
    }
}

/// The progress of `row` given IAM's `users` and the file's `ledger`.
pub fn progress_of(row: &Accepted, users: &HashMap<String, String>, ledger: &Ledger) -> Progress {
    match users.get(&row.email_sha256).map(String::as_str) {
        Some("complete" | "expired") => Progress::Complete,
        Some("failed") => Progress::Failed,
        Some("offboarded") => Progress::Offboarded,
        Some(_) => Progress::Pending,
        None if ledger.contains(&row.email_sha256) => Progress::Pending,
        None => Progress::NotSent,
    }
}
