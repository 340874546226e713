//! The credential sweep against the emulator (moto produces credential
//! reports): thresholds low enough that every rule fires, real deletions, and
//! the users the sweep must never touch read back afterwards.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::Tag;
use serde_json::{Value, json};

use crate::leavers::{OTHER_GROUP, give_credentials};
use crate::world::{World, invoke};

const DAY: i64 = 86_400;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn onboard(app: &iam_onboarding::handler::App, email: &str, employee_id: &str) {
    let response = invoke(
        app,
        json!({"employee": {"email": email, "employeeId": employee_id, "groups": ["developers"]}}),
    )
    .await
    .expect("onboarding answers");
    assert_eq!(response["results"][0]["status"], "created", "{response}");
}

/// The user's `OnboardingStatus` tag; `None` when the user does not exist.
/// (Read through IAM: moto's data.json cannot render every state a sweep leaves.)
async fn status_tag(iam: &Client, name: &str) -> Option<String> {
    let user = iam.get_user().user_name(name).send().await.ok()?;
    Some(
        user.user()?
            .tags()
            .iter()
            .find(|t| t.key() == "OnboardingStatus")
            .map_or(String::new(), |t| t.value().to_string()),
    )
}

async fn has_login_profile(iam: &Client, name: &str) -> bool {
    iam.get_login_profile().user_name(name).send().await.is_ok()
}

/// A user made by hand (not by the function): under `path`, with a console
/// password and `tags`.
async fn hand_made_user(iam: &Client, name: &str, path: &str, tags: &[(&str, String)]) {
    iam.create_user()
        .user_name(name)
        .path(path)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(v).build().unwrap())
                .collect(),
        ))
        .send()
        .await
        .expect("create user");
    iam.create_login_profile()
        .user_name(name)
        .password("Hand-made-Passw0rd!")
        .send()
        .await
        .expect("login profile");
}

/// Makes an offboarded user's `OffboardedAt` `days` old.
async fn offboarded_days_ago(iam: &Client, name: &str, days: i64) {
    iam.tag_user()
        .user_name(name)
        .tags(
            Tag::builder()
                .key("OffboardedAt")
                .value((now() - days * DAY).to_string())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tag");
}

async fn sweep(app: &iam_onboarding::handler::App, dry_run: bool) -> Value {
    let response = invoke(app, json!({"action": "sweep", "dryRun": dry_run}))
        .await
        .expect("sweep answers");
    response["sweep"].clone()
}

fn actions(summary: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["user"].as_str().unwrap().to_string(),
                a["action"].as_str().unwrap().to_string(),
                a["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_sweep_expires_unused_passwords_deletes_leavers_and_touches_nobody_else() {
    let world = World::new().await;
    let iam = world.iam();
    let app = world.app(&[("PASSWORD_TTL_HOURS", "0"), ("MFA_GRACE_DAYS", "0")]);

    // A joiner who never signed in.
    onboard(&app, "sam.okafor@example.com", "E-1").await;
    // A leaver with every kind of credential, an MFA device and an inline policy,
    // offboarded 31 days ago (DELETE_AFTER_DAYS is 30).
    onboard(&app, "lee.chan@example.com", "E-2").await;
    give_credentials(&iam, "lee.chan").await;
    iam.remove_user_from_group()
        .user_name("lee.chan")
        .group_name(OTHER_GROUP)
        .send()
        .await
        .unwrap();
    let device = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("lee-phone")
        .send()
        .await
        .unwrap();
    let serial = device
        .virtual_mfa_device()
        .unwrap()
        .serial_number()
        .to_string();
    iam.enable_mfa_device()
        .user_name("lee.chan")
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("lee.chan")
        .policy_name("inline")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let offboard = json!({"action": "offboard", "employee": {"email": "lee.chan@example.com", "employeeId": "E-2"}});
    let offboarded = invoke(&app, offboard).await.unwrap();
    assert_eq!(
        offboarded["results"][0]["status"], "offboarded",
        "{offboarded}"
    );
    offboarded_days_ago(&iam, "lee.chan", 31).await;
    // Never to be touched: an unmanaged user under the path, and a user outside
    // the path that carries every tag of an old leaver.
    hand_made_user(&iam, "stranger", "/employees/", &[("Team", "ops".into())]).await;
    let old_leaver = vec![
        ("ManagedBy", "iam-onboarding".to_string()),
        ("OnboardingStatus", "offboarded".into()),
        ("OffboardedAt", (now() - 400 * DAY).to_string()),
    ];
    hand_made_user(&iam, "outsider", "/contractors/", &old_leaver).await;
    // PASSWORD_TTL_HOURS=0 means "more than 0 s ago": let a second pass.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let plan = sweep(&app, true).await;
    assert_eq!(plan["outcome"], "dry_run", "{plan}");
    let want_plan = vec![
        (
            "lee.chan".to_string(),
            "delete_user".to_string(),
            "planned".to_string(),
        ),
        (
            "sam.okafor".into(),
            "expire_password".into(),
            "planned".into(),
        ),
    ];
    assert_eq!(actions(&plan), want_plan, "{plan}");
    assert!(
        has_login_profile(&iam, "sam.okafor").await,
        "a dry run writes nothing"
    );
    assert!(status_tag(&iam, "lee.chan").await.is_some());

    let done = sweep(&app, false).await;
    assert_eq!(done["outcome"], "completed", "{done}");
    assert_eq!(
        actions(&done),
        vec![
            (
                "lee.chan".to_string(),
                "delete_user".to_string(),
                "done".to_string()
            ),
            ("sam.okafor".into(), "expire_password".into(), "done".into()),
        ],
        "{done}"
    );
    assert!(!has_login_profile(&iam, "sam.okafor").await);
    assert_eq!(
        status_tag(&iam, "sam.okafor").await.as_deref(),
        Some("expired")
    );
    assert_eq!(
        status_tag(&iam, "lee.chan").await,
        None,
        "the leaver is deleted"
    );
    let devices = iam.list_virtual_mfa_devices().send().await.unwrap();
    assert!(
        devices
            .virtual_mfa_devices()
            .iter()
            .all(|d| d.serial_number() != serial),
        "the leaver's virtual MFA device is deleted"
    );
    // Untouched.
    assert!(has_login_profile(&iam, "stranger").await);
    assert!(has_login_profile(&iam, "outsider").await);
    assert_eq!(done["usersOutsidePath"], 1, "{done}");
    let skipped = done["skipped"].to_string();
    assert!(
        skipped.contains("stranger") && skipped.contains("not managed"),
        "{skipped}"
    );

    // A second sweep finds nothing left to do.
    let again = sweep(&app, false).await;
    assert_eq!(actions(&again), vec![], "{again}");
}

#[tokio::test]
async fn the_cap_stops_a_sweep_that_would_act_on_too_many_users() {
    let world = World::new().await;
    let app = world.app(&[("PASSWORD_TTL_HOURS", "0"), ("SWEEP_MAX_ACTIONS", "1")]);
    onboard(&app, "ann.one@example.com", "E-1").await;
    onboard(&app, "bob.two@example.com", "E-2").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let summary = sweep(&app, false).await;
    assert_eq!(summary["outcome"], "capped", "{summary}");
    assert!(
        summary["stopped"]
            .as_str()
            .unwrap()
            .contains("SWEEP_MAX_ACTIONS=1"),
        "{summary}"
    );
    for name in ["ann.one", "bob.two"] {
        assert!(
            has_login_profile(&world.iam(), name).await,
            "{name} untouched"
        );
        assert_eq!(
            status_tag(&world.iam(), name).await.as_deref(),
            Some("complete")
        );
    }
}
