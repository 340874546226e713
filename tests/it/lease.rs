//! One run per person at a time (issue 16): two containers racing on the same
//! employee through a proxy that gives every AWS call AWS-like latency, and a
//! CreateUser whose response is lost on the way back.

use std::time::Duration;

use iam_onboarding::build_app;
use iam_onboarding::handler::App;
use serde_json::{Value, json};
use test_support::{DelayProxy, sdk_config, tag};

use crate::onboarding::assert_onboarded;
use crate::webhook::{function_url_event, http, now, signed};
use crate::world::{WEBHOOK_SECRET, World, invoke_as};

/// Latency added to every AWS call (one way, before the emulator answers).
const LATENCY: Duration = Duration::from_millis(25);

fn first_result(response: &Value) -> &Value {
    &response["results"][0]
}

/// Two warm containers of the function, reaching AWS through `proxy`.
async fn two_containers(world: &World, proxy: &DelayProxy) -> (App, App) {
    let sdk = sdk_config(&proxy.endpoint).await;
    (
        build_app(&sdk, world.config(&[])),
        build_app(&sdk, world.config(&[])),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_retries_of_a_failed_onboarding_send_one_email_holding_the_one_password() {
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, LATENCY);
    let (first, second) = two_containers(&world, &proxy).await;
    let mut outcomes = Vec::new();
    for run in 0..20 {
        let name = format!("race{run}");
        let address = format!("{name}@example.com");
        let event = json!({"employee": {"email": address, "employeeId": format!("R-{run}"), "groups": ["developers"]}});

        // A failed onboarding: the group is missing, the user is left `failed`.
        world.delete_group("developers").await;
        let failed = invoke_as(&first, event.clone(), &format!("fail-{run}"))
            .await
            .unwrap();
        assert_eq!(first_result(&failed)["status"], "failed", "{failed}");
        world.create_group("developers").await;

        // Two retries, tens of milliseconds apart, in two containers.
        let gap = Duration::from_millis(10 + (run % 5) * 10);
        let (id_a, id_b) = (format!("retry-a-{run}"), format!("retry-b-{run}"));
        let (a, b) = tokio::join!(invoke_as(&first, event.clone(), &id_a), async {
            tokio::time::sleep(gap).await;
            invoke_as(&second, event.clone(), &id_b).await
        });
        let (a, b) = (a.unwrap(), b.unwrap());
        let statuses = [
            first_result(&a)["status"].as_str().unwrap().to_string(),
            first_result(&b)["status"].as_str().unwrap().to_string(),
        ];
        assert!(
            statuses.contains(&"created".to_string()),
            "run {run}: one retry completes: {a} {b}"
        );
        for response in [&a, &b] {
            let result = first_result(response);
            if result["status"] != "created" {
                assert!(
                    result["status"] == "already_onboarded"
                        || result["error"]["code"] == "OnboardingInProgress",
                    "run {run}: the other retry backs off: {result}"
                );
            }
        }
        assert_onboarded(&world, &name, &address);
        outcomes.push(statuses.join("+"));
    }
    assert_eq!(outcomes.len(), 20);
    // The race was real: the later retry met the lease at least once.
    let raced = outcomes.iter().filter(|o| o.contains("failed")).count();
    assert!(raced > 0, "the retries never overlapped: {outcomes:?}");
}

/// The SDK retries CreateUser after its response was lost and meets
/// EntityAlreadyExists: the run recognises its own user by the attempt tag
/// (with the lease table, and without it in a local run).
#[tokio::test]
async fn a_lost_create_user_response_ends_created() {
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::ZERO);
    let sdk = sdk_config(&proxy.endpoint).await;
    for (i, table) in ["set", ""].into_iter().enumerate() {
        let config = if table.is_empty() {
            world.config(&[("IDEMPOTENCY_TABLE", "")])
        } else {
            world.config(&[])
        };
        let app = build_app(&sdk, config);
        proxy.lose_next_response("Action=CreateUser");
        let (name, request_id) = (format!("lost{i}"), format!("lost-request-{i}"));
        let address = format!("{name}@example.com");
        let response = invoke_as(
            &app,
            json!({"employee": {"email": address, "employeeId": format!("E-7{i}")}}),
            &request_id,
        )
        .await
        .unwrap();
        assert_eq!(proxy.lost(), i + 1, "the CreateUser response was lost");
        assert_eq!(first_result(&response)["status"], "created", "{response}");
        let user = world.moto.user(&name).unwrap();
        assert_eq!(
            tag(&user, "OnboardingAttempt"),
            Some(format!("{request_id}/0").as_str())
        );
        assert_onboarded(&world, &name, &address);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_webhook_delivery_that_loses_the_race_is_409_with_retry_after() {
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, LATENCY);
    let (first, second) = two_containers(&world, &proxy).await;
    let body = json!({"employee": {"email": "dup@example.com", "employeeId": "E-8"}}).to_string();
    let event = function_url_event("POST", signed(&body, WEBHOOK_SECRET, now()), &body, false);
    let (a, b) = tokio::join!(invoke_as(&first, event.clone(), "hook-a"), async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        invoke_as(&second, event.clone(), "hook-b").await
    });
    let (a, b) = (a.unwrap(), b.unwrap());
    let (status_a, body_a) = http(&a);
    let (status_b, body_b) = http(&b);
    assert_eq!(status_a, 201, "{body_a}");
    assert_eq!(status_b, 409, "{body_b}");
    assert_eq!(b["headers"]["retry-after"], "60");
    assert_eq!(
        body_b["results"][0]["error"]["code"],
        "OnboardingInProgress"
    );
    assert_onboarded(&world, "dup", "dup@example.com");
}
