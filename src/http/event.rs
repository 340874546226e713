//! HTTP-shaped Lambda events (Function URL and API Gateway HTTP API, payload 2.0;
//! API Gateway REST, 1.0; ALB; `sam local` and the console's test shapes), told
//! apart by their fields, served by the router as `http::Request`s and answered in
//! the response shape of their origin (aws_lambda_events' types both ways).
//!
//! The conversion is ours, not lambda_http's: lambda_http panics on a body that is
//! not base64 and on a path that is not a URI (`expect`), and its response side
//! links encoding_rs (3 MiB more binary with it, against a 10 % budget).

use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body as EventBody;
use aws_lambda_events::query_map::QueryMap;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use lambda_runtime::Context;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::body::{BodyError, MAX_BODY_BYTES, decode_body};

/// Which kind of event a request came in, so the answer takes its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Function URL, API Gateway HTTP API (payload 2.0).
    V2,
    /// API Gateway REST (payload 1.0).
    Rest,
    /// Application Load Balancer.
    Alb,
}

/// An HTTP request as the Lambda runtime delivered it: method, path and query,
/// headers, and the body decoded (or why it is unusable).
#[derive(Debug)]
pub struct HttpEvent {
    origin: Origin,
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Result<Vec<u8>, BodyError>,
}

/// Why an event that looks like HTTP is not one this function can serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {shape} event: {reason}")]
pub struct NotHttp {
    shape: &'static str,
    reason: String,
}

/// `path` (`/` when empty) with `query` appended when there is one.
fn path_and_query(path: Option<String>, query: String) -> String {
    let path = path.filter(|p| !p.is_empty()).unwrap_or_else(|| "/".into());
    match query.is_empty() {
        true => path,
        false => format!("{path}?{query}"),
    }
}

/// A query map (REST, ALB) as a query string, every value encoded.
fn encode_query(single: &QueryMap, multi: &QueryMap) -> String {
    let map = if multi.is_empty() { single } else { multi };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in map.iter() {
        query.append_pair(key, value);
    }
    query.finish()
}

impl HttpEvent {
    /// Whether `event` has the shape of an HTTP event: a `requestContext` with
    /// an `http` member or `version: "2.0"` (payload 2.0), or an `httpMethod`
    /// (REST 1.0, ALB). A direct request never has these (it refuses unknown fields).
    pub fn is_http(event: &Value) -> bool {
        event.get("requestContext").is_some()
            && (event.pointer("/requestContext/http").is_some()
                || event.get("version") == Some(&"2.0".into())
                || event.get("httpMethod").is_some())
    }

    /// Reads an event [`HttpEvent::is_http`] recognised, its body decoded with
    /// the size limit. Paths are the client's, without an API Gateway stage.
    pub fn from_event(event: Value) -> Result<Self, NotHttp> {
        let not = |shape, e: serde_json::Error| NotHttp {
            shape,
            reason: e.to_string(),
        };
        let is_v2 = event.pointer("/requestContext/http").is_some()
            || event.get("version") == Some(&"2.0".into());
        if is_v2 {
            let request: ApiGatewayV2httpRequest =
                serde_json::from_value(event).map_err(|e| not("HTTP API / Function URL", e))?;
            let mut headers = request.headers;
            // Payload 2.0 moves cookies out of the headers (AWS Lambda Developer Guide,
            // "Lambda function URLs", request payload).
            if let Some(cookies) = request.cookies.filter(|c| !c.is_empty())
                && let Ok(value) = HeaderValue::from_str(&cookies.join("; "))
            {
                headers.insert(header::COOKIE, value);
            }
            return Ok(Self {
                origin: Origin::V2,
                method: request.request_context.http.method,
                path_and_query: path_and_query(
                    request.raw_path,
                    request.raw_query_string.unwrap_or_default(),
                ),
                headers,
                body: decode_body(request.body, request.is_base64_encoded),
            });
        }
        if event.pointer("/requestContext/elb").is_some() {
            let request: AlbTargetGroupRequest =
                serde_json::from_value(event).map_err(|e| not("ALB", e))?;
            let query = encode_query(
                &request.query_string_parameters,
                &request.multi_value_query_string_parameters,
            );
            return Ok(Self {
                origin: Origin::Alb,
                method: request.http_method,
                path_and_query: path_and_query(request.path, query),
                headers: merged(request.headers, request.multi_value_headers),
                body: decode_body(request.body, request.is_base64_encoded),
            });
        }
        let request: ApiGatewayProxyRequest =
            serde_json::from_value(event).map_err(|e| not("API Gateway REST", e))?;
        let query = encode_query(
            &request.query_string_parameters,
            &request.multi_value_query_string_parameters,
        );
        Ok(Self {
            origin: Origin::Rest,
            method: request.http_method,
            // `path` is the resource path as the client sent it, without the stage.
            path_and_query: path_and_query(request.path, query),
            headers: merged(request.headers, request.multi_value_headers),
            body: decode_body(request.body, request.is_base64_encoded),
        })
    }

