//! The one-time reveal link (issue 22) against the emulator, in process: the
//! email carries a link and never the password; `GET` changes nothing; the
//! `POST` refuses a foreign origin, a non-JSON or oversized body and a wrong
//! proof without consuming anything, reveals once, then answers `410`; an
//! expired record TTL has not removed yet is `410`; `resend` retires the old
//! link; the table and the logs hold neither password nor secret.
//! (The page itself, in Chromium: [`crate::reveal_browser`].)

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iam_onboarding::identity::reveal_link::{RevealId, RevealSecret, open};
use iam_onboarding::logging;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;

use crate::logs::Captured;
use crate::world::{TABLE, World, invoke};

pub const BASE: &str = "https://abc123.lambda-url.us-east-1.on.aws";

/// A Function URL (payload 2.0) event for `path`.
pub fn url_event(method: &str, path: &str, headers: Value, body: &str) -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {"accountId": "anonymous", "apiId": "abc123", "domainName": "abc123.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc123", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10", "userAgent": "Mozilla/5.0"}, "requestId": "c0ffee", "routeKey": "$default",
            "stage": "$default", "time": "04/Dec/2026:09:00:00 +0000", "timeEpoch": 1796374800000u64},
        "body": body, "isBase64Encoded": false
    })
}

/// A link's id and secret.
pub fn parts(link: &str) -> (RevealId, RevealSecret) {
    let rest = link.split("/reveal/").nth(1).expect("a reveal link");
    let (id, secret) = rest.split_once('#').expect("a fragment");
    (
        RevealId::parse(id).expect("an id"),
        RevealSecret::parse(secret).expect("a secret"),
    )
}

fn post(id: &RevealId, origin: &str, content_type: &str, body: &str) -> Value {
    url_event(
        "POST",
        &format!("/reveal/{}", id.as_str()),
        json!({"origin": origin, "content-type": content_type}),
        body,
    )
}

fn proof_body(id: &RevealId, secret: &RevealSecret) -> String {
    json!({"proof": secret.proof(id)}).to_string()
}

async fn answer(app: &iam_onboarding::handler::App, event: Value) -> (u64, Value, Value) {
    let response = invoke(app, event).await.unwrap();
    let body =
        serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    (
        response["statusCode"].as_u64().unwrap(),
        body,
        response["headers"].clone(),
    )
}

/// The reveal link of the last email to `to`, which must not carry a password.
pub fn link_of(world: &World, to: &str) -> String {
    let emails: Vec<_> = world
        .moto
        .emails()
        .into_iter()
        .filter(|e| e.to == [to])
        .collect();
    let email = emails.last().expect("an email");
    assert!(
        !email.html.contains("One-time password</td><td><code>"),
        "the email carries a password"
    );
    email.reveal_link().expect("a reveal link")
}

/// Every item of the idempotency table, as text: what a table reader gets.
pub async fn table_dump(world: &World) -> String {
    let items = aws_sdk_dynamodb::Client::new(&world.sdk)
        .scan()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    format!("{:?}", items.items())
}

