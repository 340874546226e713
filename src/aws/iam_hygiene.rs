//! IAM calls of the credential sweep: the credential report, the listings a
//! user's deletion needs, and the deletions themselves. Deletions succeed when
//! the thing is already gone, so an interrupted deletion converges on retry.

use std::time::Duration;

use aws_sdk_iam::types::{ReportStateType, StatusType};

use super::AwsError;
use super::iam::{Credential, CredentialKind, Iam};

/// Polls of GenerateCredentialReport before giving up.
const REPORT_POLLS: u32 = 15;
/// Wait between two polls.
const REPORT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// An access key as ListAccessKeys returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The key id (`AKIA…`).
    pub id: String,
    /// Whether it is active.
    pub active: bool,
    /// When it was created (unix seconds).
    pub created_at: i64,
}

/// Everything that must go before IAM lets a user be deleted (IAM User Guide,
/// "Deleting an IAM user"; the AWSConfigRemediation-DeleteIAMUser runbook).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAttachments {
    /// Access keys, SSH keys, signing certificates, service-specific credentials.
    pub credentials: Vec<Credential>,
    /// MFA device serial numbers (virtual ones are ARNs `arn:…:mfa/…`).
    pub mfa_devices: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// Attached managed policy ARNs.
    pub attached_policies: Vec<String>,
    /// Inline policy names.
    pub inline_policies: Vec<String>,
}

impl Iam {
    /// Runs a removal as a paced write ([`Iam::write`]); a thing already gone
    /// (`NoSuchEntity`) counts as removed.
    async fn removal<F, Fut>(&self, call: F) -> Result<(), AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), AwsError>>,
    {
        match self.write(call).await {
            Err(err) if err.is("NoSuchEntity") => Ok(()),
            other => other,
        }
    }
}

/// Every item of a paginated listing, mapped with `$map`; a failed page is an error.
macro_rules! every_item {
    ($call:expr, $map:expr) => {
        async {
            let items: Vec<_> = $call
                .into_paginator()
                .items()
                .send()
                .collect::<Result<_, _>>()
                .await?;
            Ok::<Vec<String>, AwsError>(items.iter().map($map).collect())
        }
    };
}

impl Iam {
    /// The account's credential report (CSV bytes): GenerateCredentialReport
    /// until it is `COMPLETE`, then GetCredentialReport.
    ///
    /// Errors: the IAM error, or `ReportNotReady` after 15 polls 2 s apart.
    pub async fn credential_report(&self) -> Result<Vec<u8>, AwsError> {
        let mut polls = 0;
        loop {
            let state = self.client.generate_credential_report().send().await?;
            if state.state() == Some(&ReportStateType::Complete) {
                break;
            }
            polls += 1;
            if polls >= REPORT_POLLS {
                return Err(AwsError {
                    code: "ReportNotReady".into(),
                    message: format!("the credential report was not ready after {polls} polls"),
                });
            }
            tokio::time::sleep(REPORT_POLL_INTERVAL).await;
        }
        let report = self.client.get_credential_report().send().await?;
        report
            .content()
            .map(|blob| blob.as_ref().to_vec())
            .ok_or_else(|| AwsError {
                code: "EmptyReport".into(),
                message: "GetCredentialReport returned no content".into(),
            })
    }

    /// The user's access keys (every page).
    pub async fn access_keys(&self, name: &str) -> Result<Vec<AccessKey>, AwsError> {
        let keys: Vec<_> = self
            .client
            .list_access_keys()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await?;
        Ok(keys
            .iter()
            .map(|k| AccessKey {
                id: k.access_key_id().unwrap_or_default().to_string(),
                active: k.status() == Some(&StatusType::Active),
                created_at: k.create_date().map_or(0, |d| d.secs()),
            })
            .collect())
    }

    /// When the key was last used (unix seconds); `None` when never.
    pub async fn access_key_last_used(&self, key_id: &str) -> Result<Option<i64>, AwsError> {
        let output = self
            .client
            .get_access_key_last_used()
            .access_key_id(key_id)
            .send()
            .await?;
        Ok(output
            .access_key_last_used()
            .and_then(|u| u.last_used_date())
            .map(|d| d.secs()))
    }

