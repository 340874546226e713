//! Direct invokes against the emulator: users, passwords, policies, groups and
//! emails as moto recorded them.

use serde_json::{Value, json};

use crate::world::{SENDER, World, invoke};
use test_support::tag;

fn jane() -> Value {
    json!({"email": "jane.doe@example.com", "username": "jane.doe", "givenName": "Jane", "familyName": "Doe",
           "employeeId": "E-1042", "department": "Engineering", "groups": ["developers"], "tags": {"CostCenter": "4410"}})
}

fn results(response: &Value) -> &Vec<Value> {
    response["results"].as_array().expect("results array")
}

fn attached_policies(user: &Value) -> Vec<&str> {
    user["attached_managed_policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyArn"].as_str().unwrap())
        .collect()
}

/// Asserts the user is fully onboarded and that the one email it got carries its valid password.
pub fn assert_onboarded(world: &World, name: &str, email: &str) {
    let user = world
        .moto
        .user(name)
        .unwrap_or_else(|| panic!("user {name} exists"));
    assert_eq!(user["path"], "/employees/");
    assert_eq!(tag(&user, "ManagedBy"), Some("iam-onboarding"));
    assert_eq!(tag(&user, "OnboardingStatus"), Some("complete"));
    assert_eq!(attached_policies(&user), [world.policy_arn.as_str()]);
    let emails: Vec<_> = world
        .moto
        .emails()
        .into_iter()
        .filter(|e| e.to == [email])
        .collect();
    assert_eq!(emails.len(), 1, "exactly one email to {email}");
    assert_eq!(emails[0].source, SENDER);
    assert!(!emails[0].subject.contains(&emails[0].password()));
    assert_eq!(
        user["password"].as_str(),
        Some(emails[0].password().as_str()),
        "the emailed password is the valid one"
    );
}

