//! Standard Webhooks (issue 15) through the handler, signed by the spec's
//! reference library (`standardwebhooks` from PyPI, through
//! `scripts/sign-webhook-event.py --standard`), with the secret in moto's
//! Secrets Manager and the delivery records in its DynamoDB.

use std::process::Command;

use aws_sdk_dynamodb::types::AttributeValue;
use iam_onboarding::handler::App;
use iam_onboarding::http::webhook::delivery_key;
use serde_json::{Value, json};
use std::time::Duration;

use iam_onboarding::build_app;
use test_support::{DelayProxy, sdk_config, venv_tool, workspace_root};

use crate::onboarding::assert_onboarded;
use crate::webhook::{function_url_event, http, now, post_signed};
use crate::world::{TABLE, WEBHOOK_SECRET, World, invoke, invoke_as};

/// A secret in the spec's form: `whsec_` + base64 of the key bytes.
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A Function URL event for `body`, signed with the reference library by every
/// secret in `secrets` (one `v1,` signature each, as during a rotation) under
/// delivery id `id`.
pub fn signed_event(body: &Value, id: &str, secrets: &[&str]) -> Value {
    let event = function_url_event(
        "POST",
        json!({"content-type": "application/json"}),
        &body.to_string(),
        false,
    );
    let dir = std::env::temp_dir().join(format!("stdwh-{}-{id}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("event.json");
    std::fs::write(&file, event.to_string()).unwrap();
    let mut command = Command::new(venv_tool("python"));
    command
        .arg(workspace_root().join("scripts/sign-webhook-event.py"))
        .args(["--standard", "--id", id])
        .arg(&file)
        .env("WEBHOOK_SECRET", secrets[0]);
    for (i, secret) in secrets.iter().enumerate().skip(1) {
        let name = format!("ALSO_SECRET_{i}");
        command
            .env(&name, secret)
            .args(["--also-secret-env", &name]);
    }
    let output = command.output().expect("signing script runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a signed event")
}

pub async fn post(app: &App, event: Value) -> (u64, Value) {
    http(&invoke(app, event).await.unwrap())
}

pub fn hired(email: &str, employee_id: &str) -> Value {
    json!({"type": "employee.hired", "timestamp": "2026-11-30T09:00:00Z",
           "data": {"email": email, "employeeId": employee_id, "groups": ["developers"]}})
}

/// Rotates the webhook secret to [`WHSEC`]: the plain test secret becomes AWSPREVIOUS.
async fn rotate_to_whsec(world: &World) {
    aws_sdk_secretsmanager::Client::new(&world.sdk)
        .put_secret_value()
        .secret_id(&world.secret_arn)
        .secret_string(WHSEC)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_reference_library_signs_with_whsec_and_plain_secrets_and_two_signatures() {
    let world = World::new().await;
    rotate_to_whsec(&world).await;
    let app = world.app(&[]);
    let cases = [
        ("ref.whsec", vec![WHSEC]),
        // The previous version, a plain string keying with its bytes.
        ("ref.plain", vec![WEBHOOK_SECRET]),
        // A rotation on the sender's side: a secret we do not have, then ours.
        ("ref.rotation", vec!["whsec_bmV3ZXItc2VjcmV0", WHSEC]),
    ];
    for (i, (name, secrets)) in cases.iter().enumerate() {
        let email = format!("{name}@example.com");
        let event = signed_event(
            &hired(&email, &format!("E-30{i}")),
            &format!("msg_ref_{i}"),
            secrets,
        );
        assert!(
            event["headers"]["webhook-signature"]
                .as_str()
                .is_some_and(|s| s.starts_with("v1,") && s.split(' ').count() == secrets.len())
        );
        let (status, body) = post(&app, event).await;
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(body["results"][0]["status"], "created");
        assert_onboarded(&world, name, &email);
    }
    // Signed with secrets the function does not have: 401, nothing written.
    for secrets in [vec!["whsec_d3Jvbmc="], vec!["plain-but-wrong"]] {
        let event = signed_event(&hired("nope@example.com", "E-309"), "msg_ref_x", &secrets);
        let (status, body) = post(&app, event).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("InvalidSignature")),
            "{body}"
        );
        assert_eq!(
            body["error"]["message"],
            "no v1 signature in webhook-signature matches the request"
        );
        assert!(
            !body.to_string().contains("MfKQ9r8G") && !body.to_string().contains(WEBHOOK_SECRET)
        );
    }
    assert!(world.moto.user("nope").is_none());
    assert_eq!(world.moto.emails().len(), 3);
}

#[tokio::test]
async fn leaver_and_mover_events_run_their_actions_and_unknown_types_are_400() {
    let world = World::new().await;
    let app = world.app(&[]);
    let sign = |body: Value, id: &str| signed_event(&body, id, &[WEBHOOK_SECRET]);
    let (status, body) = post(&app, sign(hired("lea.moss@example.com", "E-50"), "msg_l1")).await;
    assert_eq!(status, 201, "{body}");
    let updated = json!({"type": "employee.updated", "timestamp": "2026-11-30T10:00:00Z",
        "data": {"email": "lea.moss@example.com", "employeeId": "E-50", "department": "Finance",
                 "groups": ["readers"]}});
    let (status, body) = post(&app, sign(updated, "msg_l2")).await;
    assert_eq!(
        (status, body["results"][0]["status"].as_str()),
        (200, Some("updated")),
        "{body}"
    );
    assert_eq!(world.group_names("lea.moss").await, ["readers"]);
    let terminated = json!({"type": "employee.terminated", "timestamp": "2026-11-30T11:00:00Z",
        "data": {"email": "lea.moss@example.com", "employeeId": "E-50"}});
    let (status, body) = post(&app, sign(terminated, "msg_l3")).await;
    assert_eq!(
        (status, body["results"][0]["status"].as_str()),
        (200, Some("offboarded")),
        "{body}"
    );

    let unknown = json!({"type": "employee.promoted", "timestamp": "2026-11-30T12:00:00Z",
        "data": {"email": "x.y@example.com"}});
    let (status, body) = post(&app, sign(unknown, "msg_l4")).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("type")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unsupported event type \"employee.promoted\"")
    );
    // An envelope problem inside data is named under data.
    let batch_clash = json!({"type": "employee.hired", "data": {"employee": {}, "employees": []}});
    let (status, body) = post(&app, sign(batch_clash, "msg_l5")).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("data.employee")),
        "{body}"
    );
    // The direct contract under a Standard Webhooks signature.
    let direct = json!({"employee": {"email": "dan.roe@example.com", "groups": ["readers"]}});
    let (status, body) = post(&app, sign(direct, "msg_l6")).await;
    assert_eq!(
        (status, body["results"][0]["status"].as_str()),
        (201, Some("created")),
        "{body}"
    );
    assert!(world.moto.user("x.y").is_none());
}

