//! The `/scim/v2` router: the bearer token first (every path), then the
//! discovery, `/Users` and `/Groups` routes; the extractors they share (the
//! base URL, the call's context, a JSON body in SCIM's media types) and the one
//! place a SCIM answer is made.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lambda_runtime::Context;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tracing::{Instrument, info, info_span, warn};

use super::service::{Call, ScimService};
use super::{SCIM_MEDIA_TYPE, ScimError, discovery, groups, users};
use crate::http::RawBody;
use crate::http::webhook::{Rejection, SigningKey};
use crate::identity::AccountContext;

/// The SCIM routes under `/scim/v2`.
pub fn routes(service: Arc<ScimService>) -> Router {
    let api = Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route("/.search", post(discovery::search_everything))
        .route("/Users", get(users::list).post(users::create))
        .route("/Users/.search", post(users::search))
        .route(
            "/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::modify)
                .delete(users::delete),
        )
        .route("/Groups", get(groups::list).post(groups::create))
        .route("/Groups/.search", post(groups::search))
        .route(
            "/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::modify)
                .delete(groups::delete),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(service.clone(), authorize))
        .with_state(service);
    Router::new().nest("/scim/v2", api)
}

/// A SCIM `404` for a path with no resource.
pub async fn not_found() -> ScimError {
    ScimError::not_found("no SCIM resource at this path")
}

async fn method_not_allowed() -> ScimError {
    ScimError::method_not_allowed()
}

/// A SCIM answer: `body` as `application/scim+json`.
pub fn scim_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, SCIM_MEDIA_TYPE)],
        body.to_string(),
    )
        .into_response()
}

/// `response` with `Location: location` (RFC 7644 §3.3: a `201` names the new resource).
pub fn created(mut response: Response, location: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The bearer token of `headers`: `Authorization: Bearer <token>` (RFC 6750
/// §2.1, scheme in any case), or the bare token, which a provider's "HTTP
/// header" setting may send as entered (Okta's docs do not say which it sends).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => return None,
        None if value.eq_ignore_ascii_case("bearer") => return None,
        None => value,
    };
    (!token.is_empty()).then_some(token)
}

/// Whether `token` is one of the secret's versions, in constant time (the
/// SHA-256 digests are compared, so lengths leak nothing either).
fn token_matches(keys: &[SigningKey], token: &str) -> bool {
    let presented = Sha256::digest(token.as_bytes());
    keys.iter().fold(false, |found, key| {
        let stored = Sha256::digest(key.expose_text());
        found | bool::from(stored.ct_eq(&presented))
    })
}

/// Every SCIM request first: SCIM enabled (`SCIM_TOKEN_SECRET_ARN`), then the
/// bearer token, current or previous version (`401` otherwise). Logs the method
/// and path only.
async fn authorize(
    State(service): State<Arc<ScimService>>,
    request: Request,
    next: Next,
) -> Response {
    let span = info_span!("scim", method = %request.method(), path = %request.uri().path());
    async move {
        let Some(keys) = &service.token else {
            return ScimError::not_found(
                "SCIM is not enabled on this function (SCIM_TOKEN_SECRET_ARN is not set)",
            )
            .into_response();
        };
        let Some(token) = bearer(request.headers()) else {
            info!("SCIM request without a bearer token refused");
            return unauthorized();
        };
        let check = keys
            .check_with(|keys| {
                if token_matches(keys, token) {
                    Ok(())
                } else {
                    Err(Rejection::VendorSignature {
                        reason: "wrong SCIM token",
                        mismatch: true,
                    })
                }
            })
            .await;
        match check {
            Ok(()) => {
                let response = next.run(request).await;
                info!(status = response.status().as_u16(), "SCIM request answered");
                response
            }
            Err(Rejection::SecretUnavailable) => {
                warn!("the SCIM token secret cannot be read");
                ScimError::internal("the SCIM token cannot be read; nothing was changed")
                    .into_response()
            }
            Err(_) => {
                info!("SCIM request with a wrong bearer token refused");
                unauthorized()
            }
        }
    }
    .instrument(span)
    .await
}

fn unauthorized() -> Response {
    let mut response = ScimError::unauthorized().into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"scim\""),
    );
    response
}

/// The SCIM base URL of the request (`https://<host>/scim/v2`), for `Location`,
/// `meta.location` and `$ref`s; `http` for a loopback host (a local run).
pub struct Base(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let host = header("x-forwarded-host")
            .or_else(|| header("host"))
            .unwrap_or("localhost");
        let host: String = host
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(*c))
            .collect();
        let loopback =
            host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]");
        let scheme = match header("x-forwarded-proto") {
            Some("http") => "http",
            Some(_) => "https",
            None if loopback => "http",
            None => "https",
        };
        Ok(Self(format!("{scheme}://{host}/scim/v2")))
    }
}

/// The call's Lambda request id and account.
pub struct Ctx {
    /// The Lambda request id (the workflows' attempt id).
    pub request_id: String,
    /// The function's account.
    pub account: AccountContext,
}

impl Ctx {
    /// The workflows' view of this call.
    pub fn call(&self) -> Call<'_> {
        Call {
            request_id: &self.request_id,
            account: &self.account,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = parts
            .extensions
            .get::<Context>()
            .ok_or_else(|| ScimError::internal("no invocation context"))?;
        Ok(Self {
            request_id: context.request_id.clone(),
            account: AccountContext::from_function_arn(&context.invoked_function_arn),
        })
    }
}

/// A JSON body sent as `application/scim+json`, `application/json` or without
/// a content type. Errors: `415`, or `400 invalidSyntax` for a body that is not JSON.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ScimError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        if let Some(media) = media
            && media != SCIM_MEDIA_TYPE
            && media != "application/json"
        {
            return Err(ScimError::unsupported_media_type());
        }
        let RawBody(body) = RawBody::from_request(request, state)
            .await
            .unwrap_or_else(|never| match never {});
        let body = body.map_err(|e| ScimError::bad_request("invalidSyntax", e.to_string()))?;
        serde_json::from_slice(&body)
            .map(Self)
            .map_err(|_| ScimError::bad_request("invalidSyntax", "the body is not JSON"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_with_or_without_its_scheme() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            bearer(&headers).map(str::to_string)
        };
        assert_eq!(with("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(with("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(with("abc").as_deref(), Some("abc"));
        assert_eq!(with("Basic abc"), None);
        assert_eq!(with("Bearer "), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
