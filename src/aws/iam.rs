//! IAM calls made by the onboarding, offboarding and update workflows.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{StatusType, Tag};

use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, RateLimiter};

use super::{AwsError, retry_transient};
pub use crate::identity::ExistingUser;
use crate::identity::{OneTimePassword, PasswordPolicy};

/// The kinds of long-term credential a user can hold besides the console
/// password; each is listed and set `Inactive` the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// Access keys (`ListAccessKeys` / `UpdateAccessKey`).
    AccessKey,
    /// SSH public keys for CodeCommit (`ListSSHPublicKeys` / `UpdateSSHPublicKey`).
    SshPublicKey,
    /// X.509 signing certificates (`ListSigningCertificates` / `UpdateSigningCertificate`).
    SigningCertificate,
    /// Service-specific credentials: CodeCommit Git, Bedrock API keys, Keyspaces
    /// (`ListServiceSpecificCredentials` / `UpdateServiceSpecificCredential`).
    ServiceSpecificCredential,
}

impl CredentialKind {
    /// Every kind, in the order the offboarding deactivates them.
    pub const ALL: [CredentialKind; 4] = [
        CredentialKind::AccessKey,
        CredentialKind::SshPublicKey,
        CredentialKind::SigningCertificate,
        CredentialKind::ServiceSpecificCredential,
    ];

    /// The kind's name in logs and results (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::AccessKey => "access_key",
            CredentialKind::SshPublicKey => "ssh_public_key",
            CredentialKind::SigningCertificate => "signing_certificate",
            CredentialKind::ServiceSpecificCredential => "service_specific_credential",
        }
    }
}

/// One credential of a user: its kind, id and whether it is `Active`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// What it is.
    pub kind: CredentialKind,
    /// Its id (access key id, SSH key id, certificate id, credential id).
    pub id: String,
    /// Whether its status is `Active`.
    pub active: bool,
}

/// The IAM adapter. Every write call (create, set, attach, add, tag, untag,
/// detach, remove, update, delete) waits for its turn at the container's IAM
/// write rate when one is set ([`Iam::paced`]); throttles that still happen are
/// absorbed by the SDK's adaptive retry mode ([`super::sdk::iam_client`]).
#[derive(Clone)]
pub struct Iam {
    pub(super) client: Client,
    writes: Option<Arc<DefaultDirectRateLimiter>>,
}

impl std::fmt::Debug for Iam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iam")
            .field("paced", &self.writes.is_some())
            .finish_non_exhaustive()
    }
}

fn to_tags(tags: &[(String, String)]) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError {
                    code: "ConstructionFailure".into(),
                    message: e.to_string(),
                })
        })
        .collect()
}

