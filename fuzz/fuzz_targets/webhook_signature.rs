//! Both webhook signature schemes on arbitrary header values and bodies:
//! `X-Onboarding-*` (`http::webhook::verify`) and Standard Webhooks
//! (`http::webhook::verify_standard`), with the signing key of any secret string
//! (`SigningKey::new`, including `whsec_` secrets), and the header lookup of a
//! request with arbitrary headers (`WebhookRequest::header`, `standard::is_standard`,
//! `standard::delivery_id`).
//!
//! Invariants: no panic; a request signed with the key (`SigningKey::sign`,
//! `sign_standard`) verifies, also among other `v1,` entries and during a rotation
//! (wrong key first); it never verifies with only a wrong key, with another body or
//! another timestamp; the signatures are the HMAC-SHA256 the schemes define,
//! computed here independently; an accepted arbitrary header holds that HMAC.
#![no_main]

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{KeyInit, Mac};
use iam_onboarding::http::webhook::{
    SIGNATURE_HEADER, SignatureError, SigningKey, StandardError, TIMESTAMP_HEADER, WHSEC_PREFIX,
    WebhookRequest, standard, verify, verify_standard,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Used as the secret string as it is.
    secret: String,
    /// Used as the raw key of a `whsec_` secret.
    whsec_key: Vec<u8>,
    /// Arbitrary header values, as a sender could send them.
    id: Option<String>,
    timestamp: Option<String>,
    signature: Option<String>,
    standard_signature: Option<String>,
    body: Vec<u8>,
    /// Seconds after the Unix epoch of "now" (a clock of at most 12 digits).
    now: u64,
    /// Arbitrary request headers, as raw bytes.
    headers: Vec<(Vec<u8>, Vec<u8>)>,
}