#[tokio::test]
async fn onboards_one_employee_with_a_strict_password_policy() {
    let world = World::new().await;
    world.strict_password_policy(32).await;
    let app = world.app(&[]);

    let response = invoke(&app, json!({"action": "onboard", "employee": jane()}))
        .await
        .unwrap();

    let result = &results(&response)[0];
    assert_eq!(result["status"], "created", "{response}");
    assert_eq!(
        result["userArn"],
        "arn:aws:iam::123456789012:user/employees/jane.doe"
    );
    assert_eq!(result["groups"], json!(["developers"]));
    assert!(
        result["emailMessageId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_onboarded(&world, "jane.doe", "jane.doe@example.com");
    let user = world.moto.user("jane.doe").unwrap();
    assert_eq!(tag(&user, "EmployeeId"), Some("E-1042"));
    assert_eq!(tag(&user, "Department"), Some("Engineering"));
    assert_eq!(tag(&user, "CostCenter"), Some("4410"));
    let password = user["password"].as_str().unwrap();
    assert_eq!(password.len(), 32);
    assert!(
        password.chars().any(|c| c.is_ascii_uppercase())
            && password.chars().any(|c| c.is_ascii_lowercase())
    );
    assert!(
        password.chars().any(|c| c.is_ascii_digit())
            && password.chars().any(|c| !c.is_ascii_alphanumeric())
    );
    assert_eq!(world.group_names("jane.doe").await, ["developers"]);
    let html = &world.moto.emails()[0].html;
    assert!(
        html.contains("https://123456789012.signin.aws.amazon.com/console"),
        "sign-in URL from the account id"
    );
    assert!(
        !response.to_string().contains(password),
        "the response never holds the password"
    );
}

#[tokio::test]
async fn onboards_without_an_account_password_policy_and_uses_the_alias() {
    let world = World::new().await;
    world
        .iam()
        .create_account_alias()
        .account_alias("acme-corp")
        .send()
        .await
        .unwrap();
    let app = world.app(&[]);
    let response = invoke(&app, json!({"employee": {"email": "sam@example.com"}}))
        .await
        .unwrap();
    assert_eq!(results(&response)[0]["status"], "created", "{response}");
    assert_eq!(
        results(&response)[0]["username"],
        "sam",
        "user name derived from the email"
    );
    assert_onboarded(&world, "sam", "sam@example.com");
    assert_eq!(
        world.moto.user("sam").unwrap()["password"]
            .as_str()
            .unwrap()
            .len(),
        20
    );
    assert!(
        world.moto.emails()[0]
            .html
            .contains("https://acme-corp.signin.aws.amazon.com/console")
    );
}

#[tokio::test]
async fn a_repeated_event_is_already_onboarded_and_sends_nothing() {
    let world = World::new().await;
    let app = world.app(&[]);
    let event = json!({"employee": jane()});
    invoke(&app, event.clone()).await.unwrap();
    let password_before = world.moto.user("jane.doe").unwrap()["password"].clone();

    // A new container (cold start) and the same one both see the completed user.
    for app in [app, world.app(&[])] {
        let response = invoke(&app, event.clone()).await.unwrap();
        assert_eq!(
            results(&response)[0]["status"],
            "already_onboarded",
            "{response}"
        );
    }
    assert_eq!(world.moto.emails().len(), 1);
    assert_eq!(
        world.moto.user("jane.doe").unwrap()["password"],
        password_before
    );
}

#[tokio::test]
async fn a_name_taken_by_someone_else_is_a_conflict_and_untouched() {
    let world = World::new().await;
    world
        .iam()
        .create_user()
        .user_name("jane.doe")
        .path("/admins/")
        .send()
        .await
        .unwrap();
    let app = world.app(&[]);
    let response = invoke(&app, json!({"employee": jane()})).await.unwrap();
    let result = &results(&response)[0];
    assert_eq!(result["status"], "conflict");
    assert_eq!(result["error"]["code"], "UserConflict");
    assert_eq!(result["error"]["field"], "username");
    let user = world.moto.user("jane.doe").unwrap();
    assert_eq!(user["path"], "/admins/");
    assert!(user["password"].is_null(), "no password was set");
    assert!(user["tags"].as_array().is_none_or(|tags| tags.is_empty()));
    assert!(attached_policies(&user).is_empty());
    assert!(world.moto.emails().is_empty());

    // Another employee id on a user this function manages is a conflict too.
    invoke(
        &app,
        json!({"employee": {"email": "max@example.com", "employeeId": "E-1"}}),
    )
    .await
    .unwrap();
    let other = invoke(
        &app,
        json!({"employee": {"email": "max@example.org", "employeeId": "E-2"}}),
    )
    .await
    .unwrap();
    assert_eq!(results(&other)[0]["status"], "conflict");
    assert_eq!(world.moto.emails().len(), 1);
}

#[tokio::test]
async fn every_invalid_field_is_rejected_and_writes_nothing() {
    let world = World::new().await;
    let app = world.app(&[]);
    let cases = [
        (json!({"email": "not-an-email"}), "employee.email"),
        (
            json!({"email": "a@example.com", "username": "bad name"}),
            "employee.username",
        ),
        (
            json!({"email": "a@example.com", "username": "x".repeat(65)}),
            "employee.username",
        ),
        (
            json!({"email": "a@example.com", "groups": ["admins"]}),
            "employee.groups[0]",
        ),
        (
            json!({"email": "a@example.com", "tags": {"aws:owner": "x"}}),
            "employee.tags.aws:owner",
        ),
        (
            json!({"email": "a@example.com", "tags": {"ManagedBy": "me"}}),
            "employee.tags.ManagedBy",
        ),
        (
            json!({"email": "a@example.com", "tags": {"semi;colon": "v"}}),
            "employee.tags.semi;colon",
        ),
        (
            json!({"email": "a@example.com", "employeeId": "  "}),
            "employee.employeeId",
        ),
        (
            json!({"email": "a@example.com", "familyName": "Do\u{202e}e"}),
            "employee.familyName",
        ),
        (json!({"email": "ä@example.com"}), "employee.email"),
        (
            json!({"email": "a@example.com", "givenName": "A\u{0}B"}),
            "employee.givenName",
        ),
        (
            json!({"email": "a@example.com", "emial": "typo"}),
            "employee.emial",
        ),
        (json!({"username": "nobody"}), "employee.email"),
    ];
    for (employee, field) in cases {
        let response = invoke(&app, json!({"employee": employee})).await.unwrap();
        let result = &results(&response)[0];
        assert_eq!(result["status"], "rejected", "{employee}");
        assert_eq!(result["error"]["field"], field, "{employee}");
        assert_eq!(result["error"]["code"], "InvalidField");
        assert!(
            result["error"]["message"].as_str().unwrap().len() > field.len() + 2,
            "a reason is given"
        );
    }
    let whole = invoke(&app, json!({"action": "delete", "employee": jane()}))
        .await
        .unwrap_err();
    assert!(whole.to_string().contains("action"));
    assert!(world.moto.user_names().is_empty(), "no user was created");
    assert!(world.moto.emails().is_empty(), "no email was sent");
}

#[tokio::test]
async fn dry_run_reports_the_plan_and_writes_nothing() {
    let world = World::new().await;
    let app = world.app(&[(
        "PERMISSIONS_BOUNDARY_ARN",
        "arn:aws:iam::123456789012:policy/Boundary",
    )]);
    let response = invoke(&app, json!({"dryRun": true, "employee": jane()}))
        .await
        .unwrap();
    let result = &results(&response)[0];
    assert_eq!(result["status"], "dry_run");
    let plan = result["plan"].as_array().unwrap();
    assert!(plan.iter().any(|s| {
        s.as_str()
            .unwrap()
            .contains("permissions boundary arn:aws:iam::123456789012:policy/Boundary")
    }));
    assert!(
        plan.iter()
            .any(|s| s.as_str().unwrap() == "AddUserToGroup developers")
    );
    assert!(world.moto.user_names().is_empty());
    assert!(world.moto.emails().is_empty());
}

#[tokio::test]
async fn a_batch_of_25_with_one_bad_entry_onboards_the_other_24() {
    let world = World::new().await;
    world.strict_password_policy(24).await;
    let app = world.app(&[]);
    let mut employees: Vec<Value> = (0..25)
        .map(|i| json!({"email": format!("person{i}@example.com"), "employeeId": format!("E-{i}"), "groups": ["readers"]}))
        .collect();
    employees[13] = json!({"email": "person13@example.com", "groups": ["root-admins"]});

    let response = invoke(&app, json!({"employees": employees})).await.unwrap();

    let results = results(&response);
    assert_eq!(results.len(), 25);
    for (i, result) in results.iter().enumerate() {
        if i == 13 {
            assert_eq!(result["status"], "rejected");
            assert_eq!(result["error"]["field"], "employees[13].groups[0]");
        } else {
            assert_eq!(result["status"], "created", "{result}");
            assert_eq!(
                result["username"],
                format!("person{i}"),
                "results keep request order"
            );
            assert_onboarded(
                &world,
                &format!("person{i}"),
                &format!("person{i}@example.com"),
            );
        }
    }
    assert!(world.moto.user("person13").is_none());
    assert_eq!(world.moto.emails().len(), 24);
}

/// A failure at a step, then a retry of the same event once the cause is fixed:
/// the retry completes the user and exactly one valid password is delivered.
#[tokio::test]
async fn a_retry_after_an_email_failure_completes_with_one_valid_password() {
    let world = World::with(false).await;
    let app = world.app(&[]);
    let event = json!({"employee": jane()});

    let failed = invoke(&app, event.clone()).await.unwrap();
    let result = &results(&failed)[0];
    assert_eq!(result["status"], "failed", "{failed}");
    assert_eq!(result["error"]["step"], "send_email");
    assert_eq!(result["error"]["code"], "MessageRejected");
    let user = world
        .moto
        .user("jane.doe")
        .expect("the user is left, marked failed");
    assert_eq!(tag(&user, "OnboardingStatus"), Some("failed"));
    assert!(
        user["password"].is_null(),
        "no console password that nobody received"
    );
    assert!(world.moto.emails().is_empty());

    aws_sdk_ses::Client::new(&world.sdk)
        .verify_email_identity()
        .email_address(SENDER)
        .send()
        .await
        .unwrap();
    let retried = invoke(&app, event.clone()).await.unwrap();
    assert_eq!(results(&retried)[0]["status"], "created", "{retried}");
    assert_onboarded(&world, "jane.doe", "jane.doe@example.com");
    let again = invoke(&app, event).await.unwrap();
    assert_eq!(results(&again)[0]["status"], "already_onboarded");
    assert_eq!(world.moto.emails().len(), 1);
}

#[tokio::test]
async fn another_person_cannot_take_over_a_failed_onboarding_of_the_same_name() {
    let world = World::with(false).await;
    let app = world.app(&[]);
    let first = json!({"employee": {"email": "alex@corp.example.com", "groups": ["developers"]}});
    let failed = invoke(&app, first.clone()).await.unwrap();
    assert_eq!(results(&failed)[0]["status"], "failed", "{failed}");
    aws_sdk_ses::Client::new(&world.sdk)
        .verify_email_identity()
        .email_address(SENDER)
        .send()
        .await
        .unwrap();

    let other = json!({"employee": {"email": "alex@contractor.example.org"}});
    let response = invoke(&app, other).await.unwrap();
    assert_eq!(results(&response)[0]["status"], "conflict", "{response}");
    assert!(
        world.moto.emails().is_empty(),
        "no password went to the other person"
    );
    assert!(world.moto.user("alex").unwrap()["password"].is_null());

    let retried = invoke(&app, first).await.unwrap();
    assert_eq!(results(&retried)[0]["status"], "created", "{retried}");
    assert_onboarded(&world, "alex", "alex@corp.example.com");
}

#[tokio::test]
async fn a_retry_after_a_grant_failure_completes() {
    let world = World::new().await;
    world.delete_group("developers").await;
    let app = world.app(&[]);
    let event = json!({"employee": jane()});

    let failed = invoke(&app, event.clone()).await.unwrap();
    assert_eq!(
        results(&failed)[0]["error"]["step"],
        "add_to_group",
        "{failed}"
    );
    assert_eq!(results(&failed)[0]["error"]["code"], "NoSuchEntity");
    assert!(world.moto.user("jane.doe").unwrap()["password"].is_null());
    assert!(world.moto.emails().is_empty());

    world.create_group("developers").await;
    let retried = invoke(&app, event).await.unwrap();
    assert_eq!(results(&retried)[0]["status"], "created", "{retried}");
    assert_onboarded(&world, "jane.doe", "jane.doe@example.com");
}

#[tokio::test]
async fn a_retry_replaces_a_password_left_by_an_interrupted_run() {
    // As if a run set the password and then the container died before emailing.
    let world = World::new().await;
    let app = world.app(&[]);
    let iam = world.iam();
    let pending = aws_sdk_iam::types::Tag::builder()
        .key("OnboardingStatus")
        .value("pending")
        .build()
        .unwrap();
    let marker = aws_sdk_iam::types::Tag::builder()
        .key("ManagedBy")
        .value("iam-onboarding")
        .build()
        .unwrap();
    let id = aws_sdk_iam::types::Tag::builder()
        .key("EmployeeId")
        .value("E-1042")
        .build()
        .unwrap();
    iam.create_user()
        .user_name("jane.doe")
        .path("/employees/")
        .tags(marker)
        .tags(pending)
        .tags(id)
        .send()
        .await
        .unwrap();
    iam.create_login_profile()
        .user_name("jane.doe")
        .password("Never-Delivered-1!")
        .send()
        .await
        .unwrap();

    let response = invoke(&app, json!({"employee": jane()})).await.unwrap();
    assert_eq!(results(&response)[0]["status"], "created", "{response}");
    assert_onboarded(&world, "jane.doe", "jane.doe@example.com");
    assert_ne!(
        world.moto.user("jane.doe").unwrap()["password"],
        "Never-Delivered-1!"
    );
}

#[tokio::test]
async fn eventbridge_employee_hired_onboards_and_other_events_change_nothing() {
    let world = World::new().await;
    let app = world.app(&[]);
    let event = |detail_type: &str, source: &str| {
        json!({"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": detail_type,
               "source": source, "account": "123456789012", "time": "2026-11-27T09:00:00Z", "region": "us-east-1",
               "resources": [], "detail": jane()})
    };
    let unknown = invoke(&app, event("Employee Fired", "com.example.hr"))
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("Employee Fired"));
    let wrong_source = invoke(&app, event("Employee Hired", "com.evil"))
        .await
        .unwrap_err();
    assert!(wrong_source.to_string().contains("EVENTBRIDGE_SOURCE"));
    assert!(world.moto.user_names().is_empty());

    let response = invoke(&app, event("Employee Hired", "com.example.hr"))
        .await
        .unwrap();
    assert_eq!(results(&response)[0]["status"], "created");
    assert_onboarded(&world, "jane.doe", "jane.doe@example.com");

    // detail may also be a whole onboarding request, e.g. a dry run.
    let mut dry_run = event("Employee Hired", "com.example.hr");
    dry_run["detail"] = json!({"dryRun": true, "employee": {"email": "new.hire@example.com"}});
    let response = invoke(&app, dry_run).await.unwrap();
    assert_eq!(results(&response)[0]["status"], "dry_run");
    assert!(world.moto.user("new.hire").is_none());

    let mut bad = event("Employee Hired", "com.example.hr");
    bad["detail"]["email"] = json!("nope");
    let diagnostic: lambda_runtime::Diagnostic = invoke(&app, bad).await.unwrap_err().into();
    assert_eq!(diagnostic.error_type, "EmployeeRejected");
    assert!(diagnostic.error_message.contains("email"));
}

#[tokio::test]
async fn free_text_iam_cannot_store_is_normalised_with_a_warning() {
    // Issue 11, input 1: the department "R&D" no longer blocks the hire.
    let world = World::new().await;
    let app = world.app(&[]);
    let response = invoke(
        &app,
        json!({"employee": {"email": "tom.baker@example.com", "employeeId": "E-2001", "department": "R&D"}}),
    )
    .await
    .unwrap();
    let result = &results(&response)[0];
    assert_eq!(result["status"], "created", "{response}");
    assert!(
        result["warning"]
            .as_str()
            .unwrap()
            .starts_with("employee.department: normalised"),
        "{result}"
    );
    assert_onboarded(&world, "tom.baker", "tom.baker@example.com");
    let user = world.moto.user("tom.baker").unwrap();
    assert_eq!(tag(&user, "Department"), Some("R-D"));
    assert_eq!(tag(&user, "EmployeeId"), Some("E-2001"));

    // Several fields: each is named; a value with nothing left is left out.
    let response = invoke(
        &app,
        json!({"employees": [{"email": "ann.lee@example.com", "department": "Finance (EMEA)",
            "tags": {"Team": "Ops, North #2", "Site": "(?)", "CostCenter": "4410"}}]}),
    )
    .await
    .unwrap();
    let result = &results(&response)[0];
    assert_eq!(result["status"], "created", "{response}");
    let warning = result["warning"].as_str().unwrap();
    for field in [
        "employees[0].department",
        "employees[0].tags.Site: left out",
        "employees[0].tags.Team",
    ] {
        assert!(warning.contains(field), "{field} in {warning}");
    }
    assert!(!warning.contains("CostCenter"), "{warning}");
    let user = world.moto.user("ann.lee").unwrap();
    assert_eq!(tag(&user, "Department"), Some("Finance -EMEA"));
    assert_eq!(tag(&user, "Team"), Some("Ops- North -2"));
    assert_eq!(tag(&user, "Site"), None);

    // Nothing normalised: no warning, as before.
    let response = invoke(&app, json!({"employee": jane()})).await.unwrap();
    assert!(results(&response)[0].get("warning").is_none(), "{response}");
}

#[tokio::test]
async fn international_domains_in_either_form_are_one_person_and_ses_gets_ascii() {
    // Issue 11, input 2.
    let world = World::new().await;
    let app = world.app(&[]);
    let punycode = "ivan.petrov@xn--e1afmkfd.xn--p1ai";
    let response = invoke(&app, json!({"employee": {"email": punycode}}))
        .await
        .unwrap();
    assert_eq!(results(&response)[0]["status"], "created", "{response}");
    assert_onboarded(&world, "ivan.petrov", punycode);

    // The Unicode spelling of the same address is the same person.
    let response = invoke(
        &app,
        json!({"employee": {"email": "ivan.petrov@пример.рф"}}),
    )
    .await
    .unwrap();
    assert_eq!(
        results(&response)[0]["status"],
        "already_onboarded",
        "{response}"
    );

    // The Unicode form alone is created too, and SES receives the ASCII form.
    let response = invoke(&app, json!({"employee": {"email": "olga@пример.рф"}}))
        .await
        .unwrap();
    assert_eq!(results(&response)[0]["status"], "created", "{response}");
    assert_onboarded(&world, "olga", "olga@xn--e1afmkfd.xn--p1ai");

    let response = invoke(&app, json!({"employee": {"email": "иван@пример.рф"}}))
        .await
        .unwrap();
    let result = &results(&response)[0];
    assert_eq!(result["status"], "rejected");
    assert_eq!(result["error"]["field"], "employee.email");
    assert!(
        result["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SES (v1 API) cannot send"),
        "{result}"
    );
    assert_eq!(world.moto.user_names().len(), 2);
}
