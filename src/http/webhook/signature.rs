//! HR webhook signatures: `X-Onboarding-Signature: sha256=<hex HMAC-SHA256 of
//! "<timestamp>.<raw body>">` with `X-Onboarding-Timestamp: <unix seconds>`,
//! keyed with the secret string as it is; the signing key of both schemes
//! (Standard Webhooks: [`super::standard`]); the timestamp rule they share.

use hmac::Mac;

pub use crate::identity::{SigningKey, WHSEC_PREFIX};

/// Header carrying the signing time, unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-onboarding-timestamp";
/// Header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-onboarding-signature";
/// Largest accepted difference between the signing time and now, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Why a webhook request was not accepted as signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The timestamp header is absent.
    #[error("missing X-Onboarding-Timestamp header")]
    MissingTimestamp,
    /// The signature header is absent.
    #[error("missing X-Onboarding-Signature header")]
    MissingSignature,
    /// The timestamp is not an integer number of seconds.
    #[error("X-Onboarding-Timestamp must be unix seconds")]
    MalformedTimestamp,
    /// The timestamp is too far from the current time.
    #[error("X-Onboarding-Timestamp is more than 5 minutes from the current time")]
    Stale,
    /// The signature is not `sha256=` followed by 64 hex digits.
    #[error("X-Onboarding-Signature must be sha256=<64 hex digits>")]
    MalformedSignature,
    /// The signature does not match the body under any accepted key.
    #[error("X-Onboarding-Signature does not match the request body")]
    Mismatch,
}

/// Why a timestamp header is refused (both schemes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimestampError {
    /// Not 1 to 12 ASCII digits.
    Malformed,
    /// More than [`MAX_SKEW_SECONDS`] from `now`, either way.
    Stale,
}

/// Checks a timestamp header (unix seconds, 1 to 12 ASCII digits) against `now_unix`.
pub(super) fn check_timestamp(timestamp: &str, now_unix: i64) -> Result<(), TimestampError> {
    if timestamp.is_empty()
        || timestamp.len() > 12
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(TimestampError::Malformed);
    }
    let signed_at: i64 = timestamp.parse().map_err(|_| TimestampError::Malformed)?;
    if (now_unix - signed_at).abs() > MAX_SKEW_SECONDS {
        return Err(TimestampError::Stale);
    }
    Ok(())
}