#[tokio::test]
async fn broken_standard_headers_are_401_naming_the_header_and_our_scheme_still_works() {
    let world = World::new().await;
    let app = world.app(&[]);
    let body = hired("kim.lee@example.com", "E-70");
    let good = signed_event(&body, "msg_h1", &[WEBHOOK_SECRET]);
    let stale_ts = (now() - 301).to_string();
    // (header, new value or None to remove it, the error message)
    let cases = [
        ("webhook-id", None, "missing webhook-id header"),
        (
            "webhook-timestamp",
            None,
            "missing webhook-timestamp header",
        ),
        (
            "webhook-signature",
            None,
            "missing webhook-signature header",
        ),
        (
            "webhook-signature",
            Some("v2,AAAA"),
            "webhook-signature holds no v1 signature (expected v1,<base64>)",
        ),
        (
            "webhook-timestamp",
            Some(stale_ts.as_str()),
            "webhook-timestamp is more than 5 minutes from the current time",
        ),
        (
            "webhook-id",
            Some("msg_other"),
            "no v1 signature in webhook-signature matches the request",
        ),
    ];
    for (header, value, message) in cases {
        let name = format!("{header} {value:?}");
        let mut event = good.clone();
        match value {
            Some(v) => event["headers"][header] = json!(v),
            None => {
                event["headers"].as_object_mut().unwrap().remove(header);
            }
        }
        let (status, response) = post(&app, event).await;
        assert_eq!(status, 401, "{name}: {response}");
        assert_eq!(response["error"]["message"], message, "{name}");
    }
    assert!(world.moto.user_names().is_empty());
    // The same app still takes the X-Onboarding-* scheme, unchanged.
    let direct =
        json!({"employee": {"email": "kim.lee@example.com", "employeeId": "E-70"}}).to_string();
    let (status, response) = post_signed(&app, &direct).await;
    assert_eq!(status, 201, "{response}");
    let (status, response) = post(&app, good).await;
    assert_eq!(
        (status, response["results"][0]["status"].as_str()),
        (200, Some("already_onboarded")),
        "{response}"
    );
}

