//! HiBob's webhook through the handler against the emulator and the test
//! harness's fake People API: the call-back's retries on 5xx and 429, and a
//! People API that keeps failing answers 503 with nothing written.

use base64::Engine;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use test_support::FakeHiBob;

use crate::webhook::{function_url_event, http};
use crate::world::{World, invoke};

const SIGNING_SECRET: &str = "hibob-signing-secret";
const ID: &str = "3332883884017713238";

fn joined() -> String {
    json!({"companyId": 638193, "type": "employee.joined", "triggeredBy": "system",
           "triggeredAt": "2026-12-03T00:00:04.512731", "version": "v2", "data": {"employeeId": ID}})
    .to_string()
}

fn delivery(body: &str) -> Value {
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(SIGNING_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let mut event = function_url_event(
        "POST",
        json!({"content-type": "application/json", "bob-signature": signature}),
        body,
        false,
    );
    event["rawPath"] = json!("/hr/hibob");
    event["requestContext"]["http"]["path"] = json!("/hr/hibob");
    event
}

async fn setup(world: &World) -> (FakeHiBob, iam_onboarding::handler::App) {
    let fake = FakeHiBob::start("SERVICE-1", "token-1");
    fake.add(
        ID,
        json!({"id": ID, "email": "kai.tanaka@example.com", "firstName": "Kai", "surname": "Tanaka",
               "work": {"employeeIdInCompany": "E-2001", "startDate": "2026-12-01"}}),
    );
    let secret = json!({"signingSecret": SIGNING_SECRET, "serviceUserId": "SERVICE-1",
                        "serviceUserToken": "token-1"});
    let arn = aws_sdk_secretsmanager::Client::new(&world.sdk)
        .create_secret()
        .name("hibob")
        .secret_string(secret.to_string())
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let app = world.app(&[
        ("HIBOB_SECRET_ARN", arn.as_str()),
        ("HIBOB_API_URL", fake.url.as_str()),
    ]);
    (fake, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_back_answered_500_then_429_is_retried_and_the_joiner_onboarded() {
    let world = World::new().await;
    let (fake, app) = setup(&world).await;
    fake.fail_next(1, 500);
    fake.fail_next(1, 429);

    let (status, body) = http(&invoke(&app, delivery(&joined())).await.unwrap());

    assert_eq!(
        (status, body["results"][0]["status"].as_str()),
        (201, Some("created")),
        "{body}"
    );
    assert_eq!(body["results"][0]["hrId"], ID);
    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "two failures, then the answer");
    assert_eq!(requests[2].0, format!("/v1/people/{ID}"));
    assert!(
        requests[2].1["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("root.email"))
    );
    let user = world.moto.user("kai.tanaka").expect("onboarded");
    assert_eq!(test_support::tag(&user, "EmployeeId"), Some("E-2001"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_people_api_that_keeps_failing_is_a_503_and_nothing_is_written() {
    let world = World::new().await;
    let (fake, app) = setup(&world).await;
    fake.fail_for(ID, 502);

    let response = invoke(&app, delivery(&joined())).await.unwrap();
    let (status, body) = http(&response);

    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "HrSystemUnavailable");
    assert!(response["headers"]["retry-after"].is_string(), "{response}");
    assert_eq!(fake.requests().len(), 3, "three attempts");
    assert!(world.moto.user("kai.tanaka").is_none());
    // HiBob's retry, once its API answers, onboards: the failed delivery kept no record.
    fake.heal(ID);
    let (status, body) = http(&invoke(&app, delivery(&joined())).await.unwrap());
    assert_eq!(
        (status, body["results"][0]["status"].as_str()),
        (201, Some("created")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signing_secret_service_user_and_address_never_reach_the_logs() {
    let captured = crate::logs::Captured::default();
    let _guard = tracing::subscriber::set_default(iam_onboarding::logging::subscriber(
        captured.clone(),
        tracing_subscriber::EnvFilter::new("debug"),
    ));
    let world = World::new().await;
    let (fake, app) = setup(&world).await;
    fake.fail_next(1, 500);
    let (status, _) = http(&invoke(&app, delivery(&joined())).await.unwrap());
    assert_eq!(status, 201);
    fake.fail_for(ID, 401);
    let other = joined().replace("00:00:04", "00:00:05");
    let (status, _) = http(&invoke(&app, delivery(&other)).await.unwrap());
    assert_eq!(status, 503);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("HiBob"), "the call-backs were logged");
    for secret in [
        SIGNING_SECRET,
        "token-1",
        fake.authorization(),
        "kai.tanaka@example.com",
    ] {
        assert!(!logs.contains(secret), "{secret:?} in the logs");
    }
}
