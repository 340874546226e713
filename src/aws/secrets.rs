//! Secrets Manager: reading the webhook signing secret.

use aws_sdk_secretsmanager::Client;

use super::AwsError;
use crate::identity::SigningKey;

/// The Secrets Manager adapter.
#[derive(Debug, Clone)]
pub struct Secrets {
    client: Client,
}

impl Secrets {
    /// Wraps a Secrets Manager client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The secret's string value at `stage` (`AWSCURRENT`, `AWSPREVIOUS`);
    /// `None` when the secret has no version at that stage.
    pub async fn signing_key(
        &self,
        secret_arn: &str,
        stage: &str,
    ) -> Result<Option<SigningKey>, AwsError> {
        let result = self
            .client
            .get_secret_value()
            .secret_id(secret_arn)
            .version_stage(stage)
            .send()
            .await;
        match result.map_err(AwsError::from) {
            Ok(output) => Ok(output.secret_string().map(SigningKey::new)),
            Err(err) if err.is("ResourceNotFoundException") && stage != "AWSCURRENT" => Ok(None),
            Err(err) => Err(err),
        }
    }
}
