//! Signed HR webhooks through the handler, with the secret in moto's Secrets Manager.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use iam_onboarding::handler::App;
use iam_onboarding::http::webhook::SigningKey;
use serde_json::{Value, json};

use crate::world::{WEBHOOK_SECRET, World, invoke};

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A Lambda Function URL event (payload format 2.0).
pub fn function_url_event(method: &str, headers: Value, body: &str, base64: bool) -> Value {
    let body = if base64 {
        base64::engine::general_purpose::STANDARD.encode(body)
    } else {
        body.to_string()
    };
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "", "headers": headers,
        "requestContext": {"accountId": "anonymous", "apiId": "abcdefgh", "domainName": "abcdefgh.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefgh", "http": {"method": method, "path": "/", "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10", "userAgent": "hr-system/1.0"}, "requestId": "c0ffee", "routeKey": "$default",
            "stage": "$default", "time": "27/Nov/2026:09:00:00 +0000", "timeEpoch": 1795770000000u64},
        "body": body, "isBase64Encoded": base64
    })
}

pub fn signed(body: &str, secret: &str, timestamp: i64) -> Value {
    let ts = timestamp.to_string();
    let signature = SigningKey::new(secret).sign(&ts, body.as_bytes());
    json!({"content-type": "application/json", "X-Onboarding-Timestamp": ts, "X-Onboarding-Signature": signature})
}

pub fn http(response: &Value) -> (u64, Value) {
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    (response["statusCode"].as_u64().unwrap(), body)
}

/// POSTs `body` signed with the real secret; returns the HTTP status and JSON body.
pub async fn post_signed(app: &App, body: &str) -> (u64, Value) {
    let event = function_url_event("POST", signed(body, WEBHOOK_SECRET, now()), body, false);
    http(&invoke(app, event).await.unwrap())
}

fn jane_body() -> String {
    json!({"employee": {"email": "jane.doe@example.com", "employeeId": "E-1042", "groups": ["developers"]}}).to_string()
}

#[tokio::test]
async fn a_signed_webhook_onboards_and_a_repeat_is_200() {
    let world = World::new().await;
    let app = world.app(&[]);
    let body = jane_body();
    let event = function_url_event("POST", signed(&body, WEBHOOK_SECRET, now()), &body, true);
    let (status, response) = http(&invoke(&app, event.clone()).await.unwrap());
    assert_eq!(status, 201, "{response}");
    assert_eq!(response["results"][0]["status"], "created");
    assert_eq!(response["requestId"], "test-request-1");
    assert_eq!(world.moto.emails().len(), 1);

    let (status, response) = http(&invoke(&app, event).await.unwrap());
    assert_eq!(status, 200);
    assert_eq!(response["results"][0]["status"], "already_onboarded");
}

#[tokio::test]
async fn unsigned_or_badly_signed_requests_are_401_and_change_nothing() {
    let world = World::new().await;
    let app = world.app(&[]);
    let body = jane_body();
    let cases = [
        ("no headers", json!({"content-type": "application/json"})),
        ("wrong secret", signed(&body, "not-the-secret", now())),
        ("stale", signed(&body, WEBHOOK_SECRET, now() - 301)),
        ("future", signed(&body, WEBHOOK_SECRET, now() + 400)),
        ("other body", signed("{}", WEBHOOK_SECRET, now())),
    ];
    for (name, headers) in cases {
        let (status, response) = http(
            &invoke(&app, function_url_event("POST", headers, &body, false))
                .await
                .unwrap(),
        );
        assert_eq!(status, 401, "{name}: {response}");
        assert_eq!(response["error"]["code"], "InvalidSignature");
        assert!(!response.to_string().contains(WEBHOOK_SECRET));
    }
    assert!(world.moto.user_names().is_empty());
    assert!(world.moto.emails().is_empty());
}

#[tokio::test]
async fn http_status_codes_follow_the_contract() {
    let world = World::new().await;
    world
        .iam()
        .create_user()
        .user_name("taken")
        .send()
        .await
        .unwrap();
    let app = world.app(&[]);
    let send = |body: String| {
        let app = &app;
        async move { post_signed(app, &body).await }
    };

    let (status, _) = http(
        &invoke(&app, function_url_event("GET", json!({}), "", false))
            .await
            .unwrap(),
    );
    assert_eq!(status, 405);
    let (status, response) = send("{\"employee\": ".into()).await;
    assert_eq!(
        (status, response["error"]["code"].as_str()),
        (400, Some("InvalidJson"))
    );
    let (status, response) = send(json!({"employee": {"email": "x"}}).to_string()).await;
    assert_eq!(status, 400, "{response}");
    assert_eq!(response["results"][0]["error"]["field"], "employee.email");
    let (status, response) = send(json!({"employees": "nope"}).to_string()).await;
    assert_eq!(
        (status, response["error"]["field"].as_str()),
        (400, Some("employees"))
    );
    let (status, _) = send(json!({"employee": {"email": "taken@example.com"}}).to_string()).await;
    assert_eq!(status, 409);
    let (status, response) =
        send(json!({"dryRun": true, "employee": {"email": "dry@example.com"}}).to_string()).await;
    assert_eq!(
        (status, response["results"][0]["status"].as_str()),
        (200, Some("dry_run"))
    );
    let mixed = json!({"employees": [{"email": "ok@example.com"}, {"email": "bad"}]}).to_string();
    let (status, response) = send(mixed).await;
    assert_eq!(status, 207, "{response}");
    let big = format!(
        "{{\"employee\": {{\"email\": \"a@example.com\", \"givenName\": \"{}\"}}}}",
        "x".repeat(300_000)
    );
    let (status, response) = send(big).await;
    assert_eq!(
        (status, response["error"]["code"].as_str()),
        (413, Some("PayloadTooLarge"))
    );
    let leaver =
        |email: &str| json!({"action": "offboard", "employee": {"email": email}}).to_string();
    let (status, response) = send(leaver("gone@example.com")).await;
    assert_eq!(
        (status, response["results"][0]["status"].as_str()),
        (404, Some("not_found"))
    );
    let (status, response) = send(leaver("ok@example.com")).await;
    assert_eq!(
        (status, response["results"][0]["status"].as_str()),
        (200, Some("offboarded")),
        "{response}"
    );
    assert_eq!(world.moto.user_names().len(), 2, "only taken and ok@ exist");
}

