//! Standard Webhooks v1 signatures (standard-webhooks/standard-webhooks,
//! `spec/standard-webhooks.md`): `webhook-id`, `webhook-timestamp` (unix
//! seconds) and `webhook-signature`, a space-separated list of
//! `v1,<base64 HMAC-SHA256>` over `"{id}.{timestamp}.{raw body}"`. Several
//! signatures are sent during a secret rotation; other versions are ignored.
//! The key is the secret's base64 payload when it has the spec's `whsec_`
//! form, else the secret string's bytes (see [`SigningKey::new`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hmac::Mac;

use super::WebhookRequest;
use super::signature::{SigningKey, TimestampError, check_timestamp};

/// Header carrying the delivery id (identical across the sender's retries).
pub const ID_HEADER: &str = "webhook-id";
/// Header carrying the signing time, unix seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Header carrying the space-separated `v1,<base64>` signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";
/// Longest accepted `webhook-id`, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// Whether `request` is signed the Standard Webhooks way: it carries
/// `webhook-signature`, or, with no `X-Onboarding-Signature`, another
/// `webhook-*` header (so a missing `webhook-signature` is named as such).
pub fn is_standard(request: &WebhookRequest) -> bool {
    let has = |name: &str| request.headers.contains_key(name);
    has(SIGNATURE_HEADER)
        || (!has(super::SIGNATURE_HEADER) && (has(ID_HEADER) || has(TIMESTAMP_HEADER)))
}

/// The request's `webhook-id`, trimmed, when it carries one.
pub fn delivery_id(request: &WebhookRequest) -> Option<&str> {
    request.header(ID_HEADER).map(str::trim)
}

/// Why a Standard Webhooks request was not accepted as signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StandardError {
    /// `webhook-id` is absent or empty.
    #[error("missing webhook-id header")]
    MissingId,
    /// `webhook-id` is too long or holds control characters or spaces.
    #[error("webhook-id must be 1 to 256 visible ASCII characters")]
    MalformedId,
    /// `webhook-timestamp` is absent.
    #[error("missing webhook-timestamp header")]
    MissingTimestamp,
    /// `webhook-timestamp` is not unix seconds.
    #[error("webhook-timestamp must be unix seconds")]
    MalformedTimestamp,
    /// The timestamp is too far from the current time.
    #[error("webhook-timestamp is more than 5 minutes from the current time")]
    Stale,
    /// `webhook-signature` is absent.
    #[error("missing webhook-signature header")]
    MissingSignature,
    /// No `v1,` entry in the header.
    #[error("webhook-signature holds no v1 signature (expected v1,<base64>)")]
    NoV1Signature,
    /// No `v1` signature matches the request under any accepted key.
    #[error("no v1 signature in webhook-signature matches the request")]
    Mismatch,
}

