//! The webhook signing key of one secret value, for both schemes
//! (`X-Onboarding-*` and Standard Webhooks, `whsec_<base64>`); redacted in `Debug`.

use std::fmt;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256, as both signature schemes use it.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Prefix of a secret in the Standard Webhooks form `whsec_<base64 of the key bytes>`.
pub const WHSEC_PREFIX: &str = "whsec_";

/// The webhook HMAC keys of one secret value. Its `Debug` is redacted and it has no `Display`.
#[derive(Clone)]
pub struct SigningKey {
    /// The secret string's UTF-8 bytes: the `X-Onboarding-*` key.
    text: Vec<u8>,
    /// The Standard Webhooks key: the decoded bytes of a `whsec_` secret, else `text`.
    standard: Vec<u8>,
    /// The secret starts with `whsec_` but the rest is not base64 (or is empty).
    bad_whsec: bool,
}

impl SigningKey {
    /// The keys of a secret value. A value in the spec's `whsec_<base64>` form
    /// keys Standard Webhooks with its base64-decoded bytes (padding optional, as
    /// the reference libraries read it); any other value, and the `X-Onboarding-*`
    /// scheme always, use the string's UTF-8 bytes.
    pub fn new(secret: &str) -> Self {
        let text = secret.as_bytes().to_vec();
        let decoded = secret.strip_prefix(WHSEC_PREFIX).map(|b64| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(b64.trim_end_matches('='))
                .ok()
                .filter(|key| !key.is_empty())
        });
        Self {
            standard: decoded.clone().flatten().unwrap_or_else(|| text.clone()),
            bad_whsec: matches!(decoded, Some(None)),
            text,
        }
    }

    /// Whether the value starts with `whsec_` but is not `whsec_` + base64: then
    /// Standard Webhooks uses the whole string as the key, and no reference library
    /// signs with it. Say so in the log (never the value).
    pub fn is_malformed_whsec(&self) -> bool {
        self.bad_whsec
    }

    /// The secret string's bytes, for a vendor whose secret is a document (HiBob's
    /// JSON); never log or return them.
    pub(crate) fn expose_text(&self) -> &[u8] {
        &self.text
    }

    /// HMAC-SHA256 keyed with the secret string's bytes, nothing fed yet (the
    /// `X-Onboarding-*` scheme and the HR-system connectors).
    pub(crate) fn text_mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length.
        HmacSha256::new_from_slice(&self.text).expect("HMAC takes keys of any length")
    }

    pub(crate) fn mac(&self, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = self.text_mac();
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The Standard Webhooks HMAC of `"{id}.{timestamp}.{body}"`.
    pub(crate) fn standard_mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.standard).expect("HMAC takes keys of any length");
        for part in [id.as_bytes(), b".", timestamp.as_bytes(), b"."] {
            mac.update(part);
        }
        mac.update(body);
        mac
    }

    /// The Standard Webhooks signature of `body`: `v1,<base64 HMAC-SHA256>`.
    pub fn sign_standard(&self, id: &str, timestamp: &str, body: &[u8]) -> String {
        let digest = self
            .standard_mac(id, timestamp, body)
            .finalize()
            .into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    /// The header value signing `body` at `timestamp`: `sha256=<lowercase hex>`.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        format!(
            "sha256={}",
            hex::encode(self.mac(timestamp, body).finalize().into_bytes())
        )
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> SigningKey {
        SigningKey::new(secret)
    }

    #[test]
    fn whsec_secrets_decode_with_or_without_padding_and_bad_ones_are_flagged() {
        let padded = key("whsec_bmV3LXNlY3JldA==");
        assert_eq!(padded.standard, b"new-secret");
        assert_eq!(key("whsec_bmV3LXNlY3JldA").standard, b"new-secret");
        assert!(!padded.is_malformed_whsec());
        for bad in ["whsec_", "whsec_not*base64", "whsec_===="] {
            let k = key(bad);
            assert!(k.is_malformed_whsec(), "{bad}");
            assert_eq!(k.standard, bad.as_bytes());
        }
        let plain = key("plain-secret");
        assert!(!plain.is_malformed_whsec());
        assert_eq!(plain.standard, b"plain-secret");
    }
}
