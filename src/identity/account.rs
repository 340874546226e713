//! The account and partition the function runs in, from its invoked ARN.

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