/// Checks the Standard Webhooks headers against `body` with every key in
/// `keys` (current and previous secret version): `Ok` when any `v1` signature
/// matches under any key, compared in constant time (`verify_slice`). Entries
/// of other versions are ignored and a `v1` entry that is not base64 matches
/// nothing, as in the reference libraries.
pub fn verify_standard(
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    keys: &[SigningKey],
    now_unix: i64,
) -> Result<(), StandardError> {
    let id = id
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or(StandardError::MissingId)?;
    if id.len() > MAX_ID_BYTES || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(StandardError::MalformedId);
    }
    let timestamp = timestamp
        .map(str::trim)
        .ok_or(StandardError::MissingTimestamp)?;
    check_timestamp(timestamp, now_unix).map_err(|e| match e {
        TimestampError::Malformed => StandardError::MalformedTimestamp,
        TimestampError::Stale => StandardError::Stale,
    })?;
    let signature = signature.ok_or(StandardError::MissingSignature)?;
    let digests: Vec<Option<Vec<u8>>> = signature
        .split_whitespace()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .map(|b64| STANDARD_NO_PAD.decode(b64.trim_end_matches('=')).ok())
        .collect();
    if digests.is_empty() {
        return Err(StandardError::NoV1Signature);
    }
    let matched = digests.iter().flatten().any(|digest| {
        keys.iter().any(|key| {
            key.standard_mac(id, timestamp, body)
                .verify_slice(digest)
                .is_ok()
        })
    });
    if matched {
        Ok(())
    } else {
        Err(StandardError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use hmac::KeyInit;

    const NOW: i64 = 1_790_000_000;
    const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    const BODY: &[u8] = br#"{"type":"employee.hired","timestamp":"2026-11-30T09:00:00Z","data":{"email":"jane@example.com"}}"#;
    /// The spec's secret form: `whsec_` + base64 of the key bytes.
    const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn key(secret: &str) -> SigningKey {
        SigningKey::new(secret)
    }

    fn check(
        id: Option<&str>,
        ts: Option<&str>,
        sig: Option<&str>,
        keys: &[SigningKey],
    ) -> Result<(), StandardError> {
        verify_standard(id, ts, sig, BODY, keys, NOW)
    }

    /// HMAC-SHA256 over "id.timestamp.body" keyed with `key_bytes`, as the spec computes it.
    fn reference(key_bytes: &[u8], id: &str, ts: &str, body: &[u8]) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key_bytes).unwrap();
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_whsec_secret_keys_with_its_decoded_bytes_and_a_plain_one_with_its_text() {
        let ts = NOW.to_string();
        let decoded = STANDARD.decode(&WHSEC["whsec_".len()..]).unwrap();
        let whsec_sig = reference(&decoded, ID, &ts, BODY);
        assert_eq!(key(WHSEC).sign_standard(ID, &ts, BODY), whsec_sig);
        assert_eq!(
            check(Some(ID), Some(&ts), Some(&whsec_sig), &[key(WHSEC)]),
            Ok(())
        );
        // The string of a whsec_ secret is not its key.
        let undecoded = reference(WHSEC.as_bytes(), ID, &ts, BODY);
        assert_eq!(
            check(Some(ID), Some(&ts), Some(&undecoded), &[key(WHSEC)]),
            Err(StandardError::Mismatch)
        );
        // A plain secret keys with its UTF-8 bytes.
        let plain_sig = reference(b"plain-secret-string", ID, &ts, BODY);
        let plain = [key("plain-secret-string")];
        assert_eq!(check(Some(ID), Some(&ts), Some(&plain_sig), &plain), Ok(()));
    }

    #[test]
    fn the_spec_example_verifies() {
        // The reference libraries' example, its signature computed by the Python
        // reference library (standardwebhooks 1.1.0, `Webhook.sign`).
        let body = br#"{"test": 2432232314}"#;
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        let now = 1_614_265_330;
        let keys = [key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")];
        let id = Some("msg_p5jXN8AQM9LWM0D4loKWxJek");
        let ts = Some("1614265330");
        assert_eq!(verify_standard(id, ts, Some(sig), body, &keys, now), Ok(()));
        assert_eq!(
            verify_standard(id, ts, Some(sig), b"{\"test\": 2432232315}", &keys, now),
            Err(StandardError::Mismatch)
        );
    }

    #[test]
    fn missing_headers_are_named() {
        let ts = NOW.to_string();
        let sig = key(WHSEC).sign_standard(ID, &ts, BODY);
        let keys = [key(WHSEC)];
        let cases = [
            (
                None,
                Some(ts.as_str()),
                Some(sig.as_str()),
                StandardError::MissingId,
            ),
            (Some(" "), Some(&ts), Some(&sig), StandardError::MissingId),
            (Some(ID), None, Some(&sig), StandardError::MissingTimestamp),
            (Some(ID), Some(&ts), None, StandardError::MissingSignature),
        ];
        for (id, ts, sig, error) in cases {
            assert_eq!(check(id, ts, sig, &keys), Err(error));
            assert!(error.to_string().starts_with("missing webhook-"));
        }
        let long = "x".repeat(MAX_ID_BYTES + 1);
        for bad in [long.as_str(), "msg 1", "msg\u{7f}"] {
            assert_eq!(
                check(Some(bad), Some(&ts), Some(&sig), &keys),
                Err(StandardError::MalformedId),
                "{bad}"
            );
        }
    }

    #[test]
    fn other_versions_are_ignored_and_no_v1_is_refused() {
        let ts = NOW.to_string();
        let v1 = key(WHSEC).sign_standard(ID, &ts, BODY);
        let b64 = &v1["v1,".len()..];
        let keys = [key(WHSEC)];
        for bad in [
            format!("v2,{b64}"),
            format!("v1a,{b64}"),
            format!("V1,{b64}"),
            format!("v1a,{b64} v2,{b64}"),
            b64.to_string(),
            format!("v1={b64}"),
            String::new(),
        ] {
            assert_eq!(
                check(Some(ID), Some(&ts), Some(&bad), &keys),
                Err(StandardError::NoV1Signature),
                "{bad}"
            );
        }
        // Unknown versions next to a valid v1 do not matter.
        let mixed = format!("v2,{b64} v1a,xyz {v1}");
        assert_eq!(check(Some(ID), Some(&ts), Some(&mixed), &keys), Ok(()));
    }

    #[test]
    fn bad_base64_matches_nothing() {
        let keys = [key(WHSEC)];
        let ts = NOW.to_string();
        for bad in ["v1,not*base64!", "v1,", "v1,====", "v1,AAAA"] {
            assert_eq!(
                check(Some(ID), Some(&ts), Some(bad), &keys),
                Err(StandardError::Mismatch),
                "{bad}"
            );
        }
        // Unpadded base64 of the right digest is the same signature.
        let sig = key(WHSEC).sign_standard(ID, &ts, BODY);
        let unpadded = sig.trim_end_matches('=');
        assert_eq!(check(Some(ID), Some(&ts), Some(unpadded), &keys), Ok(()));
    }

    #[test]
    fn several_signatures_with_one_valid_pass_as_in_a_rotation() {
        let new = key("whsec_bmV3LXNlY3JldC1rZXktYnl0ZXM=");
        let old = key(WHSEC);
        let ts = NOW.to_string();
        let header = format!(
            "{} {}",
            new.sign_standard(ID, &ts, BODY),
            old.sign_standard(ID, &ts, BODY)
        );
        // We know only the old secret yet, or only the new one already.
        for keys in [[old.clone()], [new.clone()]] {
            assert_eq!(check(Some(ID), Some(&ts), Some(&header), &keys), Ok(()));
        }
        // A broken entry before the valid one does not stop the search.
        let garbage_first = format!("v1,AAAA v1,*** {}", old.sign_standard(ID, &ts, BODY));
        assert_eq!(
            check(
                Some(ID),
                Some(&ts),
                Some(&garbage_first),
                std::slice::from_ref(&old)
            ),
            Ok(())
        );
        // Our previous secret version verifies too (AWSCURRENT, AWSPREVIOUS).
        let by_old = old.sign_standard(ID, &ts, BODY);
        assert_eq!(
            check(Some(ID), Some(&ts), Some(&by_old), &[new, old]),
            Ok(())
        );
    }

    #[test]
    fn a_stale_or_future_timestamp_is_refused() {
        let whsec = key(WHSEC);
        for (offset, ok) in [(300, true), (-300, true), (301, false), (-301, false)] {
            let ts = (NOW + offset).to_string();
            let sig = whsec.sign_standard(ID, &ts, BODY);
            let result = check(
                Some(ID),
                Some(&ts),
                Some(&sig),
                std::slice::from_ref(&whsec),
            );
            assert_eq!(result.is_ok(), ok, "offset {offset}");
            if !ok {
                assert_eq!(result, Err(StandardError::Stale));
            }
        }
        for bad in ["1.5", "", "-5", "abc", "17900000000000"] {
            let sig = whsec.sign_standard(ID, bad, BODY);
            assert_eq!(
                check(
                    Some(ID),
                    Some(bad),
                    Some(&sig),
                    std::slice::from_ref(&whsec)
                ),
                Err(StandardError::MalformedTimestamp),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_wrong_secret_id_timestamp_or_body_does_not_match() {
        let whsec = key(WHSEC);
        let ts = NOW.to_string();
        let keys = [whsec.clone()];
        let cases = [
            key("whsec_d3Jvbmc=").sign_standard(ID, &ts, BODY),
            key("plain-wrong").sign_standard(ID, &ts, BODY),
            whsec.sign_standard("msg_other", &ts, BODY),
            whsec.sign_standard(ID, &(NOW - 1).to_string(), BODY),
            whsec.sign_standard(ID, &ts, b"{}"),
        ];
        for sig in cases {
            assert_eq!(
                check(Some(ID), Some(&ts), Some(&sig), &keys),
                Err(StandardError::Mismatch),
                "{sig}"
            );
        }
    }

    #[test]
    fn a_replayed_id_with_a_new_body_or_timestamp_needs_a_new_signature() {
        // A replay of the same delivery within the tolerance verifies (the
        // idempotency table answers it like the first); reusing its signature
        // for another body or a fresh timestamp does not.
        let whsec = key(WHSEC);
        let ts = NOW.to_string();
        let sig = whsec.sign_standard(ID, &ts, BODY);
        let keys = [whsec];
        assert_eq!(check(Some(ID), Some(&ts), Some(&sig), &keys), Ok(()));
        let later = (NOW + 60).to_string();
        assert_eq!(
            check(Some(ID), Some(&later), Some(&sig), &keys),
            Err(StandardError::Mismatch)
        );
        assert_eq!(
            verify_standard(
                Some(ID),
                Some(&ts),
                Some(&sig),
                b"{\"other\":1}",
                &keys,
                NOW
            ),
            Err(StandardError::Mismatch)
        );
        // Replayed after the tolerance: stale.
        assert_eq!(
            verify_standard(Some(ID), Some(&ts), Some(&sig), BODY, &keys, NOW + 301),
            Err(StandardError::Stale)
        );
    }

    #[test]
    fn errors_never_carry_the_secret() {
        let ts = NOW.to_string();
        let keys = [key(WHSEC)];
        let err = check(Some(ID), Some(&ts), Some("v1,AAAA"), &keys).unwrap_err();
        assert!(!err.to_string().contains("MfKQ9r8G"));
        assert!(!format!("{err:?} {keys:?}").contains("MfKQ9r8G"));
    }
}
