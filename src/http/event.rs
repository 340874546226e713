//! HTTP-shaped Lambda events (Function URL and API Gateway HTTP API, payload 2.0;
//! API Gateway REST, 1.0; ALB; `sam local` and the console's test shapes), told
//! apart by their fields, served by the router as `http::Request`s, answered in the
//! response shape of their origin. lambda_http does the conversions both ways.

use std::convert::Infallible;

use aws_lambda_events::alb::AlbTargetGroupRequest;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use axum::Router;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::body::{BodyError, decode_body};

/// An HTTP request as the Lambda runtime delivered it: the event without its body,
/// and the body decoded (or why it is unusable).
#[derive(Debug)]
pub struct HttpEvent {
    request: LambdaRequest,
    body: Result<Vec<u8>, BodyError>,
}

/// Why an event that looks like HTTP is not one this function can serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {shape} event: {reason}")]
pub struct NotHttp {
    shape: &'static str,
    reason: String,
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

    /// Reads an event [`HttpEvent::is_http`] recognised; the body is taken out and
    /// decoded with the project's limits before lambda_http sees the rest.
    pub fn from_event(event: Value) -> Result<Self, NotHttp> {
        let not = |shape, e: serde_json::Error| NotHttp {
            shape,
            reason: e.to_string(),
        };
        let is_v2 = event.pointer("/requestContext/http").is_some()
            || event.get("version") == Some(&"2.0".into());
        if is_v2 {
            let mut request: ApiGatewayV2httpRequest =
                serde_json::from_value(event).map_err(|e| not("HTTP API / Function URL", e))?;
            let body = decode_body(request.body.take(), request.is_base64_encoded);
            request.is_base64_encoded = false;
            // Routes are matched on the path the client used, without a stage prefix.
            request.request_context.stage = None;
            return Ok(Self {
                request: LambdaRequest::ApiGatewayV2(request),
                body,
            });
        }
        if event.pointer("/requestContext/elb").is_some() {
            let mut request: AlbTargetGroupRequest =
                serde_json::from_value(event).map_err(|e| not("ALB", e))?;
            let body = decode_body(request.body.take(), request.is_base64_encoded);
            request.is_base64_encoded = false;
            return Ok(Self {
                request: LambdaRequest::Alb(request),
                body,
            });
        }
        let mut request: ApiGatewayProxyRequest =
            serde_json::from_value(event).map_err(|e| not("API Gateway REST", e))?;
        let body = decode_body(request.body.take(), request.is_base64_encoded);
        request.is_base64_encoded = false;
        request.request_context.stage = None;
        Ok(Self {
            request: LambdaRequest::ApiGatewayV1(request),
            body,
        })
    }

    /// Serves this request with `router`; the answer is the Lambda response of
    /// the event's origin (`statusCode`, headers, body). The Lambda `context` is a
    /// request extension; an unusable body is one too ([`BodyError`]), with an empty body.
    pub async fn serve(self, router: &Router, context: Context) -> Value {
        let Self { request, body } = self;
        let mut body = Some(body);
        let router = router.clone();
        let service = tower::service_fn(move |request: lambda_http::Request| {
            let (mut parts, _) = request.into_parts();
            let bytes = match body.take() {
                Some(Ok(bytes)) => bytes,
                Some(Err(err)) => {
                    parts.extensions.insert(err);
                    Vec::new()
                }
                None => Vec::new(),
            };
            let request = axum::http::Request::from_parts(parts, axum::body::Body::from(bytes));
            router.clone().oneshot(request)
        });
        let mut adapter = Adapter::from(service);
        let response: Result<_, Infallible> =
            adapter.call(LambdaEvent::new(request, context)).await;
        let Ok(response) = response;
        serde_json::to_value(response).unwrap_or_else(|e| {
            tracing::error!(error = %e, "response could not be serialised");
            json!({"statusCode": 500, "body": ""})
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, Method, Uri};
    use serde_json::json;

    use super::*;
    use crate::http::RawBody;
    use crate::http::reserved;

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
        reserved::routes().merge(Router::new().fallback(echo))
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
            "httpMethod": "POST", "path": "/hr/bamboohr", "queryStringParameters": {}, "headers": {},
            "body": "x", "isBase64Encoded": false});
        let response = serve(alb).await;
        assert_eq!(response["statusCode"], 404, "{response}");
        assert_eq!(body(&response)["error"]["code"], "NotFound");
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
    async fn each_reserved_prefix_answers_404_in_its_own_format() {
        let scim = serve(function_url("/scim/v2/Users", json!({}), "", false)).await;
        assert_eq!(scim["statusCode"], 404);
        assert_eq!(scim["headers"]["content-type"], reserved::SCIM_MEDIA_TYPE);
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
        let hr = serve(function_url("/hr/x", json!({}), "", false)).await;
        assert_eq!(
            (
                hr["statusCode"].as_u64(),
                body(&hr)["error"]["code"].as_str()
            ),
            (Some(404), Some("NotFound"))
        );
        // Outside the prefixes, the fallback (the webhook in the function).
        for path in ["/", "/onboard", "/scimx", "/hrx/y"] {
            let other = serve(function_url(path, json!({}), "", false)).await;
            assert_eq!(body(&other)["path"], path);
        }
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
