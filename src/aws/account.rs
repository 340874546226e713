//! What the account tells once per container: the password policy new passwords
//! must satisfy and the console sign-in URL.

use super::AwsError;
use super::iam::Iam;
use crate::identity::{AccountContext, PasswordPolicy, Step};

/// What the account tells us once per container.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// The account's password policy (AWS's default when it has none).
    pub password_policy: PasswordPolicy,
    /// `https://<alias or account id>.signin.aws.amazon.com/console` (or `SIGNIN_URL`).
    pub signin_url: String,
}

impl AccountSettings {
    /// Reads the password policy and, unless `signin_url` is configured, the
    /// account alias (IAM User Guide, "How IAM users sign in to AWS").
    ///
    /// Errors: the IAM error, or `UnknownAccount` when neither an alias nor an
    /// account id is known.
    pub async fn read(
        iam: &Iam,
        signin_url: Option<&str>,
        account: &AccountContext,
    ) -> Result<Self, AwsError> {
        let signin_url = async {
            if let Some(url) = signin_url {
                return Ok(url.to_string());
            }
            let alias = iam.account_alias().await?;
            let name = alias.or_else(|| account.account_id.clone()).ok_or_else(|| AwsError {
                code: "UnknownAccount".into(),
                message: "the account has no alias and the invoked function ARN holds no account id; set SIGNIN_URL".into(),
            })?;
            Ok(format!(
                "https://{name}.{}/console",
                account.signin_domain()
            ))
        };
        let (password_policy, signin_url) = futures::try_join!(
            Step::ReadPasswordPolicy.run(iam.password_policy()),
            signin_url
        )?;
        Ok(Self {
            password_policy,
            signin_url,
        })
    }
}