    /// Serves this request with `router`; the answer is the Lambda response of
    /// the event's origin (`statusCode`, headers, body). The Lambda `context` is a
    /// request extension; an unusable body is one too ([`BodyError`]), with an empty
    /// body. A path that is not a URI is answered 400 without routing.
    pub async fn serve(self, router: &Router, context: Context) -> Value {
        let Self {
            origin,
            method,
            path_and_query,
            headers,
            body,
        } = self;
        let Ok(uri) = path_and_query.parse::<Uri>() else {
            let response = Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"error": {"code": "InvalidPath", "message": "the request path is not a valid URI"}})
                        .to_string(),
                ))
                .unwrap_or_default();
            return lambda_response(origin, response).await;
        };
        let mut request = Request::new(Body::empty());
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        match body {
            Ok(bytes) => *request.body_mut() = Body::from(bytes),
            Err(err) => {
                request.extensions_mut().insert(err);
            }
        }
        request.extensions_mut().insert(context);
        let Ok(response) = router.clone().oneshot(request).await;
        lambda_response(origin, response).await
    }
}

/// REST and ALB send single- and multi-valued headers; the multi-valued ones hold all.
fn merged(single: HeaderMap, multi: HeaderMap) -> HeaderMap {
    if multi.is_empty() { single } else { multi }
}

/// Whether a body of `content_type` travels as text (else base64).
fn is_text(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || [
            "application/json",
            "application/javascript",
            "application/xml",
        ]
        .contains(&essence.as_str())
}

