//! IAM calls made by the onboarding workflow.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::Tag;

use super::{AwsError, retry_transient};
use crate::onboarding::password::{OneTimePassword, PasswordPolicy};

/// A user that already exists, as far as onboarding cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingUser {
    /// The user's ARN.
    pub arn: String,
    /// The user's tags, as key–value pairs.
    pub tags: Vec<(String, String)>,
}

impl ExistingUser {
    /// The value of tag `key` (tag keys are case-insensitive on IAM users).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// The IAM adapter.
#[derive(Debug, Clone)]
pub struct Iam {
    client: Client,
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
    /// Wraps an IAM client.
    pub fn new(client: Client) -> Self {
        Self { client }
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
        retry_transient(|| async {
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
                tags: u
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
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
        let created = retry_transient(|| async {
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
                retry_transient(|| async {
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
        let deleted = retry_transient(|| async {
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
        retry_transient(|| async {
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
        retry_transient(|| async {
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
        retry_transient(|| async {
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
}
