//! Standard Webhooks (issue 15) through the handler, signed by the spec's
//! reference library (`standardwebhooks` from PyPI, through
//! `scripts/sign-webhook-event.py --standard`), with the secret in moto's
//! Secrets Manager.

use std::process::Command;

use iam_onboarding::handler::App;
use serde_json::{Value, json};
use test_support::{venv_tool, workspace_root};

use crate::onboarding::assert_onboarded;
use crate::webhook::{function_url_event, http, now, post_signed};
use crate::world::{WEBHOOK_SECRET, World, invoke};

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
