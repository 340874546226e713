//! Every invocation event as the handler dispatches it (`handler::App::dispatch`
//! without AWS): bytes → strict JSON payload → `http::HttpEvent::is_http`; an HTTP
//! event → `HttpEvent::from_event` → `HttpEvent::serve` (the conversion into an
//! `http::Request` and back into the origin's response) through SCIM's 404 (`http::scim::not_found`; its parsers: the `scim` target), the reveal routes (`http::reveal::routes`, links off) and, for every other path, a stand-in for the webhook
//! route that reads the request as `webhook::WebhookRequest`, checks its signature
//! headers the way `SigningKeys::check` does (`is_standard`, `verify_standard` or
//! `verify`) with the key `FUZZ_SECRET` and parses an accepted body as
//! `handle_webhook` does; any other event → `triggers::Trigger::from_event` →
//! the EventBridge detail, the sweep request, the direct request or each SQS
//! message body (`triggers::sqs::request_of`).
//!
//! Invariants: no panic; `serve` answers a Lambda response with a numeric
//! `statusCode`; a signature is accepted only when the header holds the HMAC of the
//! request computed here independently.
#![no_main]

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode};
use base64::Engine;
use hmac::{KeyInit, Mac};
use iam_onboarding::hr::{Action, HrRequest};
use iam_onboarding::http::webhook::{
    SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER, WebhookRequest, standard, standard_request,
    verify, verify_standard,
};
use iam_onboarding::http::{HttpEvent, RawBody, reveal, scim};
use iam_onboarding::reveal::PasswordHandover;
use iam_onboarding::triggers::event_request::event_request;
use iam_onboarding::triggers::sweep::{is_schedule, is_sweep_request, parse_sweep_request};
use iam_onboarding::triggers::{EMPLOYEE_HIRED, EMPLOYEE_TERMINATED, EMPLOYEE_UPDATED};
use iam_onboarding::triggers::{Trigger, sqs, strict_json};
use lambda_runtime::Context;
use libfuzzer_sys::fuzz_target;

#[path = "shared/config.rs"]
mod shared;
use shared::CONFIG;
use serde_json::Value;

/// The webhook secret of this target; scripts/fuzz.sh signs its seed events with it.
const FUZZ_SECRET: &str = "fuzz-webhook-secret";

/// The signing time when a request has no usable timestamp (2026-11-27T09:00:00Z).
const DEFAULT_NOW: i64 = 1_795_770_000;


static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
});

static ROUTER: LazyLock<Router> = LazyLock::new(|| {
    Router::new()
        .nest("/scim/v2", Router::new().fallback(scim::not_found))
        .merge(reveal::routes(PasswordHandover::email()))
        .merge(Router::new().fallback(webhook))
});

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = strict_json::from_slice(data) else {
        return;
    };
    let Ok(payload) = parsed.into_value() else {
        return;
    };
    if HttpEvent::is_http(&payload) {
        let Ok(event) = HttpEvent::from_event(payload) else {
            return;
        };
        let response = RUNTIME.block_on(event.serve(&ROUTER, Context::default()));
        assert!(
            response.get("statusCode").is_some_and(Value::is_u64),
            "no statusCode in {response}"
        );
        return;
    }
    match Trigger::from_event(payload) {
        Err(_) => {}
        Ok(Trigger::Direct(payload)) if is_sweep_request(&payload) => {
            let _ = parse_sweep_request(&payload);
        }
        Ok(Trigger::Direct(payload)) => {
            let _ = HrRequest::parse(&payload, &CONFIG.allowed_groups);
        }
        Ok(Trigger::Sqs(event)) => {
            for record in event.records {
                let _ = sqs::request_of(record.body.as_deref(), &CONFIG.allowed_groups);
            }
        }
        Ok(Trigger::EventBridge(event)) if is_schedule(&event) => {}
        Ok(Trigger::EventBridge(event)) => {
            let action = match event.detail_type.as_str() {
                EMPLOYEE_HIRED => Action::Onboard,
                EMPLOYEE_TERMINATED => Action::Offboard,
                EMPLOYEE_UPDATED => Action::Update,
                _ => return,
            };
            if let Ok(request) = event_request(event.detail, action, "detail") {
                if let Ok(parsed) = HrRequest::parse(&request, &CONFIG.allowed_groups) {
                    assert_eq!(parsed.action(), action);
                }
            }
        }
    }
});

/// The webhook route without AWS: the request as `webhook::routes` builds it, the
/// signature check of `SigningKeys::check`, the body as `accept` reads it.
async fn webhook(method: Method, headers: HeaderMap, RawBody(body): RawBody) -> StatusCode {
    let request = WebhookRequest {
        method: method.as_str().to_ascii_uppercase(),
        headers,
        body,
    };
    let Ok(body) = request.body.as_deref() else {
        return StatusCode::PAYLOAD_TOO_LARGE;
    };
    let keys = [SigningKey::new(FUZZ_SECRET)];
    let is_standard = standard::is_standard(&request);
    let _ = standard::delivery_id(&request);
    let timestamp_header = if is_standard {
        standard::TIMESTAMP_HEADER
    } else {
        TIMESTAMP_HEADER
    };
    // Signed "now", so a signed seed is not stale; any time the header cannot give.
    let now = request
        .header(timestamp_header)
        .and_then(|t| t.trim().parse::<i64>().ok())
        .filter(|t| (0..=999_999_999_999).contains(t))
        .unwrap_or(DEFAULT_NOW);
    if is_standard {
        let (id, timestamp, signature) = (
            request.header(standard::ID_HEADER),
            request.header(standard::TIMESTAMP_HEADER),
            request.header(standard::SIGNATURE_HEADER),
        );
        if verify_standard(id, timestamp, signature, body, &keys, now).is_err() {
            return StatusCode::UNAUTHORIZED;
        }
        let (id, timestamp) = (id.unwrap().trim(), timestamp.unwrap().trim());
        let mut message = format!("{id}.{timestamp}.").into_bytes();
        message.extend_from_slice(body);
        let expected = base64::engine::general_purpose::STANDARD_NO_PAD.encode(hmac(&message));
        assert!(
            signature.unwrap().contains(&format!("v1,{expected}")),
            "a Standard Webhooks signature was accepted without the request's HMAC"
        );
    } else {
        let (timestamp, signature) = (request.header(TIMESTAMP_HEADER), request.header(SIGNATURE_HEADER));
        if verify(timestamp, signature, body, &keys, now).is_err() {
            return StatusCode::UNAUTHORIZED;
        }
        let mut message = format!("{}.", timestamp.unwrap().trim()).into_bytes();
        message.extend_from_slice(body);
        let expected = format!("sha256={}", hex::encode(hmac(&message)));
        assert!(
            signature.unwrap().trim().eq_ignore_ascii_case(&expected),
            "an X-Onboarding signature was accepted without the request's HMAC"
        );
    }
    if request.method != "POST" {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    let json = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let Ok(Ok(payload)) = strict_json::from_slice(json).map(|p| p.into_value()) else {
        return StatusCode::BAD_REQUEST;
    };
    let request = if is_standard {
        match standard_request(payload) {
            Ok(body) => body.request,
            Err(_) => return StatusCode::BAD_REQUEST,
        }
    } else {
        payload
    };
    match HrRequest::parse(&request, &CONFIG.allowed_groups) {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// HMAC-SHA256 of `message` under `FUZZ_SECRET`'s bytes (not a `whsec_` secret:
/// both schemes key with the string itself).
fn hmac(message: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(FUZZ_SECRET.as_bytes()).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}