#[tokio::test]
async fn failures_are_500_with_a_request_id_and_no_internals() {
    let world = World::new().await;
    world.delete_group("developers").await;
    let app = world.app(&[]);
    let body = jane_body();
    let (status, response) = post_signed(&app, &body).await;
    assert_eq!(status, 500, "{response}");
    let error = &response["results"][0]["error"];
    assert_eq!(error["code"], "InternalError");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("test-request-1")
    );
    assert!(
        !response.to_string().contains("NoSuchEntity")
            && !response.to_string().contains("add_to_group")
    );

    // Without a readable secret nothing is checked or written: 500.
    let app = world.app(&[(
        "WEBHOOK_SECRET_ARN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf",
    )]);
    let (status, response) = post_signed(&app, &body).await;
    assert_eq!(
        (status, response["error"]["requestId"].as_str()),
        (500, Some("test-request-1"))
    );
}

#[tokio::test]
async fn both_secret_versions_are_accepted_during_rotation() {
    let world = World::new().await;
    aws_sdk_secretsmanager::Client::new(&world.sdk)
        .put_secret_value()
        .secret_id(&world.secret_arn)
        .secret_string("whsec-rotated-value")
        .send()
        .await
        .unwrap();
    let app = world.app(&[]);
    for (i, secret) in ["whsec-rotated-value", WEBHOOK_SECRET]
        .into_iter()
        .enumerate()
    {
        let body = json!({"employee": {"email": format!("rot{i}@example.com")}}).to_string();
        let event = function_url_event("POST", signed(&body, secret, now()), &body, false);
        let (status, response) = http(&invoke(&app, event).await.unwrap());
        assert_eq!(status, 201, "secret #{i}: {response}");
    }
    let body = jane_body();
    let event = function_url_event(
        "POST",
        signed(&body, "an-old-old-secret", now()),
        &body,
        false,
    );
    assert_eq!(http(&invoke(&app, event).await.unwrap()).0, 401);
}

#[tokio::test]
async fn a_body_starting_with_a_byte_order_mark_is_accepted_on_every_http_shape() {
    // Issue 11, input 3: signed over the bytes as sent, BOM included.
    let world = World::new().await;
    let app = world.app(&[]);
    let body_for = |name: &str| {
        format!(
            "\u{feff}{}",
            json!({"employee": {"email": format!("{name}@example.com")}})
        )
    };
    let mut events = Vec::new();
    for (name, base64) in [("sam.ortiz", false), ("sam.base64", true)] {
        let body = body_for(name);
        events.push(function_url_event(
            "POST",
            signed(&body, WEBHOOK_SECRET, now()),
            &body,
            base64,
        ));
    }
    // API Gateway REST (payload 1.0).
    let body = body_for("sam.rest");
    events.push(json!({
        "resource": "/onboard", "path": "/onboard", "httpMethod": "POST",
        "headers": signed(&body, WEBHOOK_SECRET, now()), "multiValueHeaders": {},
        "requestContext": {"accountId": "123456789012", "resourceId": "r", "stage": "prod", "requestId": "id",
            "httpMethod": "POST", "path": "/prod/onboard", "identity": {}, "resourcePath": "/onboard", "apiId": "a"},
        "body": body, "isBase64Encoded": false
    }));
    for event in events {
        let (status, response) = http(&invoke(&app, event).await.unwrap());
        assert_eq!(status, 201, "{response}");
        assert_eq!(response["results"][0]["status"], "created");
    }
    assert_eq!(world.moto.emails().len(), 3);

    // Only one mark is ignored; a second one is still not JSON.
    let body = format!("\u{feff}{}", body_for("sam.twice"));
    let (status, response) = post_signed(&app, &body).await;
    assert_eq!(status, 400, "{response}");
    assert_eq!(response["error"]["code"], "InvalidJson");
}
