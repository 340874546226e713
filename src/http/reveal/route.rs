//! `/reveal/<id>`: `GET`/`HEAD` answer the static page and change nothing (mail
//! scanners follow links); the page's `POST` with the proof consumes the record
//! once and returns the sealed password, which the page decrypts with the key in
//! the link's fragment. Nothing after the id (a key a mail gateway moved into
//! the path) is logged, stored or echoed. Every answer carries
//! [`security_headers`]; errors are JSON `{outcome|error, …}`.

use axum::Router;
use axum::extract::Extension;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;
use tracing::{info, warn};

use crate::aws::reveals::Consumed;
use crate::http::RawBody;
use crate::identity::reveal_link::{ID_LENGTH, RevealId, RevealRefusal, proof_hash};
use crate::reveal::PasswordHandover;

/// The page's Content-Security-Policy: its own script and style only, no inline
/// code, no frames, no forms, no base.
pub const REVEAL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";
/// Largest reveal `POST` body, in bytes (a proof is 43 characters).
pub const REVEAL_MAX_BODY_BYTES: usize = 4096;

const PAGE: &str = include_str!("assets/page.html");
const SCRIPT: &str = include_str!("assets/reveal.js");
const STYLE: &str = include_str!("assets/reveal.css");
const ICON: &str = include_str!("assets/icon.svg");

const NOT_FOUND_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Link not found</title></head><body><h1>This link is not valid</h1>\
<p>Ask your IT team for a new one.</p></body></html>\n";

/// The `/reveal` routes; `handover` is off (`PASSWORD_DELIVERY=email`) → every
/// path answers the not-found page.
pub fn routes(handover: PasswordHandover) -> Router {
    Router::new().nest(
        "/reveal",
        Router::new()
            .route("/assets/reveal.js", any(script))
            .route("/assets/reveal.css", any(style))
            .route("/assets/icon.svg", any(icon))
            .route("/{segment}", any(reveal))
            .fallback(not_found)
            .layer(Extension(handover))
            .layer(map_response(security_headers)),
    )
}

/// Headers on every `/reveal` answer: the CSP, no referrer, no caching, no
/// sniffing, HTTPS only, a separate browsing context, no indexing.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, REVEAL_CSP),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("x-robots-tag"),
            "noindex, nofollow",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn asset(method: &Method, content_type: &'static str, body: &'static str) -> Response {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return method_not_allowed("GET, HEAD");
    }
    (
        [(header::CONTENT_TYPE, content_type)],
        for_method(method, body),
    )
        .into_response()
}

/// `body` for a GET, nothing for a HEAD (RFC 9110 §9.3.2); the headers stay.
fn for_method(method: &Method, body: &'static str) -> &'static str {
    if *method == Method::HEAD { "" } else { body }
}

async fn script(method: Method) -> Response {
    asset(&method, "text/javascript; charset=utf-8", SCRIPT)
}

async fn style(method: Method) -> Response {
    asset(&method, "text/css; charset=utf-8", STYLE)
}

async fn icon(method: Method) -> Response {
    asset(&method, "image/svg+xml", ICON)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        NOT_FOUND_PAGE,
    )
        .into_response()
}

fn method_not_allowed(allow: &'static str) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, allow)],
        json_body(json!({"error": "method_not_allowed"})),
    )
        .into_response()
}