#[tokio::test]
async fn a_link_reveals_the_password_once_and_nothing_else_consumes_it() {
    let world = World::new().await;
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(logging::subscriber(
        captured.clone(),
        EnvFilter::new("info"),
    ));
    let app = world.app(&[("PASSWORD_DELIVERY", "link"), ("REVEAL_BASE_URL", BASE)]);
    let jane =
        json!({"email": "jane.doe@example.com", "givenName": "Jane", "employeeId": "E-1042"});
    let onboarded = invoke(&app, json!({"employee": jane})).await.unwrap();
    assert_eq!(onboarded["results"][0]["status"], "created", "{onboarded}");
    let password = world.moto.user("jane.doe").unwrap()["password"]
        .as_str()
        .unwrap()
        .to_string();
    let email = world.moto.emails().pop().unwrap();
    assert!(
        !email.html.contains(&password),
        "the email carries the password"
    );
    let link = email.reveal_link().expect("the email carries a link");
    assert!(link.starts_with(&format!("{BASE}/reveal/")), "{link}");
    assert!(
        email.html.contains(" UTC)"),
        "the email gives the expiry in UTC"
    );
    let (id, secret) = parts(&link);

    // GET and HEAD: the page, with its headers, and nothing in it but the page.
    for method in ["GET", "HEAD"] {
        let response = invoke(
            &app,
            url_event(method, &format!("/reveal/{}", id.as_str()), json!({}), ""),
        )
        .await
        .unwrap();
        assert_eq!(response["statusCode"], 200, "{method}");
        let page = response["body"].as_str().unwrap_or_default();
        assert_eq!(
            page.contains("Reveal"),
            method == "GET",
            "{method}: a HEAD has no body"
        );
        let headers = &response["headers"];
        let csp = headers["content-security-policy"].as_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        for (name, value) in [
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
            ("x-content-type-options", "nosniff"),
            ("cross-origin-opener-policy", "same-origin"),
        ] {
            assert_eq!(headers[name], value, "{method} {name}");
        }
        assert!(headers["strict-transport-security"].is_string());
        assert!(
            headers["x-robots-tag"]
                .as_str()
                .unwrap()
                .contains("noindex")
        );
    }
    // A gateway that moved the key into the path still gets the page.
    for mangled in ["%23", "%2523"] {
        let path = format!("/reveal/{}{mangled}{}", id.as_str(), secret.expose());
        let (status, _, _) = answer(&app, url_event("GET", &path, json!({}), "")).await;
        assert_eq!(status, 200, "{mangled}");
        // …but a POST never carries it.
        let (status, _, _) = answer(
            &app,
            url_event(
                "POST",
                &path,
                json!({"origin": BASE, "content-type": "application/json"}),
                &proof_body(&id, &secret),
            ),
        )
        .await;
        assert_eq!(status, 404, "{mangled}");
    }

    // Refused without consuming: another origin, none, not JSON, too big, malformed, wrong proof.
    let good = proof_body(&id, &secret);
    let refusals = [
        (
            post(&id, "https://evil.example", "application/json", &good),
            403,
        ),
        (
            url_event(
                "POST",
                &format!("/reveal/{}", id.as_str()),
                json!({"content-type": "application/json"}),
                &good,
            ),
            403,
        ),
        (post(&id, BASE, "text/plain", &good), 415),
        (
            post(&id, BASE, "application/x-www-form-urlencoded", &good),
            415,
        ),
        (
            post(
                &id,
                BASE,
                "application/json",
                &format!("{{\"proof\":\"{}\"}}", "A".repeat(5000)),
            ),
            413,
        ),
        (post(&id, BASE, "application/json", "{\"proof\": 1}"), 400),
        (
            post(
                &id,
                BASE,
                "application/json",
                "{\"proof\":\"x\",\"more\":1}",
            ),
            400,
        ),
    ];
    for (event, want) in refusals {
        let (status, body, _) = answer(&app, event).await;
        assert_eq!(status, want, "{body}");
    }
    let wrong = RevealSecret::generate(&mut rand::rng());
    let (status, body, _) = answer(
        &app,
        post(&id, BASE, "application/json", &proof_body(&id, &wrong)),
    )
    .await;
    assert_eq!((status, body["outcome"].as_str()), (410, Some("bad_proof")));

    // The reveal: the sealed password opens with the link's secret, and is the one set.
    let (status, body, headers) = answer(
        &app,
        post(&id, BASE, "application/json; charset=utf-8", &good),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    let decode = |field: &str| {
        URL_SAFE_NO_PAD
            .decode(body[field].as_str().unwrap())
            .unwrap()
    };
    let revealed = open(&id, &secret, &decode("nonce"), &decode("ciphertext")).expect("opens");
    assert_eq!(revealed.password, password);
    assert_eq!(revealed.username, "jane.doe");
    assert!(
        revealed
            .sign_in_url
            .ends_with(".signin.aws.amazon.com/console")
    );

    // Once: a second reveal is 410 with the time it was viewed.
    let (status, body, _) = answer(&app, post(&id, BASE, "application/json", &good)).await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (410, Some("already_viewed")),
        "{body}"
    );
    assert!(body["at"].as_i64().unwrap() > 1_700_000_000);

    // Unknown id: 410 too.
    let other = RevealId::generate(&mut rand::rng());
    let (status, body, _) = answer(
        &app,
        post(
            &other,
            BASE,
            "application/json",
            &proof_body(&other, &secret),
        ),
    )
    .await;
    assert_eq!((status, body["outcome"].as_str()), (410, Some("unknown")));

    let dump = table_dump(&world).await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for secret_value in [
        password.as_str(),
        &secret.expose(),
        &secret.proof(&id),
        &link,
    ] {
        assert!(
            !dump.contains(secret_value),
            "the table holds a secret value"
        );
        assert!(!logs.contains(secret_value), "the logs hold a secret value");
    }
    assert!(
        !logs.contains(id.as_str()),
        "logs name a reveal by its id's hash only"
    );
    assert!(
        logs.contains(&id.log_hash())
            && logs.contains("already_viewed")
            && logs.contains("bad_proof")
    );
}

