//! De-duplication of Standard Webhooks deliveries on `webhook-id` (the spec's
//! idempotency key, identical across the sender's retries of one delivery), in
//! the idempotency table (`IDEMPOTENCY_TABLE`, shared with [`crate::lease`]).
//!
//! The item is `delivery#<hex SHA-256 of the id and the raw body>` (a retry
//! repeats both; an id reused for another body is another delivery, never
//! answered with the first one's outcome). The first delivery claims it
//! with a conditional `PutItem` that, like a lease, expires after
//! [`LEASE_SECONDS`] (so a delivery whose run died is processed again); when the
//! run ends the claim is replaced by its [`Outcome`] (HTTP status, each
//! employee's status, the first request id: never a name, address or password),
//! kept [`DELIVERY_TTL_SECONDS`]. A repeat is answered with that outcome without
//! processing; a repeat while the first still runs gets a retryable 409. A run
//! with a failed (or busy) employee, or in which every employee was `not_found`
//! or a `conflict` (nothing done; a termination may overtake the hire), keeps no
//! outcome and releases the claim, so the sender's retry runs again and
//! converges. Without `IDEMPOTENCY_TABLE` nothing is de-duplicated (a local run;
//! the start-up log says so).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aws::AwsError;
use crate::aws::dynamodb::Dynamo;
use crate::identity::ownership::unix_now;
use crate::identity::{EmployeeResult, Status};
use crate::lease::LEASE_SECONDS;

/// How long a delivery's outcome is kept, in seconds: 7 days, longer than
/// Standard Webhooks senders' retry schedules (hours to a few days).
pub const DELIVERY_TTL_SECONDS: i64 = 7 * 24 * 3600;

/// What a finished delivery answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The HTTP status.
    pub status: u16,
    /// Each employee's result status (`created`, …), in request order.
    pub results: Vec<String>,
    /// The Lambda request id of the delivery that ran, for the operator's logs.
    pub request_id: String,
}

impl Outcome {
    /// The outcome of a delivery answered `status` with `results`, to keep for its
    /// repeats, when it is final: no employee failed (or was busy) or was not
    /// started, which must run again; and not every employee `not_found` or a
    /// `conflict`: senders do not keep events in order, so a retry may find the
    /// person once the hire is in.
    pub fn if_final(status: u16, results: &[EmployeeResult], request_id: &str) -> Option<Self> {
        let nothing_done = results
            .iter()
            .all(|r| matches!(r.status, Status::NotFound | Status::Conflict));
        let finished = results
            .iter()
            .all(|r| !matches!(r.status, Status::Failed | Status::NotStarted));
        (!nothing_done && finished).then(|| Self {
            status,
            results: results
                .iter()
                .map(|r| r.status.as_str().to_string())
                .collect(),
            request_id: request_id.to_string(),
        })
    }
}

/// What a delivery id means right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First delivery (or de-duplication is off): process it.
    First,
    /// Answered before: answer the same without processing.
    Repeat(Outcome),
    /// Another invocation is processing this delivery right now.
    Running,
}

/// The delivery records of a container.
#[derive(Debug, Clone)]
pub struct Deliveries {
    store: Option<Dynamo>,
}

impl Deliveries {
    /// Records in `store`; `None` turns de-duplication off.
    pub fn new(store: Option<Dynamo>) -> Self {
        Self { store }
    }

    /// Claims delivery `id` of raw `body` for `attempt` (the Lambda request id).
    /// Errors: the table's.
    pub async fn claim(&self, id: &str, body: &[u8], attempt: &str) -> Result<Claim, AwsError> {
        let Some(store) = &self.store else {
            return Ok(Claim::First);
        };
        let key = delivery_key(id, body);
        let now = unix_now();
        if store
            .put_unless_held(&key, attempt, now + LEASE_SECONDS, now)
            .await?
        {
            return Ok(Claim::First);
        }
        // Held: by a finished delivery (its outcome), or one still running. An
        // item gone in between (a failed run released it) is retried by the sender.
        let outcome = store.get(&key).await?.and_then(|record| record.outcome);
        Ok(
            match outcome.and_then(|text| serde_json::from_str(&text).ok()) {
                Some(outcome) => Claim::Repeat(outcome),
                None => Claim::Running,
            },
        )
    }

