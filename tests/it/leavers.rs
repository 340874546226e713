//! Leavers and movers against the emulator: a user gets every kind of
//! credential and group an employee can have, then is offboarded, updated or
//! rehired, and IAM is read back.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::StatusType;
use serde_json::{Value, json};

use crate::world::{World, invoke};
use test_support::tag;

pub const DENY_ALL: &str = "arn:aws:iam::aws:policy/AWSDenyAll";
/// A group outside ALLOWED_GROUPS, which offboarding and update must leave alone.
pub const OTHER_GROUP: &str = "contractors";

fn jane() -> Value {
    json!({"email": "jane.doe@example.com", "username": "jane.doe", "givenName": "Jane",
           "employeeId": "E-1042", "department": "Engineering", "groups": ["developers", "readers"],
           "tags": {"CostCenter": "4410"}})
}

async fn status_of(app: &iam_onboarding::handler::App, payload: Value) -> String {
    let response = invoke(app, payload).await.expect("direct invoke answers");
    response["results"][0]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("no status in {response}"))
        .to_string()
}

/// What an employee does after onboarding: an access key, an SSH key, a signing
/// certificate, a CodeCommit credential, and a group outside the allow-list
/// (created when missing).
pub async fn give_credentials(iam: &Client, name: &str) {
    iam.create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("access key");
    iam.upload_ssh_public_key()
        .user_name(name)
        .ssh_public_key_body(include_str!("fixtures/ssh-public-key.pub"))
        .send()
        .await
        .expect("ssh key");
    iam.upload_signing_certificate()
        .user_name(name)
        .certificate_body(include_str!("fixtures/signing-certificate.pem"))
        .send()
        .await
        .expect("signing certificate");
    iam.create_service_specific_credential()
        .user_name(name)
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .expect("service-specific credential");
    let _ = iam.create_group().group_name(OTHER_GROUP).send().await;
    iam.add_user_to_group()
        .user_name(name)
        .group_name(OTHER_GROUP)
        .send()
        .await
        .expect("join the other group");
}

/// What is wrong with `name` as an offboarded user (empty when nothing):
/// console access, an active credential, AWSDenyAll missing, an allowed group
/// left, the other group gone, or the status tags missing.
pub async fn access_problems(iam: &Client, name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if iam.get_login_profile().user_name(name).send().await.is_ok() {
        problems.push("a login profile (console access) remains".to_string());
    }
    let active = |s: &StatusType| *s == StatusType::Active;
    let keys = iam.list_access_keys().user_name(name).send().await.unwrap();
    let ssh = iam
        .list_ssh_public_keys()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let certificates = iam
        .list_signing_certificates()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let service = iam
        .list_service_specific_credentials()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let counts = [
        (
            "access key",
            keys.access_key_metadata().len(),
            keys.access_key_metadata()
                .iter()
                .filter(|k| k.status().is_some_and(active))
                .count(),
        ),
        (
            "SSH key",
            ssh.ssh_public_keys().len(),
            ssh.ssh_public_keys()
                .iter()
                .filter(|k| active(k.status()))
                .count(),
        ),
        (
            "certificate",
            certificates.certificates().len(),
            certificates
                .certificates()
                .iter()
                .filter(|c| active(c.status()))
                .count(),
        ),
        (
            "service credential",
            service.service_specific_credentials().len(),
            service
                .service_specific_credentials()
                .iter()
                .filter(|c| active(c.status()))
                .count(),
        ),
    ];
    for (kind, total, still_active) in counts {
        if total == 0 || still_active > 0 {
            problems.push(format!(
                "{kind}s: {total} kept, {still_active} still active"
            ));
        }
    }
    let attached = iam
        .list_attached_user_policies()
        .user_name(name)
        .send()
        .await
        .unwrap();
    if !attached
        .attached_policies()
        .iter()
        .any(|p| p.policy_arn() == Some(DENY_ALL))
    {
        problems.push("AWSDenyAll is not attached".to_string());
    }
    let groups = iam
        .list_groups_for_user()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = groups.groups().iter().map(|g| g.group_name()).collect();
    if names != [OTHER_GROUP] {
        problems.push(format!("groups {names:?}: expected only {OTHER_GROUP}"));
    }
    let user = iam.get_user().user_name(name).send().await.unwrap();
    let tags = user.user().map(|u| u.tags().to_vec()).unwrap_or_default();
    let value = |key: &str| {
        tags.iter()
            .find(|t| t.key() == key)
            .map(|t| t.value().to_string())
    };
    if value("OnboardingStatus").as_deref() != Some("offboarded") || value("OffboardedAt").is_none()
    {
        problems.push(format!(
            "tags {tags:?}: expected OnboardingStatus=offboarded and OffboardedAt"
        ));
    }
    problems
}