/// Checks the signature headers against `body` with every key in `keys`
/// (current and previous secret version during rotation), in constant time.
pub fn verify(
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    keys: &[SigningKey],
    now_unix: i64,
) -> Result<(), SignatureError> {
    let timestamp = timestamp
        .map(str::trim)
        .ok_or(SignatureError::MissingTimestamp)?;
    let signature = signature
        .map(str::trim)
        .ok_or(SignatureError::MissingSignature)?;
    check_timestamp(timestamp, now_unix).map_err(|e| match e {
        TimestampError::Malformed => SignatureError::MalformedTimestamp,
        TimestampError::Stale => SignatureError::Stale,
    })?;
    let digest = signature
        .strip_prefix("sha256=")
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(SignatureError::MalformedSignature)?;
    let matched = keys
        .iter()
        .any(|key| key.mac(timestamp, body).verify_slice(&digest).is_ok());
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000;
    const BODY: &[u8] = br#"{"employee":{"email":"jane@example.com"}}"#;

    fn key(s: &str) -> SigningKey {
        SigningKey::new(s)
    }

    fn check(
        ts: Option<&str>,
        sig: Option<&str>,
        keys: &[SigningKey],
    ) -> Result<(), SignatureError> {
        verify(ts, sig, BODY, keys, NOW)
    }

    #[test]
    fn accepts_a_correct_signature() {
        let ts = NOW.to_string();
        let sig = key("s3cret").sign(&ts, BODY);
        assert!(sig.starts_with("sha256=") && sig.len() == 71);
        assert_eq!(check(Some(&ts), Some(&sig), &[key("s3cret")]), Ok(()));
    }

    #[test]
    fn rejects_a_wrong_secret_or_body() {
        let ts = NOW.to_string();
        let sig = key("other").sign(&ts, BODY);
        assert_eq!(
            check(Some(&ts), Some(&sig), &[key("s3cret")]),
            Err(SignatureError::Mismatch)
        );
        let sig = key("s3cret").sign(&ts, b"{}");
        assert_eq!(
            check(Some(&ts), Some(&sig), &[key("s3cret")]),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is part of what is signed.
        let sig = key("s3cret").sign(&(NOW - 1).to_string(), BODY);
        assert_eq!(
            check(Some(&ts), Some(&sig), &[key("s3cret")]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_truncated_or_malformed_signatures() {
        let ts = NOW.to_string();
        let sig = key("s3cret").sign(&ts, BODY);
        for bad in [
            &sig[..70],
            &sig[7..],
            "sha256=",
            "sha1=abcd",
            &format!("{sig}00"),
            &sig.replace("sha256=", "SHA256="),
        ] {
            assert_eq!(
                check(Some(&ts), Some(bad), &[key("s3cret")]),
                Err(SignatureError::MalformedSignature),
                "{bad}"
            );
        }
        let not_hex = format!("sha256={}", "g".repeat(64));
        assert_eq!(
            check(Some(&ts), Some(&not_hex), &[key("s3cret")]),
            Err(SignatureError::MalformedSignature)
        );
    }

    #[test]
    fn uppercase_hex_is_the_same_digest() {
        let ts = NOW.to_string();
        let sig = key("s3cret").sign(&ts, BODY);
        let upper = format!("sha256={}", sig["sha256=".len()..].to_uppercase());
        assert_eq!(check(Some(&ts), Some(&upper), &[key("s3cret")]), Ok(()));
    }

    #[test]
    fn missing_headers_are_named() {
        let ts = NOW.to_string();
        let sig = key("s3cret").sign(&ts, BODY);
        assert_eq!(
            check(None, Some(&sig), &[key("s3cret")]),
            Err(SignatureError::MissingTimestamp)
        );
        assert_eq!(
            check(Some(&ts), None, &[key("s3cret")]),
            Err(SignatureError::MissingSignature)
        );
    }

    #[test]
    fn clock_skew_boundary_is_five_minutes_either_way() {
        for (offset, ok) in [(300, true), (-300, true), (301, false), (-301, false)] {
            let ts = (NOW + offset).to_string();
            let sig = key("s3cret").sign(&ts, BODY);
            let result = check(Some(&ts), Some(&sig), &[key("s3cret")]);
            assert_eq!(result.is_ok(), ok, "offset {offset}");
            if !ok {
                assert_eq!(result, Err(SignatureError::Stale));
            }
        }
        for bad in ["", "-5", "1.5", "17900000000000", "abc"] {
            let sig = key("s3cret").sign(bad, BODY);
            assert_eq!(
                check(Some(bad), Some(&sig), &[key("s3cret")]),
                Err(SignatureError::MalformedTimestamp),
                "{bad}"
            );
        }
    }

    #[test]
    fn accepts_the_previous_secret_during_rotation() {
        let ts = NOW.to_string();
        let old = key("old-secret").sign(&ts, BODY);
        let keys = [key("new-secret"), key("old-secret")];
        assert_eq!(check(Some(&ts), Some(&old), &keys), Ok(()));
        assert_eq!(
            check(Some(&ts), Some(&old), &keys[..1]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn key_debug_is_redacted() {
        assert_eq!(format!("{:?}", key("s3cret")), "SigningKey(<redacted>)");
        let whsec = format!("{:?}", key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        assert_eq!(whsec, "SigningKey(<redacted>)");
    }

    #[test]
    fn a_whsec_secret_still_keys_our_scheme_with_its_text() {
        let ts = NOW.to_string();
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let expected = {
            let mut mac =
                <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(secret.as_bytes())
                    .unwrap();
            mac.update(format!("{ts}.").as_bytes());
            mac.update(BODY);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        };
        assert_eq!(key(secret).sign(&ts, BODY), expected);
    }
}