    /// Ends `attempt`'s claim of `id` (of raw `body`): keeps a final `outcome` for repeats, or
    /// with `None` (an employee failed or was busy) releases the claim so the
    /// sender's retry runs again. Errors: the table's (the claim then expires).
    pub async fn finish(
        &self,
        id: &str,
        body: &[u8],
        attempt: &str,
        outcome: Option<&Outcome>,
    ) -> Result<(), AwsError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let key = delivery_key(id, body);
        let kept = match outcome {
            Some(outcome) => {
                let text = serde_json::to_string(outcome).expect("an outcome serialises");
                let expires = unix_now() + DELIVERY_TTL_SECONDS;
                store.put_outcome(&key, attempt, expires, &text).await?
            }
            None => store.delete_if_owner(&key, attempt).await?,
        };
        if !kept {
            tracing::warn!("the delivery's claim had expired and was taken over");
        }
        Ok(())
    }
}

/// The table key of delivery `id` with raw `body`: `delivery#` + hex SHA-256 of
/// the id, a newline (which a valid id never holds) and the body.
pub fn delivery_key(id: &str, body: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(id.as_bytes())
        .chain_update(b"\n")
        .chain_update(body)
        .finalize();
    format!("delivery#{}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    use super::*;

    const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    const BODY: &[u8] = br#"{"type":"employee.hired","data":{"email":"jane@example.com"}}"#;

    fn deliveries(rules: &[&Rule]) -> Deliveries {
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules);
        Deliveries::new(Some(Dynamo::new(client, "idempotency")))
    }

    fn outcome() -> Outcome {
        Outcome {
            status: 201,
            results: vec!["created".into()],
            request_id: "req-1".into(),
        }
    }

    /// The claim: key `delivery#<sha256>`, owner the attempt, expiring like a lease.
    fn claim_put(
        attempt: &'static str,
    ) -> aws_smithy_mocks::RuleBuilder<
        aws_sdk_dynamodb::operation::put_item::PutItemInput,
        PutItemOutput,
        PutItemError,
    > {
        mock!(Client::put_item).match_requests(move |req| {
            let item = req.item().unwrap();
            let expires: i64 = item["expiresAt"].as_n().unwrap().parse().unwrap();
            item["id"] == AttributeValue::S(delivery_key(ID, BODY))
                && item["owner"] == AttributeValue::S(attempt.into())
                && !item.contains_key("outcome")
                && (expires - unix_now() - LEASE_SECONDS).abs() < 5
                && req.condition_expression()
                    == Some("attribute_not_exists(#id) OR #expiresAt < :now OR #owner = :owner")
        })
    }

    fn held() -> PutItemError {
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("The conditional request failed")
                .meta(
                    aws_sdk_dynamodb::error::ErrorMetadata::builder()
                        .code("ConditionalCheckFailedException")
                        .build(),
                )
                .build(),
        )
    }

    fn get(outcome: Option<String>) -> Rule {
        mock!(Client::get_item)
            .match_requests(|req| {
                req.key().unwrap()["id"] == AttributeValue::S(delivery_key(ID, BODY))
                    && req.consistent_read() == Some(true)
            })
            .then_output(move || {
                let mut item = std::collections::HashMap::from([
                    ("id".to_string(), AttributeValue::S(delivery_key(ID, BODY))),
                    ("owner".to_string(), AttributeValue::S("req-1".into())),
                    (
                        "expiresAt".to_string(),
                        AttributeValue::N("9999999999".into()),
                    ),
                ]);
                if let Some(text) = &outcome {
                    item.insert("outcome".into(), AttributeValue::S(text.clone()));
                }
                GetItemOutput::builder().set_item(Some(item)).build()
            })
    }

    #[test]
    fn the_key_holds_no_id_in_clear_and_outcomes_no_personal_data() {
        let key = delivery_key(ID, BODY);
        assert!(key.starts_with("delivery#") && key.len() == 9 + 64);
        assert!(!key.contains("msg_"));
        assert_ne!(delivery_key(ID, BODY), delivery_key("msg_other", BODY));
        // An id reused for another body is another delivery.
        assert_ne!(delivery_key(ID, BODY), delivery_key(ID, b"{}"));
        // The separator keeps id and body apart (a valid id holds no newline).
        assert_ne!(delivery_key("a", b"bc"), delivery_key("ab", b"c"));
        assert_eq!(
            serde_json::to_string(&outcome()).unwrap(),
            r#"{"status":201,"results":["created"],"requestId":"req-1"}"#
        );
    }

    #[tokio::test]
    async fn a_first_delivery_claims_then_keeps_its_outcome_for_a_week() {
        let claim = claim_put("req-1").then_output(|| PutItemOutput::builder().build());
        let keep = mock!(Client::put_item)
            .match_requests(|req| {
                let item = req.item().unwrap();
                let expires: i64 = item["expiresAt"].as_n().unwrap().parse().unwrap();
                item["id"] == AttributeValue::S(delivery_key(ID, BODY))
                    && item["owner"] == AttributeValue::S("req-1".into())
                    && item["outcome"]
                        == AttributeValue::S(serde_json::to_string(&outcome()).unwrap())
                    && (expires - unix_now() - DELIVERY_TTL_SECONDS).abs() < 5
                    && req.condition_expression() == Some("#owner = :owner")
            })
            .then_output(|| PutItemOutput::builder().build());
        let deliveries = deliveries(&[&claim, &keep]);
        assert_eq!(deliveries.claim(ID, BODY, "req-1").await, Ok(Claim::First));
        deliveries
            .finish(ID, BODY, "req-1", Some(&outcome()))
            .await
            .unwrap();
        assert_eq!((claim.num_calls(), keep.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_replayed_id_gets_the_first_outcome_and_one_still_running_is_running() {
        let text = serde_json::to_string(&outcome()).unwrap();
        let (claim, done) = (claim_put("req-2").then_error(held), get(Some(text)));
        let deliveries_done = deliveries(&[&claim, &done]);
        assert_eq!(
            deliveries_done.claim(ID, BODY, "req-2").await,
            Ok(Claim::Repeat(outcome()))
        );
        let (claim, running) = (claim_put("req-3").then_error(held), get(None));
        let deliveries_running = deliveries(&[&claim, &running]);
        assert_eq!(
            deliveries_running.claim(ID, BODY, "req-3").await,
            Ok(Claim::Running)
        );
        // Released in between (the first run failed): retryable, not processed here.
        let (claim, gone) = (
            claim_put("req-4").then_error(held),
            mock!(Client::get_item).then_output(|| GetItemOutput::builder().build()),
        );
        assert_eq!(
            deliveries(&[&claim, &gone]).claim(ID, BODY, "req-4").await,
            Ok(Claim::Running)
        );
    }

    #[tokio::test]
    async fn a_run_without_an_outcome_releases_its_claim() {
        let release = mock!(Client::delete_item)
            .match_requests(|req| {
                req.key().unwrap()["id"] == AttributeValue::S(delivery_key(ID, BODY))
                    && req.condition_expression() == Some("#owner = :owner")
                    && req.expression_attribute_values().unwrap()[":owner"]
                        == AttributeValue::S("req-1".into())
            })
            .then_output(|| DeleteItemOutput::builder().build());
        deliveries(&[&release])
            .finish(ID, BODY, "req-1", None)
            .await
            .unwrap();
        assert_eq!(release.num_calls(), 1);
    }

    #[tokio::test]
    async fn table_errors_are_returned_and_no_table_means_every_delivery_is_first() {
        let broken = mock!(Client::put_item).then_error(|| {
            PutItemError::ResourceNotFoundException(
                aws_sdk_dynamodb::types::error::ResourceNotFoundException::builder()
                    .message("Requested resource not found")
                    .meta(
                        aws_sdk_dynamodb::error::ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .build(),
                    )
                    .build(),
            )
        });
        let err = deliveries(&[&broken])
            .claim(ID, BODY, "req-1")
            .await
            .unwrap_err();
        assert_eq!(err.code, "ResourceNotFoundException");
        let off = Deliveries::new(None);
        assert_eq!(off.claim(ID, BODY, "req-1").await, Ok(Claim::First));
        assert_eq!(
            off.finish(ID, BODY, "req-1", Some(&outcome())).await,
            Ok(())
        );
    }
}
