//! Which layer retries each call (issue 21, kind 3), against the emulator
//! through the test-support proxy: `SendEmail`, which has no idempotency token,
//! is never re-sent by the SDK on an attempt timeout, and its throttles are
//! retried by the function; a call AWS keeps failing until the operation
//! timeout reports the last AWS error, not only `TimeoutError`. Calls are
//! scaled to 1 s (`AWS_CALL_TIMEOUT_MS`; 3 s on Lambda).

use std::time::Duration;

use iam_onboarding::build_app;
use serde_json::{Value, json};
use test_support::{DelayProxy, sdk_config, tag};

use crate::onboarding::assert_onboarded;
use crate::world::{World, invoke};

const ONE_SECOND_CALLS: [(&str, &str); 1] = [("AWS_CALL_TIMEOUT_MS", "1000")];

fn hire() -> Value {
    json!({"action": "onboard", "employee": {"email": "ada.lovelace@example.com",
           "username": "ada.lovelace", "givenName": "Ada"}})
}

async fn through_proxy(world: &World) -> (DelayProxy, iam_onboarding::handler::App) {
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::ZERO);
    let app = build_app(
        &sdk_config(&proxy.endpoint).await,
        world.config(&ONE_SECOND_CALLS),
    );
    (proxy, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_send_email_is_sent_once_not_again_on_an_attempt_timeout() {
    let world = World::new().await;
    let (proxy, app) = through_proxy(&world).await;
    // Past half the call timeout (the SDK's attempt timeout), within the whole.
    proxy.answer_late("Action=SendEmail", Duration::from_millis(700));

    let response = invoke(&app, hire()).await.unwrap();

    assert_eq!(response["results"][0]["status"], "created", "{response}");
    assert_onboarded(&world, "ada.lovelace", "ada.lovelace@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_send_email_is_retried_by_the_function_within_its_budget() {
    let world = World::new().await;
    let (proxy, app) = through_proxy(&world).await;
    // Four throttles in a row: the SDK's backoff would spend the 1 s operation
    // timeout; the function's own retry (0.5 s, 1 s, 2 s, 4 s) gets through.
    proxy.answer_error(
        "Action=SendEmail",
        4,
        400,
        "Throttling",
        "Maximum sending rate exceeded.",
    );

    let response = invoke(&app, hire()).await.unwrap();

    assert_eq!(response["results"][0]["status"], "created", "{response}");
    assert_onboarded(&world, "ada.lovelace", "ada.lovelace@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_service_failure_is_reported_with_its_aws_code() {
    let world = World::new().await;
    // Every answer 400 ms late: three attempts cannot fit in the 1 s call timeout
    // whatever the SDK's jittered backoff draws (with no delay they sometimes did,
    // and the call ended ServiceFailure before its timeout).
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::from_millis(400));
    let app = build_app(
        &sdk_config(&proxy.endpoint).await,
        world.config(&ONE_SECOND_CALLS),
    );
    assert_eq!(
        invoke(&app, hire()).await.unwrap()["results"][0]["status"],
        "created"
    );
    proxy.answer_error(
        "Action=AttachUserPolicy",
        usize::MAX,
        500,
        "ServiceFailure",
        "Request processing has failed due to an unknown error.",
    );

    let leaver = json!({"action": "offboard", "employee": {"email": "ada.lovelace@example.com"}});
    let response = invoke(&app, leaver).await.unwrap();

    let result = &response["results"][0];
    assert_eq!(result["status"], "failed", "{response}");
    let error = &result["error"];
    assert_eq!(error["code"], "TimeoutError", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("ServiceFailure: Request processing has failed"),
        "the last AWS answer is kept: {message}"
    );
    let user = world.moto.user("ada.lovelace").unwrap();
    assert_ne!(
        tag(&user, "OnboardingStatus"),
        Some("offboarded"),
        "never reported done with access left"
    );
}
