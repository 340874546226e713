//! The invocation's deadline (issue 16, part 3) against the emulator, scaled
//! down from Lambda's 60 s at the sandbox's 1 email/s: a 10 s deadline, SES at
//! 10/s, 1 s per call (`AWS_CALL_TIMEOUT_MS`, so new steps stop 4 s before the
//! deadline; 3 s and 12 s on Lambda). As in the sandbox, 100 hires cannot
//! finish before the deadline. (Shorter call timeouts make moto, shared by
//! concurrent tests on two cores, time out.)

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use iam_onboarding::build_app;
use serde_json::{Value, json};
use test_support::{DelayProxy, sdk_config, tag};

use crate::onboarding::assert_onboarded;
use crate::pacing::{check_created, hires};
use crate::world::{World, invoke, invoke_within};

const DEADLINE: Duration = Duration::from_secs(10);
const SCALED: [(&str, &str); 2] = [("AWS_CALL_TIMEOUT_MS", "1000"), ("SES_MAX_SEND_RATE", "10")];

fn results(response: &Value) -> &Vec<Value> {
    response["results"].as_array().expect("results")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_past_its_deadline_ends_created_or_not_started_and_retries_finish_it() {
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::ZERO);
    proxy.throttle("Action=SendEmail", 10.0);
    let app = build_app(&sdk_config(&proxy.endpoint).await, world.config(&SCALED));

    let mut done = BTreeSet::new();
    let mut rounds = Vec::new();
    // Four rounds on an idle machine; more when other tests load moto and both cores.
    for round in 0..8 {
        let started = Instant::now();
        let response = invoke_within(&app, hires(100), &format!("round-{round}"), DEADLINE)
            .await
            .unwrap();
        assert!(started.elapsed() < DEADLINE, "answered before the deadline");
        let results = results(&response);
        let users: BTreeSet<String> = world.moto.user_names().into_iter().collect();
        let (mut created, mut not_started) = (0, 0);
        for (i, result) in results.iter().enumerate() {
            let name = format!("hire{i}");
            match result["status"].as_str().unwrap() {
                "created" => {
                    assert!(done.insert(i), "{name} created once");
                    created += 1;
                }
                "already_onboarded" => assert!(done.contains(&i), "{name}"),
                "not_started" => {
                    not_started += 1;
                    assert_eq!(result["error"]["code"], "DeadlineExceeded", "{result}");
                    assert!(!done.contains(&i));
                    assert!(
                        !users.contains(&name),
                        "{name}: not started, nothing written"
                    );
                }
                other => panic!("{name}: {other}, neither created nor not started: {result}"),
            }
        }
        assert_eq!(check_created(&world, results), created);
        rounds.push((created, not_started));
        if done.len() == 100 {
            break;
        }
    }
    assert_eq!(
        done.len(),
        100,
        "retries of the same event finish the batch: {rounds:?}"
    );
    let (created, not_started) = rounds[0];
    assert!(
        created > 0 && not_started > 0,
        "the first run created some and could not start the rest: {rounds:?}"
    );
    assert_eq!(world.moto.emails().len(), 100, "one email per hire");
    assert_eq!(proxy.throttle_counts(), (100, 0), "and SES's rate was kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_send_email_under_a_short_deadline_ends_undone_and_a_retry_completes() {
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::ZERO);
    proxy.hang("Action=SendEmail");
    let app = build_app(&sdk_config(&proxy.endpoint).await, world.config(&SCALED));
    let jane = json!({"employee": {"email": "jane.doe@example.com", "employeeId": "E-1042", "groups": ["readers"]}});

    let started = Instant::now();
    let response = invoke_within(&app, jane.clone(), "hung-1", Duration::from_secs(6))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "answered before the deadline"
    );

    let result = &results(&response)[0];
    assert_eq!(result["status"], "failed", "{result}");
    assert_eq!(result["error"]["step"], "send_email", "{result}");
    assert!(
        ["TimeoutError", "DeadlineExceeded"].contains(&result["error"]["code"].as_str().unwrap()),
        "{result}"
    );
    let user = world.moto.user("jane.doe").expect("the user exists");
    assert!(
        user["password"].is_null(),
        "no working password nobody received"
    );
    assert_eq!(tag(&user, "OnboardingStatus"), Some("failed"));
    assert!(world.moto.emails().is_empty());

    proxy.release();
    let retried = invoke(&app, jane).await.unwrap();
    assert_eq!(results(&retried)[0]["status"], "created", "{retried}");
    assert_onboarded(&world, "jane.doe", "jane.doe@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offboarding_or_update_too_near_the_deadline_changes_nothing() {
    let world = World::new().await;
    let app = world.app(&SCALED);
    let jane = json!({"employee": {"email": "jane.doe@example.com", "employeeId": "E-1042", "groups": ["readers"]}});
    assert_eq!(
        results(&invoke(&app, jane).await.unwrap())[0]["status"],
        "created"
    );
    let before = world.moto.user("jane.doe").unwrap();

    // 1 s left: less than one 1 s call plus the 3 s undo reserve.
    for (request_id, payload) in [
        (
            "offboard",
            json!({"action": "offboard", "employee": {"email": "jane.doe@example.com", "employeeId": "E-1042"}}),
        ),
        (
            "update",
            json!({"action": "update", "employee": {"email": "jane.doe@example.com", "employeeId": "E-1042", "groups": ["developers"]}}),
        ),
    ] {
        let response = invoke_within(&app, payload, request_id, Duration::from_secs(1))
            .await
            .unwrap();
        let result = &results(&response)[0];
        assert_eq!(result["status"], "not_started", "{request_id}: {result}");
        assert_eq!(result["error"]["code"], "DeadlineExceeded");
    }
    assert_eq!(
        world.moto.user("jane.doe").unwrap(),
        before,
        "nothing changed"
    );
}