#[tokio::test]
async fn offboarding_ends_every_access_and_leaves_other_groups() {
    let world = World::new().await;
    let app = world.app(&[]);
    assert_eq!(
        status_of(&app, json!({"employee": jane()})).await,
        "created"
    );
    give_credentials(&world.iam(), "jane.doe").await;

    let leaver = json!({"action": "offboard", "employee": {"email": "jane.doe@example.com", "employeeId": "E-1042"}});
    assert_eq!(status_of(&app, leaver.clone()).await, "offboarded");
    assert_eq!(
        access_problems(&world.iam(), "jane.doe").await,
        Vec::<String>::new()
    );
    assert_eq!(status_of(&app, leaver).await, "already_offboarded");

    let stranger = json!({"action": "offboard", "employee": {"email": "nobody@example.com"}});
    assert_eq!(status_of(&app, stranger).await, "not_found");
}

#[tokio::test]
async fn an_update_moves_allowed_groups_and_rewrites_tags() {
    let world = World::new().await;
    let app = world.app(&[]);
    assert_eq!(
        status_of(&app, json!({"employee": jane()})).await,
        "created"
    );
    world
        .iam()
        .create_group()
        .group_name(OTHER_GROUP)
        .send()
        .await
        .unwrap();
    world
        .iam()
        .add_user_to_group()
        .user_name("jane.doe")
        .group_name(OTHER_GROUP)
        .send()
        .await
        .unwrap();

    let mut moved = jane();
    moved["groups"] = json!(["readers"]);
    moved["department"] = json!("Sales");
    moved["tags"] = json!({"CostCenter": "5520"});
    let update = json!({"action": "update", "employee": moved});
    assert_eq!(status_of(&app, update.clone()).await, "updated");

    assert_eq!(
        world.group_names("jane.doe").await,
        [OTHER_GROUP, "readers"]
    );
    let user = world.moto.user("jane.doe").unwrap();
    assert_eq!(tag(&user, "Department"), Some("Sales"));
    assert_eq!(tag(&user, "CostCenter"), Some("5520"));
    assert_eq!(tag(&user, "OnboardingStatus"), Some("complete"));
    assert_eq!(status_of(&app, update).await, "unchanged");
}

#[tokio::test]
async fn a_rehire_lifts_the_deny_and_mails_a_new_password() {
    let world = World::new().await;
    let app = world.app(&[]);
    assert_eq!(
        status_of(&app, json!({"employee": jane()})).await,
        "created"
    );
    give_credentials(&world.iam(), "jane.doe").await;
    let leaver = json!({"action": "offboard", "employee": {"email": "jane.doe@example.com", "employeeId": "E-1042"}});
    assert_eq!(status_of(&app, leaver).await, "offboarded");

    // The hire event replayed after the termination is not a rehire (issue 21).
    assert_eq!(
        status_of(&app, json!({"employee": jane()})).await,
        "conflict"
    );
    let still = world.moto.user("jane.doe").unwrap();
    assert_eq!(tag(&still, "OnboardingStatus"), Some("offboarded"));
    assert_eq!(
        world.moto.emails().len(),
        1,
        "no email for the replayed hire"
    );

    let mut rehire = jane();
    rehire["rehire"] = json!(true);
    assert_eq!(
        status_of(&app, json!({"employee": rehire})).await,
        "created"
    );
    let user = world.moto.user("jane.doe").unwrap();
    assert_eq!(tag(&user, "OnboardingStatus"), Some("complete"));
    assert_eq!(tag(&user, "OffboardedAt"), None);
    let attached = world
        .iam()
        .list_attached_user_policies()
        .user_name("jane.doe")
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(arns, [world.policy_arn.as_str()], "AWSDenyAll is detached");
    let emails: Vec<_> = world
        .moto
        .emails()
        .into_iter()
        .filter(|e| e.to == ["jane.doe@example.com"])
        .collect();
    assert_eq!(emails.len(), 2, "a welcome email on hire and on rehire");
    assert_eq!(
        user["password"].as_str(),
        Some(emails[1].password().as_str()),
        "the new password works"
    );
    let keys = world
        .iam()
        .list_access_keys()
        .user_name("jane.doe")
        .send()
        .await
        .unwrap();
    assert!(
        keys.access_key_metadata()
            .iter()
            .all(|k| k.status() == Some(&StatusType::Inactive)),
        "old keys stay inactive"
    );
}

