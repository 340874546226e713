//! Rule 3: deleting a leaver. IAM refuses `DeleteUser` while anything is
//! attached, so every credential, membership and policy goes first (IAM User
//! Guide, "Deleting an IAM user"). Order: every listing before any write (no
//! write on a partial picture); then credentials (so access ends first), group
//! memberships, policies, and the user. A failure stops there; the user stays
//! `offboarded`, and the next sweep finishes the job (removals of things
//! already gone succeed).

use crate::aws::AwsError;
use crate::aws::iam::Iam;
use crate::config::Config;
use crate::identity::Step;

/// Deletes the user `name` with everything attached; the failed step on error.
///
/// Errors: any IAM error; `GroupOutsideAllowList` before any write when the
/// user is in a group outside `ALLOWED_GROUPS` (the function never touches
/// those; remove the membership by hand).
pub async fn delete_user(iam: &Iam, config: &Config, name: &str) -> Result<(), (Step, AwsError)> {
    let a = Step::ListUserAttachments
        .attempt(iam.user_attachments(name))
        .await?;
    let foreign: Vec<&str> = a
        .groups
        .iter()
        .filter(|g| {
            !config
                .allowed_groups
                .iter()
                .any(|a| a.as_str() == g.as_str())
        })
        .map(String::as_str)
        .collect();
    if !foreign.is_empty() {
        return Err((
            Step::RemoveFromGroup,
            AwsError {
                code: "GroupOutsideAllowList".into(),
                message: format!(
                    "the user is in {} outside ALLOWED_GROUPS; nothing was deleted: remove the membership by hand",
                    foreign.join(", ")
                ),
            },
        ));
    }
    Step::RemoveLoginProfile
        .attempt(iam.delete_login_profile(name))
        .await?;
    for credential in &a.credentials {
        Step::DeleteCredential
            .attempt(iam.delete_credential(name, credential))
            .await?;
    }
    for serial in &a.mfa_devices {
        Step::RemoveMfaDevice
            .attempt(iam.remove_mfa_device(name, serial))
            .await?;
    }
    for group in &a.groups {
        Step::RemoveFromGroup
            .attempt(iam.remove_user_from_group(name, group))
            .await?;
    }
    for arn in &a.attached_policies {
        Step::DetachPolicy
            .attempt(iam.detach_user_policy(name, arn))
            .await?;
    }
    for policy in &a.inline_policies {
        Step::DeleteInlinePolicy
            .attempt(iam.delete_user_policy(name, policy))
            .await?;
    }
    Step::DeleteUser.attempt(iam.delete_user(name)).await
}