fn json_body(value: serde_json::Value) -> ([(header::HeaderName, &'static str); 1], String) {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
}

fn error(status: StatusCode, error: &str, detail: &str) -> Response {
    (status, json_body(json!({"error": error, "detail": detail}))).into_response()
}

/// The id at the start of a path segment, when what follows it is nothing or
/// a key a gateway moved into the path (`#`, `%23`, `%2523`, any case).
/// `segment` is the raw (still percent-encoded) segment.
pub fn id_of(segment: &str) -> Option<RevealId> {
    let id = RevealId::parse(segment.get(..ID_LENGTH)?)?;
    let rest = segment[ID_LENGTH..].to_ascii_lowercase();
    (rest.is_empty() || rest.starts_with("%23") || rest.starts_with("%2523")).then_some(id)
}

/// The raw last segment of the request path (axum's `Path` would decode it, and
/// its rejection would echo it).
fn raw_segment(uri: &Uri) -> &str {
    uri.path().rsplit('/').next().unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevealBody {
    proof: String,
}

async fn reveal(
    Extension(handover): Extension<PasswordHandover>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: RawBody,
) -> Response {
    let segment = raw_segment(&uri);
    let (Some(id), true) = (id_of(segment), handover.is_link()) else {
        return not_found().await;
    };
    match method {
        Method::GET | Method::HEAD => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            for_method(&method, PAGE),
        )
            .into_response(),
        // A key in the path is only ever read by the page, never posted.
        Method::POST if segment == id.as_str() => consume(&handover, &id, &headers, body).await,
        Method::POST => not_found().await,
        _ => method_not_allowed("GET, HEAD, POST"),
    }
}

/// The POST: origin, content type, size and shape checked before the one
/// conditional write.
async fn consume(
    handover: &PasswordHandover,
    id: &RevealId,
    headers: &HeaderMap,
    body: RawBody,
) -> Response {
    let reveal = id.log_hash();
    let origin = match handover.origin().await {
        Some(Ok(origin)) => origin,
        Some(Err(err)) => {
            warn!(reveal, aws_error = %err.code, "the function's URL could not be read");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            );
        }
        None => return not_found().await,
    };
    let sent_origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    if sent_origin.as_deref() != Some(origin.as_str()) {
        info!(
            reveal,
            outcome = "refused",
            reason = "origin",
            "reveal answered"
        );
        return error(
            StatusCode::FORBIDDEN,
            "origin",
            "a reveal is accepted only from this function's own page",
        );
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "the body must be application/json",
        );
    }
    let bytes = match body.0 {
        Ok(bytes) if bytes.len() <= REVEAL_MAX_BODY_BYTES => bytes,
        _ => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the body must be at most 4096 bytes",
            );
        }
    };
    let Some(hash) = serde_json::from_slice::<RevealBody>(&bytes)
        .ok()
        .and_then(|body| proof_hash(&body.proof))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "proof",
            "the body must be {\"proof\": <43 base64url characters>}",
        );
    };
    match handover.consume(id, &hash).await {
        Some(Ok(Consumed::Revealed { nonce, ciphertext })) => {
            info!(reveal, outcome = "revealed", "reveal answered");
            (
                StatusCode::OK,
                json_body(json!({
                    "nonce": URL_SAFE_NO_PAD.encode(nonce),
                    "ciphertext": URL_SAFE_NO_PAD.encode(ciphertext),
                })),
            )
                .into_response()
        }
        Some(Ok(Consumed::Refused(refusal))) => {
            let outcome = refusal.outcome();
            info!(reveal, outcome, "reveal answered");
            let at = match refusal {
                RevealRefusal::AlreadyViewed { at }
                | RevealRefusal::Replaced { at }
                | RevealRefusal::Expired { at } => Some(at),
                _ => None,
            };
            (
                StatusCode::GONE,
                json_body(json!({"outcome": outcome, "at": at})),
            )
                .into_response()
        }
        Some(Err(err)) => {
            warn!(reveal, aws_error = %err.code, "the reveal record could not be read");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            )
        }
        None => not_found().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn no_path_segment_makes_the_id_reader_panic(segment in "\\PC{0,80}") {
            if let Some(id) = id_of(&segment) {
                proptest::prop_assert!(segment.starts_with(id.as_str()));
            }
        }
    }

    #[test]
    fn an_id_may_be_followed_only_by_a_key_a_gateway_moved_into_the_path() {
        let id = "AAAAAAAAAAAAAAAAAAAAAA";
        assert!(id_of(id).is_some());
        for mangled in ["%23key", "%2523key", "%23", "%2523"] {
            assert!(id_of(&format!("{id}{mangled}")).is_some(), "{mangled}");
        }
        for bad in [
            "",
            "short",
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAx",
            "AAAAAAAAAAAAAAAAAAAAAA%2F",
            "ÄAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(id_of(bad).is_none(), "{bad}");
        }
    }
}