#[tokio::test]
async fn eventbridge_failures_name_the_action_and_the_reason() {
    let world = World::new().await;
    let app = world.app(&[]);
    let event = |detail_type: &str, detail: Value| {
        json!({"version": "0", "id": "e1", "detail-type": detail_type, "source": "com.example.hr",
               "account": "123456789012", "time": "2026-11-28T17:00:00Z", "region": "us-east-1",
               "resources": [], "detail": detail})
    };
    let error_type = |result: Result<Value, iam_onboarding::error::HandlerError>| {
        lambda_runtime::Diagnostic::from(result.expect_err("the event fails")).error_type
    };
    let unknown = event(
        "Employee Terminated",
        json!({"email": "nobody@example.com"}),
    );
    assert_eq!(error_type(invoke(&app, unknown).await), "UserNotFound");
    world
        .iam()
        .create_user()
        .user_name("bob")
        .path("/employees/")
        .send()
        .await
        .unwrap();
    let unmanaged = event("Employee Updated", json!({"email": "bob@example.com"}));
    assert_eq!(error_type(invoke(&app, unmanaged).await), "UserConflict");
    let mismatch = event(
        "Employee Terminated",
        json!({"action": "update", "employee": {"email": "bob@example.com"}}),
    );
    assert_eq!(error_type(invoke(&app, mismatch).await), "InvalidRequest");
    assert!(
        world.moto.user("bob").unwrap()["tags"]
            .as_array()
            .is_none_or(|t| t.is_empty())
    );
}

const SCHEDULE_GROUP: &str = "iam-onboarding-offboarding";

/// An app whose deployment schedules future offboardings (the group exists in
/// moto), with Jane onboarded.
async fn scheduling_app_with_jane(world: &World) -> iam_onboarding::handler::App {
    aws_sdk_scheduler::Client::new(&world.sdk)
        .create_schedule_group()
        .name(SCHEDULE_GROUP)
        .send()
        .await
        .unwrap();
    let app = world.app(&[
        ("OFFBOARDING_SCHEDULE_GROUP", SCHEDULE_GROUP),
        (
            "OFFBOARDING_SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/iam-onboarding-scheduler",
        ),
    ]);
    assert_eq!(
        status_of(&app, json!({"employee": jane()})).await,
        "created"
    );
    app
}

/// The schedules in the group, read back from moto.
async fn pending(
    world: &World,
) -> Vec<aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput> {
    let scheduler = aws_sdk_scheduler::Client::new(&world.sdk);
    let listed = scheduler
        .list_schedules()
        .group_name(SCHEDULE_GROUP)
        .send()
        .await
        .unwrap();
    let mut found = Vec::new();
    for summary in listed.schedules() {
        let schedule = scheduler
            .get_schedule()
            .group_name(SCHEDULE_GROUP)
            .name(summary.name().unwrap())
            .send()
            .await
            .unwrap();
        found.push(schedule);
    }
    found
}

/// Their expressions (`at(...)`).
async fn pending_schedules(world: &World) -> Vec<String> {
    pending(world)
        .await
        .iter()
        .map(|s| s.schedule_expression().unwrap_or_default().to_string())
        .collect()
}

fn future_leaver(at: &str) -> Value {
    json!({"action": "offboard", "employee": {"email": "jane.doe@example.com",
           "employeeId": "E-1042", "effectiveAt": at}})
}

