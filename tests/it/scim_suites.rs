//! The published SCIM peer suites (scim2-tester through its Python API, and
//! `scim-sanity probe`) against the function under `cargo lambda watch` (its
//! Function URL emulation) with moto: `tests/scim/peer_suites.py` runs both and
//! fails on any error; the checks it skips, and why, are listed at its top.

use std::process::Command;

use crate::scim::{TOKEN, token_secret};
use crate::watch::{ROOT, Watch, venv_tool};
use crate::world::{SENDER, TABLE, World};

#[tokio::test(flavor = "multi_thread")]
async fn scim2_tester_and_scim_sanity_pass() {
    let world = World::new().await;
    let secret_arn = token_secret(&world).await;
    let dir = std::env::temp_dir().join(format!("iam-onboarding-scim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("function.env");
    std::fs::write(
        &env_file,
        format!(
            "SELF_MANAGE_POLICY_ARN={}\nSENDER_EMAIL={SENDER}\nUSER_PATH=/employees/\n\
             ALLOWED_GROUPS=developers\nWEBHOOK_SECRET_ARN={}\nSCIM_TOKEN_SECRET_ARN={secret_arn}\n\
             IDEMPOTENCY_TABLE={TABLE}\nPASSWORD_DELIVERY=email\nIAM_WRITE_RATE=1000\n\
             SES_MAX_SEND_RATE=50\nOFFBOARDING_SCHEDULE_GROUP=iam-onboarding-offboarding\n\
             OFFBOARDING_SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/iam-onboarding-scheduler\n\
             SIGNIN_URL=https://123456789012.signin.aws.amazon.com/console\n",
            world.policy_arn, world.secret_arn
        ),
    )
    .unwrap();
    // The token goes to the runner in a file: never in argv.
    let token_file = dir.join("scim-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let watch = Watch::start(&world, &env_file);
    let base = format!(
        "http://127.0.0.1:{}/lambda-url/iam-onboarding/scim/v2",
        watch.port
    );
    // The first request builds and starts the function: wait for it here, not
    // within a suite's 60 s timeout.
    let warm_up = format!("{base}/ServiceProviderConfig");
    let warm = tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::new_with_config(
            ureq::config::Config::builder()
                .http_status_as_error(false)
                .timeout_global(Some(std::time::Duration::from_secs(900)))
                .build(),
        );
        agent
            .get(&warm_up)
            .header("authorization", format!("Bearer {TOKEN}"))
            .call()
            .map(|r| r.status().as_u16())
    })
    .await
    .unwrap();
    assert_eq!(warm.ok(), Some(200), "GET /ServiceProviderConfig");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(venv_tool("python"))
            .arg("tests/scim/peer_suites.py")
            .arg(&base)
            .arg(&token_file)
            .current_dir(ROOT)
            .output()
            .expect("the peer suites run")
    })
    .await
    .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "the SCIM peer suites failed:\n{report}"
    );
    assert!(report.contains("peer-suites: "), "{report}");
    assert!(!report.contains(TOKEN), "the report shows the token");
    drop(watch);
}
