//! The steps of the workflows (onboarding, the credential sweep, resend): one
//! name for logs, results and the dry-run plan. How a step runs within the
//! invocation's deadline is in [`crate::deadline`] (`Step::run`).

use std::fmt;

use serde::Serialize;

/// One AWS call (or group of calls) of a workflow: onboarding, offboarding, update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `PutItem` taking the person's lease in the idempotency table.
    AcquireLease,
    /// `GetAccountPasswordPolicy`, once per container.
    ReadPasswordPolicy,
    /// The password policy and sign-in URL, once per container.
    ReadAccountSettings,
    /// `CreateUser` with the HR tags, the marker and `OnboardingStatus=pending`.
    CreateUser,
    /// `GetUser`: who holds the name.
    GetUser,
    /// `TagUser` claiming a pending user for this attempt.
    ClaimUser,
    /// `CreateLoginProfile` (or `UpdateLoginProfile`) with the one-time password.
    CreateLoginProfile,
    /// `AttachUserPolicy` with the self-manage policy.
    AttachPolicy,
    /// `AddUserToGroup`, once per group.
    AddToGroup,
    /// `PutItem` of the sealed password under `reveal#<id>` (`PASSWORD_DELIVERY=link`).
    StoreReveal,
    /// `PutItem`s retiring the person's earlier reveal link (a resend or rehire).
    RetireRevealLink,
    /// `SendEmail` with the welcome email.
    SendEmail,
    /// `TagUser` with `OnboardingStatus=complete`.
    MarkComplete,
    /// `DeleteLoginProfile` after a failure, so no undelivered password works.
    UndoLoginProfile,
    /// `TagUser` with `OnboardingStatus=failed`.
    MarkFailed,
    /// Rehire: `DetachUserPolicy` of `AWSDenyAll`.
    LiftDeny,
    /// Rehire: `UntagUser` of `OffboardedAt`.
    ClearOffboarded,
    /// Offboard: `AttachUserPolicy` with `AWSDenyAll`, before anything else.
    DenyAll,
    /// Offboard: `DeleteLoginProfile` (console access).
    RemoveLoginProfile,
    /// Offboard: `List*` of one credential kind.
    ListCredentials,
    /// Offboard: `Update*` of one credential to `Inactive`.
    DeactivateCredential,
    /// Offboard and update: `ListGroupsForUser`.
    ListGroups,
    /// Offboard and update: `RemoveUserFromGroup` for an allowed group.
    RemoveFromGroup,
    /// Offboard: `TagUser` with `OnboardingStatus=offboarded` and `OffboardedAt`.
    MarkOffboarded,
    /// `UntagUser` of tags a leaver does not need, when IAM's tag limit stops
    /// [`Step::MarkOffboarded`].
    MakeTagRoom,
    /// Update: `TagUser` with the record's tags.
    UpdateTags,
    /// Update: `UntagUser` of the function's own keys the record no longer has.
    RemoveTags,
    /// Offboard with a future `effectiveAt`: `CreateSchedule` (or `UpdateSchedule`).
    ScheduleOffboarding,
    /// Offboard done now: `DeleteSchedule` of a pending one.
    CancelSchedule,
    /// `GenerateCredentialReport` until ready, then `GetCredentialReport` (sweep).
    ReadCredentialReport,
    /// `DeleteLoginProfile` of a one-time password nobody used (sweep, rule 1).
    ExpirePassword,
    /// `TagUser` with `OnboardingStatus=expired` (sweep, rule 1).
    MarkExpired,
    /// `SendEmail` with the MFA steps (sweep, rule 2).
    SendMfaReminder,
    /// `TagUser` with `MfaReminderSentAt` (sweep, rule 2).
    MarkReminded,
    /// The `List*` calls before a deletion (sweep, rule 3).
    ListUserAttachments,
    /// `DeleteAccessKey`, `DeleteSSHPublicKey`, `DeleteSigningCertificate` or
    /// `DeleteServiceSpecificCredential`, once per credential (sweep, rule 3).
    DeleteCredential,
    /// `DeactivateMFADevice` (and `DeleteVirtualMFADevice`), once per device.
    RemoveMfaDevice,
    /// `DetachUserPolicy`, once per managed policy.
    DetachPolicy,
    /// `DeleteUserPolicy`, once per inline policy.
    DeleteInlinePolicy,
    /// `DeleteUser` (sweep, rule 3).
    DeleteUser,
    /// `ListAccessKeys` (sweep, rule 4).
    ListAccessKeys,
    /// `GetAccessKeyLastUsed`: the report may be hours old (sweep, rule 4).
    CheckKeyLastUsed,
    /// `GetLoginProfile`: when the password was set, since the report may be hours
    /// old and a `resend` may have set a new one (sweep, rule 1).
    CheckLoginProfile,
    /// `ListMFADevices`: whether the user enabled MFA since the report (sweep, rule 2).
    CheckMfaDevices,
    /// `UpdateAccessKey Status=Inactive` (sweep, rule 4).
    DeactivateAccessKey,
    /// `Publish` of the sweep's summary to `NOTIFY_TOPIC_ARN`.
    PublishSummary,
    /// `DeleteItem` releasing the person's lease.
    ReleaseLease,
}

