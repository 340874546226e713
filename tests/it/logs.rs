//! Captures every log line of real runs (success, failure, webhook) and checks
//! that no password, webhook secret or full email address appears.

use std::io::Write;
use std::sync::{Arc, Mutex};

use iam_onboarding::logging;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::standard_webhooks::signed_event;
use crate::webhook::{http, post_signed};
use crate::world::{WEBHOOK_SECRET, World, invoke, invoke_as};

#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

async fn capture_run(filter: &str) {
    let world = World::with(false).await;
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(logging::subscriber(
        captured.clone(),
        EnvFilter::new(filter),
    ));
    let app = world.app(&[]);
    // IAM allows an address as user name; it is masked in logs too.
    let employee = json!({"email": "jane.doe@example.com", "username": "jane.doe@example.com",
                          "employeeId": "E-1042", "groups": ["developers"]});
    let jane = json!({"employee": employee});

    // A failed delivery (password set, then removed) from EventBridge, whose error the Lambda
    // runtime logs, then a successful retry through a signed webhook.
    let event = json!({"version": "0", "id": "e-1", "detail-type": "Employee Hired", "source": "com.example.hr",
                       "account": "123456789012", "time": "2026-11-27T09:00:00Z", "region": "us-east-1",
                       "resources": [], "detail": employee});
    let error = invoke(&app, event).await.unwrap_err().to_string();
    assert!(
        error.contains("MessageRejected") || error.contains("send_email"),
        "{error}"
    );
    assert!(
        !error.contains("it@example.com") && error.contains("i***@example.com"),
        "{error}"
    );
    aws_sdk_ses::Client::new(&world.sdk)
        .verify_email_identity()
        .email_address("it@example.com")
        .send()
        .await
        .unwrap();
    let (status, response) = post_signed(&app, &jane.to_string()).await;
    assert_eq!(status, 201, "{response}");
    // The same hire as a Standard Webhooks delivery, then its repeat (answered from its record).
    let hired =
        json!({"type": "employee.hired", "timestamp": "2026-11-30T09:00:00Z", "data": employee});
    for request_id in ["req-standard-1", "req-standard-2"] {
        let event = signed_event(&hired, "msg_logs", &[WEBHOOK_SECRET]);
        let (status, response) = http(&invoke_as(&app, event, request_id).await.unwrap());
        assert_eq!(status, 200, "{response}");
    }
    drop(_guard);

    let password = world.moto.user("jane.doe@example.com").unwrap()["password"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(world.moto.emails()[0].password(), password);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert!(
        lines.len() >= 10,
        "the run was logged ({} lines)",
        lines.len()
    );
    for step in [
        "create_user",
        "create_login_profile",
        "send_email",
        "undo_login_profile",
        "mark_complete",
    ] {
        assert!(
            logs.contains(&format!("\"step\":\"{step}\"")),
            "step {step} is logged"
        );
    }
    assert!(logs.contains("E-1042"), "employee id is logged");
    assert!(
        logs.contains("repeated delivery answered like the first"),
        "the repeated delivery is logged"
    );
    assert!(
        logs.contains("j***@example.com"),
        "masked address is logged"
    );
    assert!(
        !logs.contains(&password),
        "the password never reaches a log line"
    );
    assert!(
        !logs.contains(WEBHOOK_SECRET),
        "the webhook secret never reaches a log line"
    );
    if filter == logging::DEFAULT_FILTER {
        // At trace level the SDK logs request parameters (the user name) and the Lambda
        // runtime logs raw events: addresses may appear there, secrets may not.
        let full = logs.lines().find(|l| l.contains("jane.doe@example.com"));
        assert!(
            full.is_none(),
            "no full email address in the logs: {full:?}"
        );
    }
}

#[tokio::test]
async fn logs_at_the_default_level_hold_no_secret() {
    capture_run(logging::DEFAULT_FILTER).await;
}

#[tokio::test]
async fn logs_at_trace_level_hold_no_secret() {
    capture_run("trace").await;
}
