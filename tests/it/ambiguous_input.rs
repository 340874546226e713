//! Input that could mean two things, or whose error named the wrong thing (issue 16
//! parts 4 and 5): refused with the right field and no write, on every trigger.

use iam_onboarding::error::HandlerError;
use iam_onboarding::handler::App;
use iam_onboarding::triggers::StrictJson;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::{Value, json};

use crate::webhook::post_signed;
use crate::world::{FUNCTION_ARN, SENDER, World, invoke};

/// Invokes the handler with raw bytes, parsed the way the Lambda runtime parses them.
async fn invoke_bytes(app: &App, bytes: &str) -> Result<Value, HandlerError> {
    let payload: StrictJson = serde_json::from_slice(bytes.as_bytes()).expect("valid JSON");
    let mut context = Context::default();
    context.invoked_function_arn = FUNCTION_ARN.into();
    app.handle(LambdaEvent::new(payload, context)).await
}

fn diagnostic(result: Result<Value, HandlerError>) -> Diagnostic {
    result.expect_err("the invoke fails").into()
}

fn eventbridge(detail: &str) -> String {
    format!(
        r#"{{"version": "0", "id": "e-1", "detail-type": "Employee Hired", "source": "com.example.hr",
            "account": "123456789012", "time": "2026-11-27T09:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {detail}}}"#
    )
}

#[tokio::test]
async fn duplicate_keys_are_refused_with_their_path_on_every_trigger() {
    let world = World::new().await;
    let app = world.app(&[]);
    let direct = [
        (
            r#"{"employee": {"email": "a@example.org", "email": "b@example.org"}}"#,
            "employee.email",
        ),
        (
            r#"{"employee": {"email": "a@example.org"}, "employee": {"email": "b@example.org"}}"#,
            "employee",
        ),
        (
            r#"{"employees": [{"email": "a@example.org", "tags": {"Team": "x", "Team": "y"}}]}"#,
            "employees[0].tags.Team",
        ),
    ];
    for (body, field) in direct {
        let error = diagnostic(invoke_bytes(&app, body).await);
        assert_eq!(error.error_type, "InvalidRequest", "{body}");
        assert!(
            error
                .error_message
                .contains(&format!("{field}: duplicate key")),
            "{body}: {}",
            error.error_message
        );
        // The signed webhook body: 400 naming the same field.
        let (status, response) = post_signed(&app, body).await;
        assert_eq!(status, 400, "{response}");
        assert_eq!(response["error"]["code"], "InvalidField");
        assert_eq!(response["error"]["field"], field);
    }
    let event = eventbridge(r#"{"email": "a@example.org", "email": "b@example.org"}"#);
    let error = diagnostic(invoke_bytes(&app, &event).await);
    assert_eq!(error.error_type, "InvalidRequest");
    assert!(error.error_message.contains("detail.email: duplicate key"));

    assert!(world.moto.user_names().is_empty(), "nothing was written");
    assert!(world.moto.emails().is_empty());
    // Without duplicates the same bytes path onboards.
    let ok = invoke_bytes(&app, r#"{"employee": {"email": "a@example.org"}}"#)
        .await
        .unwrap();
    assert_eq!(ok["results"][0]["status"], "created", "{ok}");
}

#[tokio::test]
async fn eventbridge_shape_errors_name_the_field() {
    let world = World::new().await;
    let app = world.app(&[]);
    for detail in [
        r#""jane@example.com""#,
        "null",
        r#"[{"email": "jane@example.com"}]"#,
    ] {
        let error = diagnostic(invoke_bytes(&app, &eventbridge(detail)).await);
        assert_eq!(error.error_type, "InvalidRequest", "{detail}");
        assert!(
            error
                .error_message
                .starts_with("invalid request: detail: must be a JSON object"),
            "{detail}: {}",
            error.error_message
        );
    }
    let event = eventbridge(r#"{"email": "jane@example.com"}"#);
    let numeric = event.replace(r#""detail-type": "Employee Hired""#, r#""detail-type": 7"#);
    let error = diagnostic(invoke_bytes(&app, &numeric).await);
    assert_eq!(error.error_type, "InvalidRequest");
    assert!(
        error
            .error_message
            .contains("detail-type: must be a string"),
        "{}",
        error.error_message
    );
    let sourceless = event.replace(r#""source": "com.example.hr","#, "");
    let error = diagnostic(invoke_bytes(&app, &sourceless).await);
    assert_eq!(
        error.error_type, "UnsupportedEvent",
        "{}",
        error.error_message
    );
    assert!(
        !error.error_message.contains("account"),
        "{}",
        error.error_message
    );
    assert!(world.moto.user_names().is_empty());
}

#[tokio::test]
async fn a_rejected_send_on_a_direct_invoke_does_not_return_the_full_address() {
    // moto rejects the unverified sender with a message naming it.
    let world = World::with(false).await;
    let app = world.app(&[]);
    let response = invoke(&app, json!({"employee": {"email": "jane.doe@example.com"}}))
        .await
        .unwrap();
    let result = &response["results"][0];
    assert_eq!(result["status"], "failed", "{response}");
    assert_eq!(result["error"]["code"], "MessageRejected");
    let text = response.to_string();
    assert!(!text.contains(SENDER), "{text}");
    assert!(text.contains("i***@example.com"), "{text}");

    // A user name that is an email address is masked in a failure too (issue 21).
    let response = invoke(
        &app,
        json!({"employee": {"email": "ann.lee@example.com", "username": "ann.lee@example.com"}}),
    )
    .await
    .unwrap();
    let result = &response["results"][0];
    assert_eq!(result["status"], "failed", "{response}");
    assert_eq!(result["username"], "a***@example.com", "{response}");
    assert!(!response.to_string().contains("ann.lee@"), "{response}");
}

#[tokio::test]
async fn invisible_characters_in_names_are_refused() {
    let world = World::new().await;
    let app = world.app(&[]);
    for (employee, field) in [
        (
            json!({"email": "ann@example.com", "givenName": "Ann\u{202e}evil"}),
            "employee.givenName",
        ),
        (
            json!({"email": "ann@example.com", "familyName": "Le\u{200d}e"}),
            "employee.familyName",
        ),
    ] {
        let response = invoke(&app, json!({"employee": employee})).await.unwrap();
        assert_eq!(response["results"][0]["status"], "rejected", "{response}");
        assert_eq!(response["results"][0]["error"]["field"], field);
    }
    // In free text that becomes a tag they are stripped instead (issue 11's normalisation).
    let response = invoke(
        &app,
        json!({"employee": {"email": "ann@example.com", "department": "Fin\u{202e}ance"}}),
    )
    .await
    .unwrap();
    assert_eq!(response["results"][0]["status"], "created", "{response}");
    let user = world.moto.user("ann").unwrap();
    assert_eq!(test_support::tag(&user, "Department"), Some("Finance"));
}