/// `response` as the Lambda response its origin expects.
async fn lambda_response(origin: Origin, response: Response<Body>) -> Value {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES * 4)
        .await
        .unwrap_or_default();
    let text = is_text(parts.headers.get(header::CONTENT_TYPE));
    let body = match (bytes.is_empty(), text) {
        (true, _) => None,
        (false, true) => Some(EventBody::Text(
            String::from_utf8_lossy(&bytes).into_owned(),
        )),
        (false, false) => Some(EventBody::Binary(bytes.to_vec())),
    };
    let base64 = matches!(body, Some(EventBody::Binary(_)));
    let status = i64::from(parts.status.as_u16());
    let value = match origin {
        Origin::V2 => {
            let mut out = ApiGatewayV2httpResponse::default();
            out.status_code = status;
            out.headers = parts.headers;
            out.body = body;
            out.is_base64_encoded = base64;
            serde_json::to_value(out)
        }
        Origin::Rest => {
            let mut out = ApiGatewayProxyResponse::default();
            out.status_code = status;
            out.headers = parts.headers;
            out.body = body;
            out.is_base64_encoded = base64;
            serde_json::to_value(out)
        }
        Origin::Alb => {
            let mut out = AlbTargetGroupResponse::default();
            out.status_code = status;
            out.status_description = Some(parts.status.to_string());
            out.headers = parts.headers;
            out.body = body;
            out.is_base64_encoded = base64;
            serde_json::to_value(out)
        }
    };
    value.unwrap_or_else(|e| {
        tracing::error!(error = %e, "response could not be serialised");
        json!({"statusCode": 500})
    })
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, Method, Uri};
    use serde_json::json;

    use super::*;
    use crate::http::RawBody;
    use crate::http::{reveal, scim};
    use crate::reveal::PasswordHandover;

    /// A router that answers with what it was given.
    fn echo() -> Router {
        let echo = |method: Method, uri: Uri, headers: HeaderMap, RawBody(body): RawBody| async move {
            let body = match body {
                Ok(bytes) => json!(String::from_utf8_lossy(&bytes)),
                Err(err) => json!({"error": err.to_string()}),
            };
            let signature = headers
                .get("x-onboarding-signature")
                .map(|v| v.to_str().unwrap());
            json!({"method": method.as_str(), "path": uri.path(), "query": uri.query(),
                "signature": signature, "body": body})
            .to_string()
        };
        Router::new()
            .nest("/scim/v2", Router::new().fallback(scim::not_found))
            .merge(reveal::routes(PasswordHandover::email()))
            .merge(Router::new().fallback(echo))
    }

    async fn serve(event: Value) -> Value {
        assert!(HttpEvent::is_http(&event), "{event}");
        HttpEvent::from_event(event)
            .unwrap()
            .serve(&echo(), Context::default())
            .await
    }

    fn body(response: &Value) -> Value {
        serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
    }

    fn function_url(path: &str, headers: Value, body: &str, base64: bool) -> Value {
        json!({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "a=1",
            "headers": headers,
            "requestContext": {"accountId": "123456789012", "apiId": "abc", "domainName": "abc.lambda-url.us-east-1.on.aws",
                "domainPrefix": "abc", "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.1", "userAgent": "hr"}, "requestId": "r1", "routeKey": "$default",
                "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0},
            "body": body, "isBase64Encoded": base64
        })
    }

    #[tokio::test]
    async fn a_function_url_event_becomes_a_request_with_its_decoded_body() {
        let headers =
            json!({"X-Onboarding-Signature": "sha256=ab", "content-type": "application/json"});
        let response = serve(function_url("/", headers, "eyJhIjoxfQ==", true)).await;
        assert_eq!(response["statusCode"], 200);
        assert_eq!(
            body(&response),
            json!({"method": "POST", "path": "/", "query": "a=1", "signature": "sha256=ab", "body": "{\"a\":1}"})
        );
    }

    #[tokio::test]
    async fn header_names_are_case_insensitive() {
        for name in ["X-ONBOARDING-SIGNATURE", "x-onboarding-signature"] {
            let event = json!({"version": "2.0", "rawPath": "/", "headers": {name: "sha256=ab"},
                "requestContext": {"http": {"method": "post", "path": "/"}}, "isBase64Encoded": false});
            assert_eq!(
                body(&serve(event).await)["signature"],
                "sha256=ab",
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn rest_and_alb_events_keep_their_path_without_the_stage() {
        let rest = json!({
            "resource": "/onboard", "path": "/onboard", "httpMethod": "GET", "headers": {"Host": "x"},
            "multiValueHeaders": {}, "queryStringParameters": null, "requestContext": {"accountId": "123456789012",
            "resourceId": "r", "stage": "prod", "requestId": "id", "httpMethod": "GET", "path": "/prod/onboard",
            "identity": {}, "resourcePath": "/onboard", "apiId": "a"}, "body": null, "isBase64Encoded": false
        });
        let response = serve(rest).await;
        assert_eq!(response["statusCode"], 200);
        let echoed = body(&response);
        assert_eq!(
            (echoed["method"].as_str(), echoed["path"].as_str()),
            (Some("GET"), Some("/onboard"))
        );
        assert_eq!(echoed["body"], "");
        let alb = json!({"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}},
            "httpMethod": "POST", "path": "/scim/v2/Users", "queryStringParameters": {}, "headers": {},
            "body": "x", "isBase64Encoded": false});
        let response = serve(alb).await;
        assert_eq!(response["statusCode"], 404, "{response}");
        assert_eq!(body(&response)["status"], "404");
    }

    #[tokio::test]
    async fn a_body_that_is_not_base64_is_a_body_error_not_a_panic() {
        let response = serve(function_url("/", json!({}), "not base64!", true)).await;
        assert_eq!(
            body(&response)["body"]["error"],
            BodyError::BadBase64.to_string()
        );
    }

    #[tokio::test]
    async fn each_prefix_answers_404_in_its_own_format() {
        let scim = serve(function_url("/scim/v2/Users", json!({}), "", false)).await;
        assert_eq!(scim["statusCode"], 404);
        assert_eq!(scim["headers"]["content-type"], scim::SCIM_MEDIA_TYPE);
        assert_eq!(
            body(&scim)["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(body(&scim)["status"], "404");
        let reveal = serve(function_url("/reveal/x", json!({}), "", false)).await;
        assert_eq!(reveal["statusCode"], 404);
        assert!(
            reveal["headers"]["content-type"]
                .as_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            reveal["headers"]["content-security-policy"]
                .as_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        // Outside the prefixes, the fallback (the webhook in the function).
        for path in ["/", "/onboard", "/scimx", "/hrx/y"] {
            let other = serve(function_url(path, json!({}), "", false)).await;
            assert_eq!(body(&other)["path"], path);
        }
    }

    #[tokio::test]
    async fn a_path_that_is_not_a_uri_is_a_400_not_a_panic() {
        for path in ["/a b", "/\u{7f}", "no-slash\"quote"] {
            let response = serve(function_url(path, json!({}), "", false)).await;
            assert_eq!(response["statusCode"], 400, "{path}: {response}");
            assert_eq!(body(&response)["error"]["code"], "InvalidPath");
        }
    }

    #[tokio::test]
    async fn each_origin_gets_its_response_shape() {
        let rest = json!({"path": "/", "httpMethod": "POST", "headers": {}, "requestContext": {"httpMethod": "POST"},
            "body": "x", "isBase64Encoded": false});
        let response = serve(rest).await;
        assert_eq!(
            response["headers"]["content-type"], "text/plain; charset=utf-8",
            "{response}"
        );
        assert_eq!(response["isBase64Encoded"], false);
        let alb = json!({"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}},
            "httpMethod": "GET", "path": "/x", "headers": {}, "isBase64Encoded": false});
        let response = serve(alb).await;
        assert_eq!(response["statusDescription"], "200 OK", "{response}");
    }

    #[test]
    fn a_shape_that_cannot_be_read_is_named() {
        let event = json!({"version": "2.0", "requestContext": {"http": {"method": 7}}});
        let err = HttpEvent::from_event(event).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a valid HTTP API / Function URL event"),
            "{err}"
        );
    }
}
