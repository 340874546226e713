//! The reveal records in the idempotency table (issue 22's one-time links):
//!
//! - `reveal#<id>`: `nonce`, `ciphertext` (binary), `proofHash`, `createdAt` and
//!   `expiresAt` (the link's expiry, also the table's TTL attribute). Consuming
//!   it replaces it with a tombstone `{viewedAt, expiresAt}` in one conditional
//!   `PutItem` that returns the old item (`ReturnValues=ALL_OLD`); retiring it
//!   leaves `{retiredAt, expiresAt}`. A tombstone's `expiresAt` is when TTL may
//!   remove it.
//! - `reveal-user#<hex SHA-256 of the lower-cased user name>`: `current`, the person's newest link id,
//!   so a resend retires the previous one.
//!
//! TTL deletes expired items up to days late (DynamoDB developer guide, "Time to
//! Live"), so every read checks `expiresAt` itself. Only `PutItem` and `GetItem`
//! are used, as for leases and deliveries.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use sha2::{Digest, Sha256};

use super::AwsError;
use super::dynamodb::{CONDITION_FAILED, Dynamo, n, s};
use crate::identity::reveal_link::{RevealId, RevealRefusal, Sealed};

const ID: &str = "id";
const EXPIRES_AT: &str = "expiresAt";
const NONCE: &str = "nonce";
const CIPHERTEXT: &str = "ciphertext";
const PROOF_HASH: &str = "proofHash";
const CREATED_AT: &str = "createdAt";
const VIEWED_AT: &str = "viewedAt";
const RETIRED_AT: &str = "retiredAt";
const CURRENT: &str = "current";

/// The table key of a reveal record.
pub fn record_key(id: &RevealId) -> String {
    format!("reveal#{}", id.as_str())
}

/// The table key of a person's newest-link pointer (no name is stored, as for leases).
fn pointer_key(username: &str) -> String {
    let digest = Sha256::digest(username.to_lowercase().as_bytes());
    format!("reveal-user#{}", hex::encode(digest))
}

/// What a consume found: the sealed password, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// The record was consumed; its nonce and ciphertext.
    Revealed {
        /// The GCM nonce.
        nonce: Vec<u8>,
        /// The ciphertext with its tag.
        ciphertext: Vec<u8>,
    },
    /// Nothing was consumed.
    Refused(RevealRefusal),
}

fn number(item: &HashMap<String, AttributeValue>, key: &str) -> Option<i64> {
    item.get(key)?.as_n().ok()?.parse().ok()
}

fn bytes(item: &HashMap<String, AttributeValue>, key: &str) -> Option<Vec<u8>> {
    Some(item.get(key)?.as_b().ok()?.as_ref().to_vec())
}

/// Why a record that failed the consume condition refused, read from the
/// record itself (`None`: absent).
fn refusal(item: Option<&HashMap<String, AttributeValue>>, now: i64) -> RevealRefusal {
    let Some(item) = item else {
        return RevealRefusal::Unknown;
    };
    if let Some(at) = number(item, VIEWED_AT) {
        return RevealRefusal::AlreadyViewed { at };
    }
    if let Some(at) = number(item, RETIRED_AT) {
        return RevealRefusal::Replaced { at };
    }
    match number(item, EXPIRES_AT) {
        Some(at) if at <= now => RevealRefusal::Expired { at },
        Some(_) if item.contains_key(CIPHERTEXT) => RevealRefusal::BadProof,
        _ => RevealRefusal::Unknown,
    }
}