impl Step {
    /// The step's name in logs and results (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::AcquireLease => "acquire_lease",
            Step::ReadPasswordPolicy => "read_password_policy",
            Step::ReadAccountSettings => "read_account_settings",
            Step::CreateUser => "create_user",
            Step::GetUser => "get_user",
            Step::ClaimUser => "claim_user",
            Step::CreateLoginProfile => "create_login_profile",
            Step::AttachPolicy => "attach_policy",
            Step::AddToGroup => "add_to_group",
            Step::StoreReveal => "store_reveal",
            Step::RetireRevealLink => "retire_reveal_link",
            Step::SendEmail => "send_email",
            Step::MarkComplete => "mark_complete",
            Step::UndoLoginProfile => "undo_login_profile",
            Step::MarkFailed => "mark_failed",
            Step::LiftDeny => "lift_deny",
            Step::ClearOffboarded => "clear_offboarded",
            Step::DenyAll => "deny_all",
            Step::RemoveLoginProfile => "remove_login_profile",
            Step::ListCredentials => "list_credentials",
            Step::DeactivateCredential => "deactivate_credential",
            Step::ListGroups => "list_groups",
            Step::RemoveFromGroup => "remove_from_group",
            Step::MarkOffboarded => "mark_offboarded",
            Step::MakeTagRoom => "make_tag_room",
            Step::UpdateTags => "update_tags",
            Step::RemoveTags => "remove_tags",
            Step::ScheduleOffboarding => "schedule_offboarding",
            Step::CancelSchedule => "cancel_schedule",
            Step::ReadCredentialReport => "read_credential_report",
            Step::ExpirePassword => "expire_password",
            Step::MarkExpired => "mark_expired",
            Step::SendMfaReminder => "send_mfa_reminder",
            Step::MarkReminded => "mark_reminded",
            Step::ListUserAttachments => "list_user_attachments",
            Step::DeleteCredential => "delete_credential",
            Step::RemoveMfaDevice => "remove_mfa_device",
            Step::DetachPolicy => "detach_policy",
            Step::DeleteInlinePolicy => "delete_inline_policy",
            Step::DeleteUser => "delete_user",
            Step::ListAccessKeys => "list_access_keys",
            Step::CheckKeyLastUsed => "check_key_last_used",
            Step::CheckLoginProfile => "check_login_profile",
            Step::CheckMfaDevices => "check_mfa_devices",
            Step::DeactivateAccessKey => "deactivate_access_key",
            Step::PublishSummary => "publish_summary",
            Step::ReleaseLease => "release_lease",
        }
    }

    /// The AWS operation the step calls, as the dry-run plan names it.
    pub fn operation(self) -> &'static str {
        match self {
            Step::ReadPasswordPolicy | Step::ReadAccountSettings => "GetAccountPasswordPolicy",
            Step::CreateUser => "CreateUser",
            Step::GetUser => "GetUser",
            Step::ClaimUser
            | Step::MarkComplete
            | Step::MarkFailed
            | Step::MarkOffboarded
            | Step::UpdateTags
            | Step::MarkExpired
            | Step::MarkReminded => "TagUser",
            Step::CreateLoginProfile => "CreateLoginProfile",
            Step::AttachPolicy | Step::DenyAll => "AttachUserPolicy",
            Step::AddToGroup => "AddUserToGroup",
            Step::SendEmail | Step::SendMfaReminder => "SendEmail",
            Step::UndoLoginProfile | Step::RemoveLoginProfile | Step::ExpirePassword => {
                "DeleteLoginProfile"
            }
            Step::LiftDeny => "DetachUserPolicy",
            Step::ClearOffboarded | Step::RemoveTags | Step::MakeTagRoom => "UntagUser",
            Step::ListCredentials => {
                "ListAccessKeys/ListSSHPublicKeys/ListSigningCertificates/ListServiceSpecificCredentials"
            }
            Step::DeactivateCredential => {
                "UpdateAccessKey/UpdateSSHPublicKey/UpdateSigningCertificate/UpdateServiceSpecificCredential"
            }
            Step::ListGroups => "ListGroupsForUser",
            Step::RemoveFromGroup => "RemoveUserFromGroup",
            Step::ScheduleOffboarding => "CreateSchedule",
            Step::CancelSchedule => "DeleteSchedule",
            Step::ReadCredentialReport => "GetCredentialReport",
            Step::ListUserAttachments => "ListAccessKeys",
            Step::DeleteCredential => {
                "DeleteAccessKey/DeleteSSHPublicKey/DeleteSigningCertificate/DeleteServiceSpecificCredential"
            }
            Step::RemoveMfaDevice => "DeactivateMFADevice",
            Step::DetachPolicy => "DetachUserPolicy",
            Step::DeleteInlinePolicy => "DeleteUserPolicy",
            Step::DeleteUser => "DeleteUser",
            Step::ListAccessKeys => "ListAccessKeys",
            Step::CheckKeyLastUsed => "GetAccessKeyLastUsed",
            Step::CheckLoginProfile => "GetLoginProfile",
            Step::CheckMfaDevices => "ListMFADevices",
            Step::DeactivateAccessKey => "UpdateAccessKey",
            Step::PublishSummary => "Publish",
            Step::AcquireLease | Step::StoreReveal | Step::RetireRevealLink => "PutItem",
            Step::ReleaseLease => "DeleteItem",
        }
    }

    /// Whether the step undoes or records what was done (undo, the final tag, the
    /// lease's release, the sweep's summary): it may use the time the invocation's
    /// deadline keeps for the undo ([`crate::deadline`]).
    pub fn is_closing(self) -> bool {
        matches!(
            self,
            Step::UndoLoginProfile
                | Step::MarkFailed
                | Step::MarkExpired
                | Step::MarkComplete
                | Step::ReleaseLease
                | Step::PublishSummary
        )
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