    /// When the user's console password was set (the login profile's `CreateDate`,
    /// unix seconds); `None` when the user has none.
    pub async fn login_profile_created(&self, name: &str) -> Result<Option<i64>, AwsError> {
        match self.client.get_login_profile().user_name(name).send().await {
            Ok(output) => Ok(output.login_profile().map(|p| p.create_date().secs())),
            Err(err) => match AwsError::from(err) {
                err if err.is("NoSuchEntity") => Ok(None),
                err => Err(err),
            },
        }
    }

    /// Whether the user has an MFA device enabled (`ListMFADevices` lists only
    /// assigned devices; one is enough, so the first page answers).
    pub async fn has_mfa_device(&self, name: &str) -> Result<bool, AwsError> {
        let output = self
            .client
            .list_mfa_devices()
            .user_name(name)
            .max_items(1)
            .send()
            .await?;
        Ok(!output.mfa_devices().is_empty())
    }

    /// Reads every list a deletion of the user needs. Any failed or truncated
    /// listing is an error, so nothing is deleted on a partial picture.
    pub async fn user_attachments(&self, name: &str) -> Result<UserAttachments, AwsError> {
        let c = &self.client;
        let credentials = async {
            let lists = futures::future::try_join_all(
                CredentialKind::ALL.map(|kind| self.list_credentials(name, kind)),
            )
            .await?;
            Ok::<_, AwsError>(lists.into_iter().flatten().collect())
        };
        let mfa = every_item!(c.list_mfa_devices().user_name(name), |x| x
            .serial_number()
            .to_string());
        let attached = every_item!(c.list_attached_user_policies().user_name(name), |x| x
            .policy_arn()
            .unwrap_or_default()
            .to_string());
        let inline = every_item!(c.list_user_policies().user_name(name), |x: &String| x
            .clone());
        let (credentials, mfa_devices, groups, attached_policies, inline_policies) = futures::try_join!(
            credentials,
            mfa,
            self.list_groups_for_user(name),
            attached,
            inline
        )?;
        Ok(UserAttachments {
            credentials,
            mfa_devices,
            groups,
            attached_policies,
            inline_policies,
        })
    }

    /// Deletes one credential of the user (access key, SSH key, signing
    /// certificate or service-specific credential).
    pub async fn delete_credential(
        &self,
        name: &str,
        credential: &Credential,
    ) -> Result<(), AwsError> {
        let id = credential.id.as_str();
        self.removal(|| async {
            let c = &self.client;
            match credential.kind {
                CredentialKind::AccessKey => {
                    c.delete_access_key()
                        .user_name(name)
                        .access_key_id(id)
                        .send()
                        .await?;
                }
                CredentialKind::SshPublicKey => {
                    c.delete_ssh_public_key()
                        .user_name(name)
                        .ssh_public_key_id(id)
                        .send()
                        .await?;
                }
                CredentialKind::SigningCertificate => {
                    c.delete_signing_certificate()
                        .user_name(name)
                        .certificate_id(id)
                        .send()
                        .await?;
                }
                CredentialKind::ServiceSpecificCredential => {
                    c.delete_service_specific_credential()
                        .user_name(name)
                        .service_specific_credential_id(id)
                        .send()
                        .await?;
                }
            }
            Ok(())
        })
        .await
    }

    /// DeactivateMFADevice, then DeleteVirtualMFADevice for a virtual device
    /// (serial number `arn:…:mfa/…`; hardware devices have plain serials).
    pub async fn remove_mfa_device(&self, name: &str, serial: &str) -> Result<(), AwsError> {
        self.removal(|| async {
            let call = self.client.deactivate_mfa_device().user_name(name);
            call.serial_number(serial).send().await?;
            Ok(())
        })
        .await?;
        if serial.starts_with("arn:") {
            self.removal(|| async {
                let call = self.client.delete_virtual_mfa_device();
                call.serial_number(serial).send().await?;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    /// DeleteUserPolicy (an inline policy).
    pub async fn delete_user_policy(&self, name: &str, policy: &str) -> Result<(), AwsError> {
        self.removal(|| async {
            let call = self.client.delete_user_policy().user_name(name);
            call.policy_name(policy).send().await?;
            Ok(())
        })
        .await
    }

    /// DeleteUser; succeeds when the user is already gone.
    pub async fn delete_user(&self, name: &str) -> Result<(), AwsError> {
        self.removal(|| async {
            self.client.delete_user().user_name(name).send().await?;
            Ok(())
        })
        .await
    }
}
