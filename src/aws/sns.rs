//! SNS Publish: the sweep's summary to the operator's topic.

use aws_sdk_sns::Client;

use super::AwsError;

/// The SNS adapter.
#[derive(Debug, Clone)]
pub struct Sns {
    client: Client,
}

impl Sns {
    /// Wraps an SNS client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Publishes `message` with `subject` (at most 100 ASCII characters; cut
    /// here) to `topic_arn`; returns the message id.
    pub async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<String, AwsError> {
        let subject: String = subject
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .take(100)
            .collect();
        let output = self
            .client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await?;
        Ok(output.message_id().unwrap_or_default().to_string())
    }
}