async fn post_as(app: &App, event: Value, request_id: &str) -> (u64, Value, Value) {
    let response = invoke_as(app, event, request_id).await.unwrap();
    let (status, body) = http(&response);
    (status, body, response)
}

fn dynamodb(world: &World) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&world.sdk)
}

/// Every item of the idempotency table, as text.
async fn table_items(world: &World) -> Vec<String> {
    let scan = dynamodb(world)
        .scan()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    scan.items()
        .iter()
        .map(|item| format!("{item:?}"))
        .collect()
}

/// The table key of delivery `id` of `body` (as [`signed_event`] sends it).
fn key_of(id: &str, body: &Value) -> String {
    delivery_key(id, body.to_string().as_bytes())
}

/// Writes the claim of delivery `id` of `body` that another invocation
/// (`owner`) is running, expiring `expires_in` seconds from now.
async fn claim_elsewhere(world: &World, id: &str, body: &Value, owner: &str, expires_in: i64) {
    dynamodb(world)
        .put_item()
        .table_name(TABLE)
        .item("id", AttributeValue::S(key_of(id, body)))
        .item("owner", AttributeValue::S(owner.into()))
        .item(
            "expiresAt",
            AttributeValue::N((now() + expires_in).to_string()),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_repeated_delivery_is_answered_like_the_first_without_processing() {
    let world = World::new().await;
    let event = signed_event(
        &hired("once.only@example.com", "E-40"),
        "msg_once",
        &[WEBHOOK_SECRET],
    );
    let (status, first, _) = post_as(&world.app(&[]), event.clone(), "req-once-1").await;
    assert_eq!(status, 201, "{first}");
    // The sender retries (its answer was lost), re-signed: a new container, the same id.
    let body = hired("once.only@example.com", "E-40");
    let retry = signed_event(&body, "msg_once", &[WEBHOOK_SECRET]);
    let (status, repeat, _) = post_as(&world.app(&[]), retry, "req-once-2").await;
    assert_eq!(status, 201, "{repeat}");
    assert_eq!(repeat["duplicate"], true);
    assert_eq!(repeat["requestId"], "req-once-2");
    assert_eq!(repeat["firstRequestId"], "req-once-1");
    assert_eq!(repeat["results"], json!([{"status": "created"}]));
    assert_onboarded(&world, "once.only", "once.only@example.com");
    // A new delivery id for the same person is processed (and finds the user).
    let again = signed_event(&body, "msg_once_2", &[WEBHOOK_SECRET]);
    let (status, fresh, _) = post_as(&world.app(&[]), again, "req-once-3").await;
    assert_eq!(
        (status, fresh["results"][0]["status"].as_str()),
        (200, Some("already_onboarded"))
    );
    assert!(fresh.get("duplicate").is_none());
    // The records hold hashes and outcomes, never the id, the address, the name or a password.
    let items = table_items(&world).await;
    let record = items
        .iter()
        .find(|i| i.contains(&key_of("msg_once", &body)))
        .expect("the delivery's record");
    assert!(
        record
            .contains(r#"{\"status\":201,\"results\":[\"created\"],\"requestId\":\"req-once-1\"}"#),
        "{record}"
    );
    let password = world.moto.user("once.only").unwrap()["password"]
        .as_str()
        .unwrap()
        .to_string();
    for item in &items {
        for secret in ["msg_once", "once.only", "E-40", password.as_str()] {
            assert!(!item.contains(secret), "{secret} in {item}");
        }
    }
}

#[tokio::test]
async fn a_webhook_id_reused_for_another_body_is_another_delivery() {
    // A sender that reuses an id breaks the spec; answering its termination with
    // the hire's stored outcome would leave the leaver's access on with a 2xx.
    let world = World::new().await;
    let app = world.app(&[]);
    let hire = hired("reuse.me@example.com", "E-77");
    let event = signed_event(&hire, "msg_reused", &[WEBHOOK_SECRET]);
    let (status, first, _) = post_as(&app, event, "req-reuse-1").await;
    assert_eq!(status, 201, "{first}");
    let terminated = json!({"type": "employee.terminated", "timestamp": "2026-11-30T09:05:00Z",
        "data": {"email": "reuse.me@example.com", "employeeId": "E-77"}});
    let event = signed_event(&terminated, "msg_reused", &[WEBHOOK_SECRET]);
    let (status, second, _) = post_as(&app, event, "req-reuse-2").await;
    assert_eq!(
        (
            status,
            second.get("duplicate"),
            second["results"][0]["status"].as_str()
        ),
        (200, None, Some("offboarded")),
        "{second}"
    );
    // A retry of either delivery is still answered from its own record.
    let retry = signed_event(&hire, "msg_reused", &[WEBHOOK_SECRET]);
    let (status, repeat, _) = post_as(&app, retry, "req-reuse-3").await;
    assert_eq!(
        (status, &repeat["duplicate"]),
        (201, &json!(true)),
        "{repeat}"
    );
    assert_eq!(repeat["firstRequestId"], "req-reuse-1");
}

#[tokio::test]
async fn a_delivery_that_found_nobody_is_not_remembered_so_its_retry_can_act() {
    // Senders do not keep events in order: a termination may overtake the hire.
    // Its 404 changed nothing, so the sender's retry must run again, not get the 404 back.
    let world = World::new().await;
    let app = world.app(&[]);
    let terminated = json!({"type": "employee.terminated", "timestamp": "2026-11-30T09:05:00Z",
        "data": {"email": "late.hire@example.com", "employeeId": "E-88"}});
    let event = signed_event(&terminated, "msg_leave", &[WEBHOOK_SECRET]);
    let (status, early, _) = post_as(&app, event, "req-order-1").await;
    assert_eq!(status, 404, "{early}");
    let hire = signed_event(
        &hired("late.hire@example.com", "E-88"),
        "msg_hire",
        &[WEBHOOK_SECRET],
    );
    let (status, created, _) = post_as(&app, hire, "req-order-2").await;
    assert_eq!(status, 201, "{created}");
    let retry = signed_event(&terminated, "msg_leave", &[WEBHOOK_SECRET]);
    let (status, retried, _) = post_as(&app, retry, "req-order-3").await;
    assert_eq!(
        (
            status,
            retried.get("duplicate"),
            retried["results"][0]["status"].as_str()
        ),
        (200, None, Some("offboarded")),
        "{retried}"
    );
    // That answer did something, so it is kept.
    let again = signed_event(&terminated, "msg_leave", &[WEBHOOK_SECRET]);
    let (status, repeat, _) = post_as(&app, again, "req-order-4").await;
    assert_eq!(
        (status, &repeat["duplicate"]),
        (200, &json!(true)),
        "{repeat}"
    );
}

#[tokio::test]
async fn a_delivery_running_elsewhere_gets_a_retryable_409_until_its_claim_expires() {
    let world = World::new().await;
    let app = world.app(&[]);
    let body = hired("busy.bee@example.com", "E-60");
    claim_elsewhere(&world, "msg_busy", &body, "another-request", 100).await;
    let (status, response, raw) = post_as(
        &app,
        signed_event(&body, "msg_busy", &[WEBHOOK_SECRET]),
        "req-busy-1",
    )
    .await;
    assert_eq!(status, 409, "{response}");
    assert_eq!(response["error"]["code"], "DeliveryInProgress");
    assert_eq!(raw["headers"]["retry-after"], "60");
    assert!(world.moto.user("busy.bee").is_none() && world.moto.emails().is_empty());
    // The run that held it died (its claim expired): the retry processes the delivery.
    claim_elsewhere(&world, "msg_busy", &body, "another-request", -1).await;
    let (status, response, _) = post_as(
        &app,
        signed_event(&body, "msg_busy", &[WEBHOOK_SECRET]),
        "req-busy-2",
    )
    .await;
    assert_eq!(status, 201, "{response}");
    assert_onboarded(&world, "busy.bee", "busy.bee@example.com");
}

#[tokio::test]
async fn a_failed_delivery_is_not_remembered_and_its_retry_runs_again() {
    let world = World::new().await;
    let app = world.app(&[]);
    let body = hired("try.again@example.com", "E-80");
    world.delete_group("developers").await;
    let (status, response, _) = post_as(
        &app,
        signed_event(&body, "msg_retry", &[WEBHOOK_SECRET]),
        "req-retry-1",
    )
    .await;
    assert_eq!(status, 500, "{response}");
    assert!(
        !table_items(&world)
            .await
            .iter()
            .any(|i| i.contains(&key_of("msg_retry", &body))),
        "the failed delivery's claim was released"
    );
    world.create_group("developers").await;
    let (status, response, _) = post_as(
        &app,
        signed_event(&body, "msg_retry", &[WEBHOOK_SECRET]),
        "req-retry-2",
    )
    .await;
    assert_eq!(
        (status, response.get("duplicate")),
        (201, None),
        "{response}"
    );
    assert_onboarded(&world, "try.again", "try.again@example.com");
    let (status, response, _) = post_as(
        &app,
        signed_event(&body, "msg_retry", &[WEBHOOK_SECRET]),
        "req-retry-3",
    )
    .await;
    assert_eq!(
        (status, &response["duplicate"]),
        (201, &json!(true)),
        "{response}"
    );
    // The X-Onboarding-* scheme has no delivery id: its requests are processed each time.
    let direct =
        json!({"employee": {"email": "try.again@example.com", "employeeId": "E-80"}}).to_string();
    for _ in 0..2 {
        let (status, response) = post_signed(&app, &direct).await;
        assert_eq!(
            (status, response["results"][0]["status"].as_str()),
            (200, Some("already_onboarded"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_containers_racing_on_one_delivery_run_it_once() {
    // Every AWS call takes 25 ms more, as in AWS; the second copy of each delivery
    // arrives 0 to 160 ms after the first, in another container.
    let world = World::new().await;
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::from_millis(25));
    let sdk = sdk_config(&proxy.endpoint).await;
    let (first, second) = (
        build_app(&sdk, world.config(&[])),
        build_app(&sdk, world.config(&[])),
    );
    for run in 0..5u64 {
        let name = format!("racer{run}");
        let body = hired(&format!("{name}@example.com"), &format!("E-9{run}"));
        let id = format!("msg_race_{run}");
        let event = signed_event(&body, &id, &[WEBHOOK_SECRET]);
        let (id_a, id_b) = (format!("{id}-a"), format!("{id}-b"));
        let (a, b) = tokio::join!(post_as(&first, event.clone(), &id_a), async {
            tokio::time::sleep(Duration::from_millis(run * 40)).await;
            post_as(&second, event.clone(), &id_b).await
        });
        // Either may claim the delivery first (run 0 sends both at once): one runs
        // it, the copy meets the running delivery (409, retryable) or its record
        // (a duplicate).
        let copy_of = |r: &(u64, Value, Value)| {
            (r.0 == 409
                && r.1["error"]["code"] == "DeliveryInProgress"
                && r.2["headers"]["retry-after"] == "60")
                || (r.0 == 201 && r.1["duplicate"] == true)
        };
        let (ran, copy) = if copy_of(&a) { (&b, &a) } else { (&a, &b) };
        assert_eq!(
            (ran.0, ran.1.get("duplicate")),
            (201, None),
            "{run}: {}",
            ran.1
        );
        assert!(copy_of(copy), "{run}: {} {}", copy.0, copy.1);
        assert_onboarded(&world, &name, &format!("{name}@example.com"));
    }
    assert_eq!(world.moto.emails().len(), 5, "each delivery ran once");
}