impl Iam {
    /// Wraps an IAM client; writes are not paced.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            writes: None,
        }
    }

    /// The same adapter, pacing write calls to `per_second` (this container's
    /// share of `IAM_WRITE_RATE`, see [`crate::config::Config::iam_writes_per_second`]).
    pub fn paced(mut self, per_second: f64) -> Self {
        self.writes = Some(Arc::new(RateLimiter::direct(super::ses::quota(per_second))));
        self
    }

    /// Runs a write call with [`retry_transient`], each attempt after its turn.
    /// Boxed: the workflows hold many of these futures at once.
    pub(super) async fn write<T, F, Fut>(&self, mut call: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        Box::pin(retry_transient(|| {
            let attempt = call();
            async move {
                if let Some(writes) = &self.writes {
                    writes.until_ready().await;
                }
                attempt.await
            }
        }))
        .await
    }

    /// The account password policy; AWS's default when the account has none.
    pub async fn password_policy(&self) -> Result<PasswordPolicy, AwsError> {
        match self
            .client
            .get_account_password_policy()
            .send()
            .await
            .map_err(AwsError::from)
        {
            Ok(output) => {
                let p = output.password_policy();
                Ok(p.map_or(PasswordPolicy::AWS_DEFAULT, |p| PasswordPolicy {
                    minimum_length: p.minimum_password_length().map_or(8, |n| n.max(0) as usize),
                    require_uppercase: p.require_uppercase_characters(),
                    require_lowercase: p.require_lowercase_characters(),
                    require_numbers: p.require_numbers(),
                    require_symbols: p.require_symbols(),
                }))
            }
            Err(err) if err.is("NoSuchEntity") => Ok(PasswordPolicy::AWS_DEFAULT),
            Err(err) => Err(err),
        }
    }

    /// The account alias, if the account has one.
    pub async fn account_alias(&self) -> Result<Option<String>, AwsError> {
        let output = self.client.list_account_aliases().send().await?;
        Ok(output.account_aliases().first().cloned())
    }

    /// Creates a user; returns its ARN.
    pub async fn create_user(
        &self,
        name: &str,
        path: &str,
        tags: &[(String, String)],
        permissions_boundary: Option<&str>,
    ) -> Result<String, AwsError> {
        let tags = to_tags(tags)?;
        self.write(|| async {
            let output = self
                .client
                .create_user()
                .user_name(name)
                .path(path)
                .set_tags(Some(tags.clone()))
                .set_permissions_boundary(permissions_boundary.map(str::to_string))
                .send()
                .await?;
            Ok(output
                .user()
                .map(|u| u.arn().to_string())
                .unwrap_or_default())
        })
        .await
    }

    /// Looks a user up; `None` when there is no such user.
    pub async fn get_user(&self, name: &str) -> Result<Option<ExistingUser>, AwsError> {
        match self
            .client
            .get_user()
            .user_name(name)
            .send()
            .await
            .map_err(AwsError::from)
        {
            Ok(output) => Ok(output.user().map(|u| ExistingUser {
                arn: u.arn().to_string(),
                user_id: u.user_id().to_string(),
                created_at: u.create_date().secs(),
                path: u.path().to_string(),
                tags: u
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
                password_last_used: u.password_last_used().map(|d| d.secs()),
            })),
            Err(err) if err.is("NoSuchEntity") => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Gives the user a console password that must be changed at first sign-in.
    /// If the user already has one (a resumed onboarding), it is replaced, so the
    /// only valid password is the one about to be emailed.
    pub async fn set_one_time_password(
        &self,
        name: &str,
        password: &OneTimePassword,
    ) -> Result<(), AwsError> {
        let created = self
            .write(|| async {
                self.client
                    .create_login_profile()
                    .user_name(name)
                    .password(password.expose())
                    .password_reset_required(true)
                    .send()
                    .await?;
                Ok(())
            })
            .await;
        match created {
            Err(err) if err.is("EntityAlreadyExists") => {
                self.write(|| async {
                    self.client
                        .update_login_profile()
                        .user_name(name)
                        .password(password.expose())
                        .password_reset_required(true)
                        .send()
                        .await?;
                    Ok(())
                })
                .await
            }
            other => other,
        }
    }

    /// Removes the user's console password (undo after a failed delivery).
    /// Succeeds when there is none.
    pub async fn delete_login_profile(&self, name: &str) -> Result<(), AwsError> {
        let deleted = self
            .write(|| async {
                self.client
                    .delete_login_profile()
                    .user_name(name)
                    .send()
                    .await?;
                Ok(())
            })
            .await;
        match deleted {
            Err(err) if err.is("NoSuchEntity") => Ok(()),
            other => other,
        }
    }

    /// Attaches a managed policy to the user (idempotent in IAM).
    pub async fn attach_user_policy(&self, name: &str, policy_arn: &str) -> Result<(), AwsError> {
        self.write(|| async {
            self.client
                .attach_user_policy()
                .user_name(name)
                .policy_arn(policy_arn)
                .send()
                .await?;
            Ok(())
        })
        .await
    }

    /// Adds the user to a group (idempotent in IAM).
    pub async fn add_user_to_group(&self, name: &str, group: &str) -> Result<(), AwsError> {
        self.write(|| async {
            self.client
                .add_user_to_group()
                .user_name(name)
                .group_name(group)
                .send()
                .await?;
            Ok(())
        })
        .await
    }

    /// Sets tags on the user (existing keys are overwritten).
    pub async fn tag_user(&self, name: &str, tags: &[(String, String)]) -> Result<(), AwsError> {
        let tags = to_tags(tags)?;
        self.write(|| async {
            self.client
                .tag_user()
                .user_name(name)
                .set_tags(Some(tags.clone()))
                .send()
                .await?;
            Ok(())
        })
        .await
    }

    /// Removes tag keys from the user (keys it does not have are ignored by IAM).
    pub async fn untag_user(&self, name: &str, keys: &[String]) -> Result<(), AwsError> {
        self.write(|| async {
            self.client
                .untag_user()
                .user_name(name)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
                .await?;
            Ok(())
        })
        .await
    }

    /// Detaches a managed policy from the user. Succeeds when it is not attached.
    pub async fn detach_user_policy(&self, name: &str, policy_arn: &str) -> Result<(), AwsError> {
        let detached = self
            .write(|| async {
                self.client
                    .detach_user_policy()
                    .user_name(name)
                    .policy_arn(policy_arn)
                    .send()
                    .await?;
                Ok(())
            })
            .await;
        match detached {
            Err(err) if err.is("NoSuchEntity") => Ok(()),
            other => other,
        }
    }

    /// The names of the groups the user is in. One page: IAM allows 10 groups per
    /// user, the page holds 100.
    pub async fn list_groups_for_user(&self, name: &str) -> Result<Vec<String>, AwsError> {
        let groups = self.groups_of_user(name).await?;
        Ok(groups.into_iter().map(|g| g.name).collect())
    }

    /// Removes the user from a group. Succeeds when it is not a member.
    pub async fn remove_user_from_group(&self, name: &str, group: &str) -> Result<(), AwsError> {
        let removed = self
            .write(|| async {
                self.client
                    .remove_user_from_group()
                    .user_name(name)
                    .group_name(group)
                    .send()
                    .await?;
                Ok(())
            })
            .await;
        match removed {
            Err(err) if err.is("NoSuchEntity") => Ok(()),
            other => other,
        }
    }

    /// The user's credentials of one kind. One page each: IAM's quotas (2 access
    /// keys, 5 SSH keys, 2 certificates, 2 service credentials per service) are far
    /// below the page size of 100.
    pub async fn list_credentials(
        &self,
        name: &str,
        kind: CredentialKind,
    ) -> Result<Vec<Credential>, AwsError> {
        let active = |status: Option<&StatusType>| status == Some(&StatusType::Active);
        let credential = |id: &str, is_active: bool| Credential {
            kind,
            id: id.to_string(),
            active: is_active,
        };
        Ok(match kind {
            CredentialKind::AccessKey => self
                .client
                .list_access_keys()
                .user_name(name)
                .send()
                .await?
                .access_key_metadata()
                .iter()
                .map(|k| credential(k.access_key_id().unwrap_or_default(), active(k.status())))
                .collect(),
            CredentialKind::SshPublicKey => self
                .client
                .list_ssh_public_keys()
                .user_name(name)
                .send()
                .await?
                .ssh_public_keys()
                .iter()
                .map(|k| credential(k.ssh_public_key_id(), active(Some(k.status()))))
                .collect(),
            CredentialKind::SigningCertificate => self
                .client
                .list_signing_certificates()
                .user_name(name)
                .send()
                .await?
                .certificates()
                .iter()
                .map(|c| credential(c.certificate_id(), active(Some(c.status()))))
                .collect(),
            CredentialKind::ServiceSpecificCredential => self
                .client
                .list_service_specific_credentials()
                .user_name(name)
                .send()
                .await?
                .service_specific_credentials()
                .iter()
                .map(|c| credential(c.service_specific_credential_id(), active(Some(c.status()))))
                .collect(),
        })
    }

    /// Sets one credential of the user `Inactive` (it is kept for audit).
    pub async fn deactivate_credential(
        &self,
        name: &str,
        credential: &Credential,
    ) -> Result<(), AwsError> {
        let id = credential.id.as_str();
        self.write(|| async {
            match credential.kind {
                CredentialKind::AccessKey => {
                    self.client
                        .update_access_key()
                        .user_name(name)
                        .access_key_id(id)
                        .status(StatusType::Inactive)
                        .send()
                        .await?;
                }
                CredentialKind::SshPublicKey => {
                    self.client
                        .update_ssh_public_key()
                        .user_name(name)
                        .ssh_public_key_id(id)
                        .status(StatusType::Inactive)
                        .send()
                        .await?;
                }
                CredentialKind::SigningCertificate => {
                    self.client
                        .update_signing_certificate()
                        .user_name(name)
                        .certificate_id(id)
                        .status(StatusType::Inactive)
                        .send()
                        .await?;
                }
                CredentialKind::ServiceSpecificCredential => {
                    self.client
                        .update_service_specific_credential()
                        .user_name(name)
                        .service_specific_credential_id(id)
                        .status(StatusType::Inactive)
                        .send()
                        .await?;
                }
            }
            Ok(())
        })
        .await
    }
}
