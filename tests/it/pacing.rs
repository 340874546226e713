//! SES pacing in a batch (issue 16, part 2): SES refuses sends above the
//! account's rate, as a throttling proxy in front of the emulator does here
//! (moto itself enforces no rate).

use std::time::Duration;

use iam_onboarding::build_app;
use serde_json::{Value, json};
use test_support::{DelayProxy, SentEmail, sdk_config, tag};

use crate::world::{World, invoke};

/// `count` new hires `hireN@example.com`, one group each.
pub fn hires(count: usize) -> Value {
    let employees: Vec<Value> = (0..count)
        .map(|i| json!({"email": format!("hire{i}@example.com"), "employeeId": format!("H-{i}"), "groups": ["readers"]}))
        .collect();
    json!({"employees": employees})
}

/// Checks, from one snapshot of the emulator, that every `created` result is a
/// complete user whose one email holds its working password. Returns the
/// number of created results.
pub fn check_created(world: &World, results: &[Value]) -> usize {
    let data = world.moto.data();
    let users = data["iam"]["User"].as_array().cloned().unwrap_or_default();
    let messages = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut created = 0;
    for result in results.iter().filter(|r| r["status"] == "created") {
        created += 1;
        let name = result["username"].as_str().unwrap();
        let user = users
            .iter()
            .find(|u| u["name"] == name)
            .expect("user exists");
        assert_eq!(tag(user, "OnboardingStatus"), Some("complete"), "{name}");
        let address = format!("{name}@example.com");
        let emails: Vec<&Value> = messages
            .iter()
            .filter(|m| m["destinations"]["ToAddresses"][0] == address.as_str())
            .collect();
        assert_eq!(emails.len(), 1, "exactly one email to {address}");
        let email = SentEmail {
            source: String::new(),
            to: vec![address],
            subject: String::new(),
            html: emails[0]["body"].as_str().unwrap().to_string(),
        };
        assert_eq!(
            user["password"].as_str(),
            Some(email.password().as_str()),
            "{name}: the emailed password is the working one"
        );
    }
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_of_100_under_a_14_per_second_ses_limit_ends_100_created_without_a_throttle() {
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::ZERO);
    proxy.throttle("Action=SendEmail", 14.0);
    let sdk = sdk_config(&proxy.endpoint).await;
    // moto's GetSendQuota answers 1/s: the override gives the production default.
    let app = build_app(&sdk, world.config(&[("SES_MAX_SEND_RATE", "14")]));

    let response = invoke(&app, hires(100)).await.unwrap();

    let results = response["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    for result in results {
        assert_eq!(result["status"], "created", "{result}");
    }
    assert_eq!(check_created(&world, results), 100);
    let (passed, throttled) = proxy.throttle_counts();
    assert_eq!(passed, 100);
    assert_eq!(throttled, 0, "the batch never outran SES's rate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_throttle_that_still_happens_is_retried_not_reported_failed() {
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::ZERO);
    // SES allows 2/s, but the function believes 20/s: sends get throttled.
    proxy.throttle("Action=SendEmail", 2.0);
    let sdk = sdk_config(&proxy.endpoint).await;
    let app = build_app(&sdk, world.config(&[("SES_MAX_SEND_RATE", "20")]));

    let response = invoke(&app, hires(6)).await.unwrap();

    let results = response["results"].as_array().unwrap();
    for result in results {
        assert_eq!(result["status"], "created", "{result}");
    }
    assert_eq!(check_created(&world, results), 6);
    let (passed, throttled) = proxy.throttle_counts();
    assert_eq!(passed, 6);
    assert!(throttled > 0, "SES did throttle: the retries absorbed it");
}