impl Dynamo {
    /// Stores a sealed password as a new `reveal#<id>` valid until `expires_at`
    /// (unix seconds); refuses to overwrite an existing id.
    pub async fn put_reveal(
        &self,
        id: &RevealId,
        sealed: &Sealed,
        now: i64,
        expires_at: i64,
    ) -> Result<(), AwsError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(ID, s(&record_key(id)))
            .item(NONCE, AttributeValue::B(Blob::new(sealed.nonce.clone())))
            .item(
                CIPHERTEXT,
                AttributeValue::B(Blob::new(sealed.ciphertext.clone())),
            )
            .item(PROOF_HASH, s(&sealed.proof_hash))
            .item(CREATED_AT, n(now))
            .item(EXPIRES_AT, n(expires_at))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", ID)
            .send()
            .await?;
        Ok(())
    }

    /// Consumes `reveal#<id>` in one conditional write: it must exist, be neither
    /// viewed nor retired, not be expired at `now` by its own `expiresAt`, and
    /// carry `proof_hash`. The tombstone left is kept until `keep_until`. When the
    /// condition fails, a consistent read tells why; nothing is changed.
    pub async fn consume_reveal(
        &self,
        id: &RevealId,
        proof_hash: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<Consumed, AwsError> {
        let key = record_key(id);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(ID, s(&key))
            .item(VIEWED_AT, n(now))
            .item(EXPIRES_AT, n(keep_until))
            .condition_expression(
                "attribute_exists(#ciphertext) AND attribute_not_exists(#viewedAt) \
                 AND attribute_not_exists(#retiredAt) AND #expiresAt > :now \
                 AND #proofHash = :proofHash",
            )
            .expression_attribute_names("#ciphertext", CIPHERTEXT)
            .expression_attribute_names("#viewedAt", VIEWED_AT)
            .expression_attribute_names("#retiredAt", RETIRED_AT)
            .expression_attribute_names("#expiresAt", EXPIRES_AT)
            .expression_attribute_names("#proofHash", PROOF_HASH)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":proofHash", s(proof_hash))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(AwsError::from);
        match result {
            Ok(output) => {
                let old = output.attributes.unwrap_or_default();
                match (bytes(&old, NONCE), bytes(&old, CIPHERTEXT)) {
                    (Some(nonce), Some(ciphertext)) => Ok(Consumed::Revealed { nonce, ciphertext }),
                    _ => Err(AwsError {
                        code: "MalformedRecord".into(),
                        message: "the consumed reveal record had no ciphertext".into(),
                    }),
                }
            }
            Err(err) if err.is(CONDITION_FAILED) => {
                let item = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key(ID, s(&key))
                    .consistent_read(true)
                    .send()
                    .await?;
                Ok(Consumed::Refused(refusal(item.item(), now)))
            }
            Err(err) => Err(err),
        }
    }

    /// Makes `id` the newest link of `username` and retires the one it replaces
    /// (unless already viewed or gone); the pointer lives until `expires_at`,
    /// a tombstone until `keep_until`. Returns whether a link was retired.
    pub async fn retire_previous_reveal(
        &self,
        username: &str,
        id: &RevealId,
        now: i64,
        expires_at: i64,
        keep_until: i64,
    ) -> Result<bool, AwsError> {
        let old = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(ID, s(&pointer_key(username)))
            .item(CURRENT, s(&record_key(id)))
            .item(EXPIRES_AT, n(expires_at))
            .return_values(ReturnValue::AllOld)
            .send()
            .await?;
        let Some(previous) = old
            .attributes()
            .and_then(|item| item.get(CURRENT))
            .and_then(|v| v.as_s().ok())
            .filter(|previous| **previous != record_key(id))
        else {
            return Ok(false);
        };
        let retired = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(ID, s(previous))
            .item(RETIRED_AT, n(now))
            .item(EXPIRES_AT, n(keep_until))
            .condition_expression("attribute_exists(#ciphertext)")
            .expression_attribute_names("#ciphertext", CIPHERTEXT)
            .send()
            .await
            .map_err(AwsError::from);
        match retired {
            Ok(_) => Ok(true),
            Err(err) if err.is(CONDITION_FAILED) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_refused_consume_names_its_reason_from_the_record() {
        let now = 1_000;
        assert_eq!(refusal(None, now), RevealRefusal::Unknown);
        let viewed = item(&[(VIEWED_AT, n(900)), (EXPIRES_AT, n(5_000))]);
        assert_eq!(
            refusal(Some(&viewed), now),
            RevealRefusal::AlreadyViewed { at: 900 }
        );
        let retired = item(&[(RETIRED_AT, n(950)), (EXPIRES_AT, n(5_000))]);
        assert_eq!(
            refusal(Some(&retired), now),
            RevealRefusal::Replaced { at: 950 }
        );
        let live = item(&[
            (CIPHERTEXT, AttributeValue::B(Blob::new(vec![1]))),
            (EXPIRES_AT, n(2_000)),
        ]);
        assert_eq!(refusal(Some(&live), now), RevealRefusal::BadProof);
        let expired = item(&[
            (CIPHERTEXT, AttributeValue::B(Blob::new(vec![1]))),
            (EXPIRES_AT, n(1_000)),
        ]);
        assert_eq!(
            refusal(Some(&expired), now),
            RevealRefusal::Expired { at: 1_000 }
        );
    }
}
