//! The account the function runs in and what it tells once per container: the
//! password policy new passwords must satisfy and the console sign-in URL.

use super::Step;
use crate::aws::AwsError;
use crate::aws::iam::Iam;
use crate::onboarding::password::PasswordPolicy;

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

/// Which AWS account and partition this function runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountContext {
    /// The AWS partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// The 12-digit account id, when the invoked function's ARN holds one
    /// (local emulators such as `cargo lambda watch` send a placeholder).
    pub account_id: Option<String>,
    /// The invoked function's ARN as the runtime gives it (the target of
    /// scheduled offboardings).
    pub function_arn: String,
}

impl AccountContext {
    /// Reads partition and account id from the invoked function's ARN.
    pub fn from_function_arn(arn: &str) -> Self {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() >= 6
            && parts[0] == "arn"
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
        {
            Self {
                partition: parts[1].to_string(),
                account_id: Some(parts[4].to_string()),
                function_arn: arn.to_string(),
            }
        } else {
            Self {
                partition: "aws".to_string(),
                account_id: None,
                function_arn: arn.to_string(),
            }
        }
    }

    /// The ARN of the AWS managed policy `AWSDenyAll` in this partition.
    pub fn deny_all_policy_arn(&self) -> String {
        format!("arn:{}:iam::aws:policy/AWSDenyAll", self.partition)
    }

    /// The console sign-in domain of the partition.
    pub fn signin_domain(&self) -> &'static str {
        match self.partition.as_str() {
            "aws-cn" => "signin.amazonaws.cn",
            "aws-us-gov" => "signin.amazonaws-us-gov.com",
            _ => "signin.aws.amazon.com",
        }
    }
}
