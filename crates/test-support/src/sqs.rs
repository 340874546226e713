//! A local stand-in for Lambda's SQS event source mapping (AWS Lambda Developer
//! Guide, "Using Lambda with Amazon SQS"): receive up to 10 messages, hand them
//! to the function as one SQS-shaped event, delete what it did not report in
//! `batchItemFailures`, and leave the rest to become visible again after the
//! queue's visibility timeout (moto then moves a message past its redrive
//! policy's `maxReceiveCount` to the dead-letter queue, as SQS does).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use serde_json::{Value, json};

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Poll {
    /// Messages received and handed over.
    pub received: usize,
    /// Messages deleted (the function finished them).
    pub deleted: usize,
    /// Messages reported as failures (they come back).
    pub failed: usize,
}

/// The event source mapping of one queue.
pub struct SqsPoller {
    client: Client,
    queue_url: String,
    queue_arn: String,
}

impl SqsPoller {
    /// A poller of `queue_url` (whose ARN the records name).
    pub async fn new(client: Client, queue_url: &str) -> Self {
        let attributes = client
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("GetQueueAttributes");
        let queue_arn = attributes
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        Self {
            client,
            queue_url: queue_url.to_string(),
            queue_arn,
        }
    }

    /// Receives up to 10 messages and, if any, invokes `function` with their
    /// SQS event, then deletes the ones not in its `batchItemFailures`.
    pub async fn poll(&self, function: impl FnOnce(Value) -> Value) -> Poll {
        let received = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("ReceiveMessage");
        let messages = received.messages();
        if messages.is_empty() {
            return Poll::default();
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .map(|a| {
                        a.iter()
                            .map(|(k, v)| (k.as_str().to_string(), json!(v)))
                            .collect()
                    })
                    .unwrap_or_default();
                json!({
                    "messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
                    "body": m.body(), "attributes": attributes, "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(), "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn, "awsRegion": "us-east-1"
                })
            })
            .collect();
        let answer = function(json!({"Records": records}));
        let failed: Vec<String> = answer["batchItemFailures"]
            .as_array()
            .unwrap_or_else(|| panic!("not a partial batch response: {answer}"))
            .iter()
            .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
            .collect();
        let done: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .filter(|m| !failed.iter().any(|f| Some(f.as_str()) == m.message_id()))
            .enumerate()
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
                    .expect("an entry")
            })
            .collect();
        let deleted = done.len();
        if !done.is_empty() {
            self.client
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(done))
                .send()
                .await
                .expect("DeleteMessageBatch");
        }
        Poll {
            received: messages.len(),
            deleted,
            failed: failed.len(),
        }
    }
}