fuzz_target!(|input: Input| {
    let now = (input.now % 999_999_999_999) as i64;
    let plain = SigningKey::new(&input.secret);

    // Arbitrary header values: must not panic, and an accepted one holds the HMAC.
    let keys = [plain.clone()];
    let accepted = verify(
        input.timestamp.as_deref(),
        input.signature.as_deref(),
        &input.body,
        &keys,
        now,
    );
    if accepted.is_ok() {
        let timestamp = input.timestamp.as_deref().unwrap().trim();
        let expected = onboarding_hmac(input.secret.as_bytes(), timestamp, &input.body);
        assert!(
            input.signature.as_deref().unwrap().trim().eq_ignore_ascii_case(&format!("sha256={expected}")),
            "an X-Onboarding signature was accepted without the HMAC"
        );
    }
    let _ = verify_standard(
        input.id.as_deref(),
        input.timestamp.as_deref(),
        input.standard_signature.as_deref(),
        &input.body,
        &keys,
        now,
    );

    // Arbitrary request headers: the lookups the webhook makes.
    let mut headers = HeaderMap::new();
    for (name, value) in &input.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(name, value);
        }
    }
    let request = WebhookRequest {
        method: "POST".into(),
        headers,
        body: Ok(input.body.clone()),
    };
    let _ = standard::is_standard(&request);
    let _ = standard::delivery_id(&request);
    let _ = verify(
        request.header(TIMESTAMP_HEADER),
        request.header(SIGNATURE_HEADER),
        &input.body,
        &keys,
        now,
    );
    let _ = verify_standard(
        request.header(standard::ID_HEADER),
        request.header(standard::TIMESTAMP_HEADER),
        request.header(standard::SIGNATURE_HEADER),
        &input.body,
        &keys,
        now,
    );

    // Round trips with a correctly signed request.
    let timestamp = now.to_string();
    let later = (now + 1).to_string();
    let mut other_body = input.body.clone();
    other_body.push(b'x');

    // X-Onboarding: keyed with the secret string's bytes, whatever its form.
    // Appending a byte changes the HMAC key (HMAC pads short keys with zeros only).
    let wrong = SigningKey::new(&format!("{}x", input.secret));
    let signature = plain.sign(&timestamp, &input.body);
    assert_eq!(
        signature,
        format!("sha256={}", onboarding_hmac(input.secret.as_bytes(), &timestamp, &input.body))
    );
    let check = |sig: &str, body: &[u8], ts: &str, keys: &[SigningKey]| {
        verify(Some(ts), Some(sig), body, keys, now)
    };
    assert_eq!(check(&signature, &input.body, &timestamp, &[plain.clone()]), Ok(()));
    assert_eq!(
        check(&signature, &input.body, &timestamp, &[wrong.clone(), plain.clone()]),
        Ok(())
    );
    assert_eq!(
        check(&signature, &input.body, &timestamp, &[wrong.clone()]),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        check(&signature, &other_body, &timestamp, &[plain.clone()]),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        check(&signature, &input.body, &later, &[plain.clone()]),
        Err(SignatureError::Mismatch)
    );

    // Standard Webhooks, two secret forms: a string that is not `whsec_` (keyed
    // with its bytes), and `whsec_` + base64 of a non-empty key (keyed with the key).
    let text = if input.secret.starts_with(WHSEC_PREFIX) {
        format!("k{}", input.secret)
    } else {
        input.secret.clone()
    };
    let mut raw = input.whsec_key.clone();
    if raw.is_empty() {
        raw.push(0);
    }
    let mut raw_wrong = raw.clone();
    raw_wrong[0] ^= 1;
    let whsec = |key: &[u8]| SigningKey::new(&format!("{WHSEC_PREFIX}{}", STANDARD.encode(key)));
    let cases = [
        (SigningKey::new(&text), SigningKey::new(&format!("{text}x")), text.clone().into_bytes()),
        (whsec(&raw), whsec(&raw_wrong), raw.clone()),
    ];
    let id = input
        .id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= standard::MAX_ID_BYTES && id.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("msg_fuzz");
    let junk = input.standard_signature.as_deref().unwrap_or_default();
    for (key, wrong, key_bytes) in cases {
        assert!(!key.is_malformed_whsec());
        let signature = key.sign_standard(id, &timestamp, &input.body);
        let mut message = format!("{id}.{timestamp}.").into_bytes();
        message.extend_from_slice(&input.body);
        assert_eq!(signature, format!("v1,{}", STANDARD.encode(hmac(&key_bytes, &message))));
        let check = |sig: &str, body: &[u8], ts: &str, keys: &[SigningKey]| {
            verify_standard(Some(id), Some(ts), Some(sig), body, keys, now)
        };
        assert_eq!(check(&signature, &input.body, &timestamp, &[key.clone()]), Ok(()));
        // Among other entries (a rotation, other versions, anything).
        let among = format!("{junk} {signature} {junk}");
        assert_eq!(check(&among, &input.body, &timestamp, &[key.clone()]), Ok(()));
        assert_eq!(
            check(&signature, &input.body, &timestamp, &[wrong.clone(), key.clone()]),
            Ok(())
        );
        assert_eq!(
            check(&signature, &input.body, &timestamp, &[wrong.clone()]),
            Err(StandardError::Mismatch)
        );
        assert_eq!(
            check(&signature, &other_body, &timestamp, &[key.clone()]),
            Err(StandardError::Mismatch)
        );
        assert_eq!(
            check(&signature, &input.body, &later, &[key.clone()]),
            Err(StandardError::Mismatch)
        );
        // An arbitrary header accepted under this key holds the HMAC.
        if check(junk, &input.body, &timestamp, &[key.clone()]).is_ok() {
            let expected = STANDARD_NO_PAD.encode(hmac(&key_bytes, &message));
            assert!(junk.contains(&format!("v1,{expected}")), "accepted without the HMAC");
        }
    }
});

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The hex HMAC of `"<timestamp>.<body>"`.
fn onboarding_hmac(key: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    hex::encode(hmac(key, &message))
}