#[tokio::test]
async fn a_future_offboarding_keeps_exactly_one_schedule_per_person() {
    let world = World::new().await;
    let app = scheduling_app_with_jane(&world).await;
    assert_eq!(
        status_of(&app, future_leaver("2099-12-31T17:00:00Z")).await,
        "scheduled"
    );
    assert_eq!(pending_schedules(&world).await, ["at(2099-12-31T17:00:00)"]);
    assert_eq!(
        status_of(&app, future_leaver("2099-06-30T12:00:00+02:00")).await,
        "scheduled"
    );
    assert_eq!(
        pending_schedules(&world).await,
        ["at(2099-06-30T10:00:00)"],
        "the later offboarding replaced it"
    );
    let user = world.moto.user("jane.doe").unwrap();
    assert_eq!(
        tag(&user, "OnboardingStatus"),
        Some("complete"),
        "nothing else changed yet"
    );

    // Offboarded now (as the schedule would): the pending schedule goes.
    let now = json!({"action": "offboard", "employee": {"email": "jane.doe@example.com", "employeeId": "E-1042"}});
    assert_eq!(status_of(&app, now).await, "offboarded");
    assert!(pending_schedules(&world).await.is_empty());
}

#[tokio::test]
async fn a_cancelled_termination_or_a_rehire_deletes_the_pending_schedule() {
    let world = World::new().await;
    let app = scheduling_app_with_jane(&world).await;

    // HR withdraws the termination: an update saying so.
    assert_eq!(
        status_of(&app, future_leaver("2099-12-31T17:00:00Z")).await,
        "scheduled"
    );
    let mut withdrawn = jane();
    withdrawn["terminationCancelled"] = json!(true);
    let response = invoke(&app, json!({"action": "update", "employee": withdrawn}))
        .await
        .unwrap();
    assert_eq!(response["results"][0]["status"], "updated", "{response}");
    assert_eq!(response["results"][0]["offboardingCancelled"], true);
    assert!(pending_schedules(&world).await.is_empty());

    // Hired again before the last day: the onboard cancels it.
    assert_eq!(
        status_of(&app, future_leaver("2099-12-31T17:00:00Z")).await,
        "scheduled"
    );
    let response = invoke(&app, json!({"employee": jane()})).await.unwrap();
    assert_eq!(
        response["results"][0]["status"], "already_onboarded",
        "{response}"
    );
    assert_eq!(response["results"][0]["offboardingCancelled"], true);
    assert!(pending_schedules(&world).await.is_empty());
    let user = world.moto.user("jane.doe").unwrap();
    assert_eq!(tag(&user, "OnboardingStatus"), Some("complete"));
}

#[tokio::test]
async fn the_schedules_own_payload_offboards_and_a_failure_fails_the_invocation() {
    let world = World::new().await;
    let app = scheduling_app_with_jane(&world).await;
    give_credentials(&world.iam(), "jane.doe").await;
    assert_eq!(
        status_of(&app, future_leaver("2099-12-31T17:00:00Z")).await,
        "scheduled"
    );
    // What Scheduler will send, read back from the emulator.
    let schedule = pending(&world).await.remove(0);
    let payload: Value = serde_json::from_str(schedule.target().unwrap().input().unwrap()).unwrap();
    assert_eq!(status_of(&app, payload).await, "offboarded");
    assert_eq!(
        access_problems(&world.iam(), "jane.doe").await,
        Vec::<String>::new()
    );

    // A scheduled run that does not end offboarded is a Lambda error (Scheduler
    // invokes asynchronously: Lambda retries it, then the dead-letter queue keeps it);
    // the same request sent by hand answers with its result.
    let nobody = json!({"email": "nobody@example.com"});
    let scheduled = json!({"action": "offboard", "fromSchedule": true, "employee": nobody});
    let error = invoke(&app, scheduled)
        .await
        .expect_err("fails the invocation");
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "UserNotFound"
    );
    let by_hand = json!({"action": "offboard", "employee": nobody});
    assert_eq!(status_of(&app, by_hand).await, "not_found");
}
