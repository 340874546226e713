//! The HR-system connectors' parsers (`http::connectors`): BambooHR's signature
//! headers and field-based payload (`BambooHr::parse`), HiBob's signature, its
//! connection test, its delivery id and the reading of a People API answer
//! (`hibob_intent`), on arbitrary input.
//!
//! Invariants: no panic; a signature is accepted only when it is the HMAC the
//! vendor defines, computed here; a BambooHR record's field error names
//! `employees[i]`, at most 100 records; a HiBob leaver always has an employeeId.
#![no_main]

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use hmac::{KeyInit, Mac};
use iam_onboarding::http::connectors::{BambooHr, HiBob, Intent, Outbound, Vendor, hibob_intent};
use iam_onboarding::http::webhook::SigningKey;
use iam_onboarding::triggers::strict_json;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Built once: the client loads the platform's root certificates.
static HIBOB: LazyLock<HiBob> = LazyLock::new(|| {
    HiBob::new("https://api.hibob.invalid", Outbound::new(std::time::Duration::from_secs(1)))
});

const KEY: &str = "fuzz-bamboohr-key";
const HIBOB_SECRET: &str = "fuzz-hibob-secret";
/// 2026-11-27T09:00:00Z.
const NOW: i64 = 1_795_770_000;

fuzz_target!(|data: &[u8]| {
    // The first line (if any) is "<timestamp> <signature>"; the rest is the body.
    let (head, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) if i < 300 => (&data[..i], &data[i + 1..]),
        _ => (&b""[..], data),
    };
    let head = String::from_utf8_lossy(head);
    let mut parts = head.splitn(2, ' ');
    let (timestamp, signature) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-bamboohr-timestamp", timestamp),
        ("x-bamboohr-signature", signature),
        ("bob-signature", signature),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    if BambooHr.verify(&headers, body, &[SigningKey::new(KEY)], NOW).is_ok() {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
        mac.update(body);
        mac.update(timestamp.trim().as_bytes());
        let expected = hex::encode(mac.finalize().into_bytes());
        assert!(signature.trim().eq_ignore_ascii_case(&expected), "BambooHR accepted without the HMAC");
    }
    let hibob = &*HIBOB;
    let secret = serde_json::json!({"signingSecret": HIBOB_SECRET, "serviceUserId": "u", "serviceUserToken": "t"});
    if hibob.verify(&headers, body, &[SigningKey::new(&secret.to_string())], NOW).is_ok() {
        let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(HIBOB_SECRET.as_bytes()).unwrap();
        mac.update(body);
        let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(signature.trim(), expected, "HiBob accepted without the HMAC");
    }
    let _ = hibob.is_ping(body);
    let Ok(Ok(payload)) = strict_json::from_slice(body).map(|p| p.into_value()) else {
        return;
    };
    let _ = hibob.delivery_id(&payload);
    if let Ok(records) = BambooHr::parse(&payload) {
        assert!(!records.is_empty() && records.len() <= 100);
        for (i, record) in records.iter().enumerate() {
            if let Err(err) = &record.intent {
                assert!(err.field.starts_with(&format!("employees[{i}]")), "{}", err.field);
            }
        }
    }
    for kind in ["employee.joined", "employee.updated", "employee.left"] {
        if let Ok(Intent::Leave { leaver }) = hibob_intent(kind, "123", &payload) {
            assert!(leaver.get("employeeId").and_then(Value::as_str).is_some_and(|id| !id.is_empty()));
        }
    }
});
