//! SES (v1) SendEmail.

use aws_sdk_ses::Client;
use aws_sdk_ses::types::{Body, Content, Destination, Message};

use super::AwsError;
use crate::onboarding::welcome_email::RenderedEmail;

/// The SES adapter.
#[derive(Debug, Clone)]
pub struct Ses {
    client: Client,
}

fn utf8(data: &str) -> Result<Content, AwsError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| AwsError {
            code: "ConstructionFailure".into(),
            message: e.to_string(),
        })
}

impl Ses {
    /// Wraps an SES client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Sends `email` (text and HTML parts, UTF-8) from `sender` to `recipient`;
    /// returns the SES message id.
    pub async fn send(
        &self,
        sender: &str,
        recipient: &str,
        email: &RenderedEmail,
        configuration_set: Option<&str>,
    ) -> Result<String, AwsError> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&email.text)?)
                    .html(utf8(&email.html)?)
                    .build(),
            )
            .build();
        let output = self
            .client
            .send_email()
            .source(sender)
            .destination(Destination::builder().to_addresses(recipient).build())
            .message(message)
            .set_configuration_set_name(configuration_set.map(str::to_string))
            .send()
            .await?;
        Ok(output.message_id().to_string())
    }
}
