//! DynamoDB: the idempotency table (`IDEMPOTENCY_TABLE`, partition key `id`
//! string, TTL attribute `expiresAt`). Every write is conditional, which is
//! what makes the table a lock across containers (IAM has no conditional
//! writes). Items hold only `id`, `owner` (an attempt id), `expiresAt` (unix
//! seconds) and an optional `outcome` string chosen by the caller.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::AwsError;

/// Partition key attribute.
const ID: &str = "id";
/// Attempt id of the holder.
const OWNER: &str = "owner";
/// Expiry in unix seconds; also the table's TTL attribute.
const EXPIRES_AT: &str = "expiresAt";
/// What the holder recorded when it finished.
const OUTCOME: &str = "outcome";
/// DynamoDB's answer when a condition expression is false.
pub(super) const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// One item of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The attempt id that wrote it.
    pub owner: String,
    /// Unix seconds after which it no longer counts.
    pub expires_at: i64,
    /// The recorded outcome, once its holder finished.
    pub outcome: Option<String>,
}

/// The DynamoDB adapter for one table.
#[derive(Debug, Clone)]
pub struct Dynamo {
    pub(super) client: Client,
    pub(super) table: String,
}

pub(super) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

pub(super) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Dynamo {
    /// Wraps a DynamoDB client for `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes `{id, owner, expiresAt}` unless the item exists, has not expired at
    /// `now` (unix seconds) and belongs to another owner. `Ok(false)`: someone
    /// else holds it. Writing again as the same owner renews it.
    pub async fn put_unless_held(
        &self,
        id: &str,
        owner: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, AwsError> {
        let put = self
            .put(id, owner, expires_at)
            .condition_expression(
                "attribute_not_exists(#id) OR #expiresAt < :now OR #owner = :owner",
            )
            .expression_attribute_names("#id", ID)
            .expression_attribute_names("#expiresAt", EXPIRES_AT)
            .expression_attribute_values(":now", n(now));
        held(put.send().await)
    }

    /// Replaces the item with `{id, owner, expiresAt, outcome}` if `owner` still
    /// holds it. `Ok(false)`: it does not (expired and taken over).
    pub async fn put_outcome(
        &self,
        id: &str,
        owner: &str,
        expires_at: i64,
        outcome: &str,
    ) -> Result<bool, AwsError> {
        let put = self
            .put(id, owner, expires_at)
            .item(OUTCOME, s(outcome))
            .condition_expression("#owner = :owner");
        held(put.send().await)
    }

    /// A PutItem of `{id, owner, expiresAt}` with `#owner`/`:owner` defined.
    fn put(
        &self,
        id: &str,
        owner: &str,
        expires_at: i64,
    ) -> aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(ID, s(id))
            .item(OWNER, s(owner))
            .item(EXPIRES_AT, n(expires_at))
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(":owner", s(owner))
    }

    /// The item `id` (strongly consistent read); `None` when absent.
    pub async fn get(&self, id: &str) -> Result<Option<Record>, AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(ID, s(id))
            .consistent_read(true)
            .send()
            .await?;
        Ok(output.item().map(record))
    }

    /// Deletes the item if `owner` holds it. `Ok(false)`: it does not.
    pub async fn delete_if_owner(&self, id: &str, owner: &str) -> Result<bool, AwsError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(ID, s(id))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        held(result)
    }
}

/// `Ok(true)` when a conditional write happened, `Ok(false)` when its condition was false.
fn held<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, AwsError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    match result.map_err(AwsError::from) {
        Ok(_) => Ok(true),
        Err(err) if err.is(CONDITION_FAILED) => Ok(false),
        Err(err) => Err(err),
    }
}

fn record(item: &HashMap<String, AttributeValue>) -> Record {
    let text = |key: &str| item.get(key).and_then(|v| v.as_s().ok()).cloned();
    Record {
        owner: text(OWNER).unwrap_or_default(),
        expires_at: item
            .get(EXPIRES_AT)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        outcome: text(OUTCOME),
    }
}
