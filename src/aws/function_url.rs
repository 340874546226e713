//! The function's own Function URL, read once with `lambda:GetFunctionUrlConfig`
//! (the stack cannot pass it in: a function whose environment references its own
//! `FunctionUrl` is a circular dependency in CloudFormation).

use aws_sdk_lambda::Client;

use super::AwsError;

/// Reads the Function URL of one function.
#[derive(Debug, Clone)]
pub struct FunctionUrl {
    client: Client,
    function: String,
}

impl FunctionUrl {
    /// The adapter for `function` (a name or ARN; `AWS_LAMBDA_FUNCTION_NAME` in Lambda).
    pub fn new(client: Client, function: impl Into<String>) -> Self {
        Self {
            client,
            function: function.into(),
        }
    }

    /// The function's URL without its trailing `/`, e.g.
    /// `https://abc123.lambda-url.eu-west-1.on.aws`.
    pub async fn read(&self) -> Result<String, AwsError> {
        let output = self
            .client
            .get_function_url_config()
            .function_name(&self.function)
            .send()
            .await?;
        Ok(output.function_url.trim_end_matches('/').to_string())
    }
}