#[tokio::test]
async fn an_expired_record_ttl_has_not_removed_is_gone_and_resend_retires_the_old_link() {
    let world = World::new().await;
    let app = world.app(&[("PASSWORD_DELIVERY", "link"), ("REVEAL_BASE_URL", BASE)]);
    let kim = json!({"email": "kim.lee@example.com", "employeeId": "E-2001"});
    invoke(&app, json!({"employee": kim})).await.unwrap();
    let (id, secret) = parts(&link_of(&world, "kim.lee@example.com"));
    // What DynamoDB's TTL would remove days late: expiresAt in the past, item still there.
    aws_sdk_dynamodb::Client::new(&world.sdk)
        .update_item()
        .table_name(TABLE)
        .key("id", AttributeValue::S(format!("reveal#{}", id.as_str())))
        .update_expression("SET expiresAt = :past")
        .expression_attribute_values(":past", AttributeValue::N("1000".into()))
        .send()
        .await
        .unwrap();
    let (status, body, _) = answer(
        &app,
        post(&id, BASE, "application/json", &proof_body(&id, &secret)),
    )
    .await;
    assert_eq!(
        (status, body["outcome"].as_str(), body["at"].as_i64()),
        (410, Some("expired"), Some(1000))
    );

    // resend: a new link that works, the old one retired, the old password replaced.
    let lee = json!({"email": "lee.park@example.com", "employeeId": "E-2002"});
    invoke(&app, json!({"employee": lee})).await.unwrap();
    let first = link_of(&world, "lee.park@example.com");
    let old_password = world.moto.user("lee.park").unwrap()["password"].clone();
    let resent = invoke(&app, json!({"action": "resend", "employee": lee}))
        .await
        .unwrap();
    assert_eq!(resent["results"][0]["status"], "resent", "{resent}");
    assert!(resent["results"][0].get("warnings").is_none(), "{resent}");
    let second = link_of(&world, "lee.park@example.com");
    assert_ne!(first, second);
    let new_password = world.moto.user("lee.park").unwrap()["password"].clone();
    assert_ne!(old_password, new_password, "the login profile was replaced");

    let (old_id, old_secret) = parts(&first);
    let (status, body, _) = answer(
        &app,
        post(
            &old_id,
            BASE,
            "application/json",
            &proof_body(&old_id, &old_secret),
        ),
    )
    .await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (410, Some("replaced")),
        "{body}"
    );
    let (new_id, new_secret) = parts(&second);
    let (status, body, _) = answer(
        &app,
        post(
            &new_id,
            BASE,
            "application/json",
            &proof_body(&new_id, &new_secret),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let decode = |field: &str| {
        URL_SAFE_NO_PAD
            .decode(body[field].as_str().unwrap())
            .unwrap()
    };
    let revealed = open(
        &new_id,
        &new_secret,
        &decode("nonce"),
        &decode("ciphertext"),
    )
    .unwrap();
    assert_eq!(Some(revealed.password.as_str()), new_password.as_str());
}

#[tokio::test]
async fn with_email_delivery_the_reveal_routes_are_not_found() {
    let world = World::new().await;
    let app = world.app(&[("PASSWORD_DELIVERY", "email")]);
    let id = RevealId::generate(&mut rand::rng());
    for method in ["GET", "POST"] {
        let (status, _, headers) = answer(
            &app,
            url_event(
                method,
                &format!("/reveal/{}", id.as_str()),
                json!({"origin": BASE}),
                "{}",
            ),
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(headers["cache-control"], "no-store");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reveal_record_that_cannot_be_stored_leaves_no_password_and_sends_nothing() {
    let world = World::new().await;
    let proxy = test_support::DelayProxy::start(&world.moto.endpoint, std::time::Duration::ZERO);
    let app = iam_onboarding::build_app(
        &test_support::sdk_config(&proxy.endpoint).await,
        world.config(&[("PASSWORD_DELIVERY", "link"), ("REVEAL_BASE_URL", BASE)]),
    );
    // Only the reveal record's PutItem carries a ciphertext; every SDK attempt fails.
    proxy.answer_error("ciphertext", 3, 500, "InternalServerError", "injected");
    let jane = json!({"email": "jane.doe@example.com", "employeeId": "E-1042"});
    let response = invoke(&app, json!({"employee": jane})).await.unwrap();
    let result = &response["results"][0];
    assert_eq!(result["status"], "failed", "{response}");
    assert_eq!(result["error"]["step"], "store_reveal", "{response}");
    let user = world.moto.user("jane.doe").expect("the pending user stays");
    assert!(
        user["password"].is_null(),
        "an undelivered password still works: {user}"
    );
    assert!(
        world.moto.emails().is_empty(),
        "an email went out without a stored link"
    );

    // The retry completes it with a link that works.
    let retried = invoke(&app, json!({"employee": jane})).await.unwrap();
    assert_eq!(retried["results"][0]["status"], "created", "{retried}");
    let (id, secret) = parts(&link_of(&world, "jane.doe@example.com"));
    let (status, _, _) = answer(
        &app,
        post(&id, BASE, "application/json", &proof_body(&id, &secret)),
    )
    .await;
    assert_eq!(status, 200);
}
