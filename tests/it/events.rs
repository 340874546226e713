//! End-to-end: the built function under `cargo lambda watch`, every file in
//! `events/` sent with `cargo lambda invoke`, each checked against
//! `events/expected.json` and against the emulator's state.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use crate::leavers::{access_problems, give_credentials};
use crate::watch::{ROOT, Watch, venv_tool};
use crate::world::{SENDER, TABLE, WEBHOOK_SECRET, World};
use test_support::FakeHiBob;
use test_support::tag;

/// The bearer token in events/scim-*.json (a sample's, not a secret).
const SCIM_SAMPLE_TOKEN: &str = "events-scim-token-0123456789abcdefghijklmnop";
/// The BambooHR webhook's private key in the emulator's Secrets Manager.
const BAMBOOHR_SECRET: &str = "bamboohr-private-key-for-the-samples";
/// The HiBob webhook's signing secret and service user, in the emulator's
/// Secrets Manager as HiBob's JSON secret; the fake People API takes the user.
const HIBOB_SIGNING_SECRET: &str = "hibob-signing-secret-for-the-samples";
const HIBOB_SERVICE_USER: (&str, &str) = ("SERVICE-20481", "hibob-service-user-token");

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Expected {
    description: String,
    #[serde(default)]
    results: Vec<String>,
    status_code: Option<u64>,
    error_type: Option<String>,
    field: Option<String>,
    warning: Option<String>,
    sign: Option<Signing>,
    /// A repeated Standard Webhooks delivery: answered from its record, nothing created.
    #[serde(default)]
    duplicate: bool,
    give_credentials: Option<String>,
    sweep: Option<SweepExpected>,
    /// Users (each with its welcome email) a sample whose answer has no results creates (SCIM).
    #[serde(default)]
    creates: usize,
}

/// A credential sweep's answer: its outcome and actions ("user action outcome").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepExpected {
    outcome: String,
    actions: Vec<String>,
}

fn sweep_actions(summary: &Value) -> Vec<String> {
    summary["actions"]
        .as_array()
        .map_or_else(Vec::new, |actions| {
            actions
                .iter()
                .map(|a| format!("{} {} {}", a["user"], a["action"], a["outcome"]).replace('"', ""))
                .collect()
        })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Signing {
    secret_env: Option<String>,
    age: Option<u64>,
    /// Standard Webhooks, by the reference library.
    #[serde(default)]
    standard: bool,
    /// BambooHR's scheme (`X-BambooHR-*`), keyed with `BAMBOOHR_SECRET`.
    #[serde(default)]
    bamboohr: bool,
    /// HiBob's scheme (`Bob-Signature`), keyed with `HIBOB_SIGNING_SECRET`.
    #[serde(default)]
    hibob: bool,
    /// The Standard Webhooks `webhook-id` (default: a new one).
    id: Option<String>,
    /// A second Standard Webhooks signature with the secret in this variable.
    also_secret_env: Option<String>,
}

fn sign(event: &Path, signing: &Signing, out: &Path) {
    let mut command = Command::new(venv_tool("python"));
    command
        .arg(Path::new(ROOT).join("scripts/sign-webhook-event.py"))
        .arg(event)
        .env("WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("WRONG_WEBHOOK_SECRET", "not-the-webhook-secret")
        .env("BAMBOOHR_SECRET", BAMBOOHR_SECRET)
        .env("HIBOB_SIGNING_SECRET", HIBOB_SIGNING_SECRET);
    if let Some(env) = &signing.secret_env {
        command.args(["--secret-env", env]);
    }
    if let Some(age) = signing.age {
        command.args(["--age", &age.to_string()]);
    }
    if signing.standard {
        command.arg("--standard");
    }
    for (vendor, flag, secret) in [
        (signing.bamboohr, "--bamboohr", "BAMBOOHR_SECRET"),
        (signing.hibob, "--hibob", "HIBOB_SIGNING_SECRET"),
    ] {
        if vendor {
            command.arg(flag);
            if signing.secret_env.is_none() {
                command.args(["--secret-env", secret]);
            }
        }
    }
    if let Some(id) = &signing.id {
        command.args(["--id", id]);
    }
    if let Some(env) = &signing.also_secret_env {
        command.args(["--also-secret-env", env]);
    }
    let output = command.output().expect("signing script runs");
    assert!(
        output.status.success(),
        "signing {}: {}",
        event.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(out, output.stdout).unwrap();
}

/// HiBob's People API for the samples `events/hr-hibob-*.json`: Kai (joined,
/// then left), Wei of direct-batch.json (moved to Platform), and an employee
/// whose read always fails.
fn hibob_people() -> FakeHiBob {
    let hibob = FakeHiBob::start(HIBOB_SERVICE_USER.0, HIBOB_SERVICE_USER.1);
    hibob.add(
        "3332883884017713238",
        serde_json::json!({"id": "3332883884017713238", "email": "kai.tanaka@example.com",
            "firstName": "Kai", "surname": "Tanaka",
            "work": {"department": "228341012", "employeeIdInCompany": "E-2001", "startDate": "2026-12-03"},
            "internal": {"terminationDate": null},
            "humanReadable": {"work": {"department": "Engineering"}}}),
    );
    hibob.add(
        "3332883884017713239",
        serde_json::json!({"id": "3332883884017713239", "email": "li.wei@example.com",
            "firstName": "Wei", "surname": "Li",
            "work": {"department": "228341013", "employeeIdInCompany": "E-1044", "startDate": "2026-11-02"},
            "humanReadable": {"work": {"department": "Platform"}}}),
    );
    hibob.fail_for("3332883884017713999", 503);
    hibob
}

fn statuses(results: &Value) -> Vec<String> {
    results.as_array().map_or_else(Vec::new, |r| {
        r.iter()
            .map(|x| x["status"].as_str().unwrap().to_string())
            .collect()
    })
}

#[tokio::test]
async fn every_sample_event_matches_its_expected_outcome_under_cargo_lambda() {
    let world = World::new().await;
    // cargo lambda passes no real function ARN, so the sign-in URL comes from the alias.
    world
        .iam()
        .create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap();
    // The schedule group future offboardings go to (the template's, in a deployment).
    aws_sdk_scheduler::Client::new(&world.sdk)
        .create_schedule_group()
        .name("iam-onboarding-offboarding")
        .send()
        .await
        .unwrap();
    // A user under the path that the function does not manage (no marker): never touched.
    world
        .iam()
        .create_user()
        .user_name("contractor.bob")
        .path("/employees/")
        .send()
        .await
        .unwrap();
    // A leaver offboarded 40 days ago (DELETE_AFTER_DAYS defaults to 30): the
    // dry-run sample plans its deletion; the scheduled sample meets the cap
    // (SWEEP_MAX_ACTIONS=0) and deletes nothing. (Deletions are proven in
    // tests/it/sweep.rs: moto's data.json, read after every sample here, fails
    // once a user was deleted.)
    let old = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 40 * 86_400;
    let leaver_tags = [
        ("ManagedBy", "iam-onboarding".to_string()),
        ("OnboardingStatus", "offboarded".to_string()),
        ("OffboardedAt", old.to_string()),
    ];
    world
        .iam()
        .create_user()
        .user_name("old.leaver")
        .path("/employees/")
        .set_tags(Some(
            leaver_tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(*k)
                        .value(v)
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .send()
        .await
        .unwrap();
    let bamboohr_secret_arn = aws_sdk_secretsmanager::Client::new(&world.sdk)
        .create_secret()
        .name("bamboohr-webhook")
        .secret_string(BAMBOOHR_SECRET)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let hibob_secret = serde_json::json!({"signingSecret": HIBOB_SIGNING_SECRET,
        "serviceUserId": HIBOB_SERVICE_USER.0, "serviceUserToken": HIBOB_SERVICE_USER.1});
    let hibob_secret_arn = aws_sdk_secretsmanager::Client::new(&world.sdk)
        .create_secret()
        .name("hibob-webhook")
        .secret_string(hibob_secret.to_string())
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    // The token of the SCIM samples (events/scim-*.json).
    let scim_secret_arn = aws_sdk_secretsmanager::Client::new(&world.sdk)
        .create_secret()
        .name("scim-token")
        .secret_string(SCIM_SAMPLE_TOKEN)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let hibob = hibob_people();
    let dir = std::env::temp_dir().join(format!("iam-onboarding-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // JSON values are single-quoted: cargo lambda's env-file parser refuses a bare `{"`.
    let env_file = dir.join("function.env");
    std::fs::write(
        &env_file,
        format!(
            "SELF_MANAGE_POLICY_ARN={}\nSENDER_EMAIL={SENDER}\nUSER_PATH=/employees/\nALLOWED_GROUPS=developers,readers\n\
             WEBHOOK_SECRET_ARN={}\nEVENTBRIDGE_SOURCE=com.example.hr\n\
             OFFBOARDING_SCHEDULE_GROUP=iam-onboarding-offboarding\n\
             OFFBOARDING_SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/iam-onboarding-scheduler\n\
             SWEEP_MAX_ACTIONS=0\nIDEMPOTENCY_TABLE={TABLE}\nBAMBOOHR_SECRET_ARN={bamboohr_secret_arn}\n\
             HIBOB_SECRET_ARN={hibob_secret_arn}\nHIBOB_API_URL={}\n\
             SCIM_TOKEN_SECRET_ARN={scim_secret_arn}\n\
             HR_GROUP_MAP='{{\"Platform\":[\"developers\"]}}'\n\
             PASSWORD_DELIVERY=email\nIAM_WRITE_RATE=50\n",
            world.policy_arn, world.secret_arn, hibob.url
        ),
    )
    .unwrap();

    let events_dir = Path::new(ROOT).join("events");
    let expected: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(events_dir.join("expected.json")).unwrap())
            .unwrap();
    let expected: BTreeMap<String, Expected> = expected
        .into_iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::from_value(v).unwrap_or_else(|e| panic!("expected.json {k}: {e}")),
            )
        })
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&events_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json") && name != "expected.json")
        .collect();
    files.sort();
    assert_eq!(
        files,
        expected.keys().cloned().collect::<Vec<_>>(),
        "every event file has an expected outcome"
    );

    let watch = Watch::start(&world, &env_file);
    let mut failures = Vec::new();
    for file in &files {
        let want = &expected[file];
        let users_before = world.moto.user_names().len();
        let emails_before = world.moto.emails().len();
        let mut data_file = events_dir.join(file);
        if let Some(signing) = &want.sign {
            let signed = dir.join(file);
            sign(&data_file, signing, &signed);
            data_file = signed;
        }
        if let Some(name) = &want.give_credentials {
            give_credentials(&world.iam(), name).await;
        }
        let output = watch.invoke(&data_file);
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let mut problems = Vec::new();

        if let Some(error_type) = &want.error_type {
            if output.status.success() || !stderr.contains(&format!("Error: {error_type}")) {
                problems.push(format!(
                    "expected Lambda error {error_type}; got stdout {stdout} stderr {stderr}"
                ));
            }
            if let Some(field) = &want.field
                && !stderr.contains(&format!("{field}: "))
            {
                problems.push(format!("the error does not name {field}: {stderr}"));
            }
        } else if !output.status.success() {
            problems.push(format!("invoke failed: {stderr}"));
        } else {
            let response: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
            let body = match want.status_code {
                Some(code) => {
                    if response["statusCode"].as_u64() != Some(code) {
                        problems.push(format!(
                            "statusCode {} instead of {code}",
                            response["statusCode"]
                        ));
                    }
                    serde_json::from_str(response["body"].as_str().unwrap_or("null"))
                        .unwrap_or(Value::Null)
                }
                None => response,
            };
            if body["duplicate"].as_bool().unwrap_or(false) != want.duplicate {
                problems.push(format!(
                    "duplicate {} instead of {}",
                    body["duplicate"], want.duplicate
                ));
            }
            if let Some(sweep) = &want.sweep {
                let summary = &body["sweep"];
                if summary["outcome"] != sweep.outcome.as_str()
                    || sweep_actions(summary) != sweep.actions
                {
                    problems.push(format!(
                        "sweep {} {:?} instead of {} {:?}: {body}",
                        summary["outcome"],
                        sweep_actions(summary),
                        sweep.outcome,
                        sweep.actions
                    ));
                }
            }
            if statuses(&body["results"]) != want.results {
                problems.push(format!(
                    "results {:?} instead of {:?}: {body}",
                    statuses(&body["results"]),
                    want.results
                ));
            }
            // A rejected employee names its field in its result; a refused request in its error.
            let rejected = match &body["results"][0]["error"]["field"] {
                Value::Null => &body["error"]["field"],
                field => field,
            };
            if let Some(field) = &want.field
                && rejected.as_str() != Some(field)
            {
                problems.push(format!("rejected field {rejected} instead of {field}"));
            }
            let warning = body["results"][0]["warning"].as_str();
            match &want.warning {
                Some(want) if !warning.is_some_and(|w| w.contains(want.as_str())) => {
                    problems.push(format!("warning {warning:?} does not contain {want:?}"))
                }
                None if warning.is_some() => {
                    problems.push(format!("unexpected warning {warning:?}"))
                }
                _ => {}
            }
            // Offboarded: read back from IAM (the terminated sample's user holds every credential kind).
            for result in body["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["status"] == "offboarded")
            {
                let name = result["username"].as_str().unwrap();
                for problem in access_problems(&world.iam(), name).await {
                    problems.push(format!("{name} offboarded, but {problem}"));
                }
            }
            // Resent: the latest email carries the only password that works.
            for result in body["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["status"] == "resent")
            {
                let name = result["username"].as_str().unwrap();
                let sent: Vec<_> = world
                    .moto
                    .emails()
                    .into_iter()
                    .filter(|e| e.html.contains(&format!("<code>{name}</code>")))
                    .collect();
                let password = world.moto.user(name).map(|u| u["password"].clone());
                let works = |i: usize| {
                    password.as_ref().and_then(|p| p.as_str()) == Some(sent[i].password().as_str())
                };
                if sent.len() < 2 || !works(sent.len() - 1) || works(sent.len() - 2) {
                    problems.push(format!(
                        "{name}: expected the resent email to carry the only valid password"
                    ));
                }
            }
            for result in body["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["status"] == "created" && !want.duplicate)
            {
                let name = result["username"].as_str().unwrap();
                match world.moto.user(name) {
                    Some(user)
                        if tag(&user, "OnboardingStatus") == Some("complete")
                            && user["path"] == "/employees/" =>
                    {
                        let to = world
                            .moto
                            .emails()
                            .into_iter()
                            .filter(|e| e.html.contains(&format!("<code>{name}</code>")));
                        let sent: Vec<_> = to.collect();
                        if sent.len() != 1
                            || user["password"].as_str() != Some(sent[0].password().as_str())
                        {
                            problems.push(format!(
                                "{name}: expected one email carrying the valid password"
                            ));
                        }
                    }
                    other => {
                        problems.push(format!("{name}: not onboarded in the emulator: {other:?}"))
                    }
                }
            }
        }
        let created = if want.duplicate {
            0
        } else {
            want.results.iter().filter(|s| *s == "created").count() + want.creates
        };
        let resent = want.results.iter().filter(|s| *s == "resent").count();
        let deleted = want.sweep.as_ref().map_or(0, |s| {
            s.actions
                .iter()
                .filter(|a| a.ends_with("delete_user done"))
                .count()
        });
        if world.moto.user_names().len() + deleted != users_before + created
            || world.moto.emails().len() != emails_before + created + resent
        {
            problems.push(format!(
                "expected exactly {created} new users and {} emails",
                created + resent
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{file} ({}):\n  {}",
                want.description,
                problems.join("\n  ")
            ));
        }
    }

    // A second delivery of a sample that already succeeded changes nothing.
    let emails = world.moto.emails().len();
    let repeat = watch.invoke(&events_dir.join("direct-single.json"));
    let repeat: Value = serde_json::from_slice(&repeat.stdout).unwrap_or(Value::Null);
    if statuses(&repeat["results"]) != ["already_onboarded"] || world.moto.emails().len() != emails
    {
        failures.push(format!("repeat of direct-single.json: {repeat}"));
    }
    let bob = world.moto.user("contractor.bob").unwrap();
    if bob["tags"].as_array().is_some_and(|t| !t.is_empty())
        || bob["attached_managed_policies"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    {
        failures.push(format!("the unmanaged user was changed: {bob}"));
    }
    failures.extend(function_url_routes(&watch));
    drop(watch);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} sample(s) did not match:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Plain HTTP through cargo lambda's Function URL emulation
/// (`/lambda-url/<binary>/<path>`, payload 2.0 with the path): each prefix answers
/// in its own format, and any other path is the webhook, as deployed.
fn function_url_routes(watch: &Watch) -> Vec<String> {
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .build(),
    );
    let url = |path: &str| {
        format!(
            "http://127.0.0.1:{}/lambda-url/iam-onboarding{path}",
            watch.port
        )
    };
    let read = |mut response: ureq::http::Response<ureq::Body>| {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        (status, content_type, body)
    };
    let json = |body: &str| serde_json::from_str::<Value>(body).unwrap_or(Value::Null);
    let mut problems = Vec::new();

    // SCIM answers in its own format: without a token, a SCIM 401.
    let (status, content_type, body) = read(agent.get(url("/scim/v2/Users")).call().unwrap());
    let scim = json(&body);
    if status != 401
        || content_type != "application/scim+json"
        || scim["schemas"][0] != "urn:ietf:params:scim:api:messages:2.0:Error"
        || scim["status"] != "401"
    {
        problems.push(format!(
            "GET /scim/v2/Users: {status} {content_type} {body}"
        ));
    }
    let (status, content_type, body) = read(agent.get(url("/reveal/x")).call().unwrap());
    if status != 404 || !content_type.starts_with("text/html") || !body.contains("<html") {
        problems.push(format!("GET /reveal/x: {status} {content_type} {body}"));
    }
    let (status, content_type, body) = read(agent.post(url("/hr/x")).send("{}").unwrap());
    if status != 404
        || content_type != "application/json"
        || json(&body)["error"]["code"] != "NotFound"
    {
        problems.push(format!("POST /hr/x: {status} {content_type} {body}"));
    }
    // The webhook answers every other path: a method other than POST is refused ...
    let (status, _, body) = read(agent.get(url("/")).call().unwrap());
    if status != 405 || json(&body)["error"]["code"] != "MethodNotAllowed" {
        problems.push(format!("GET /: {status} {body}"));
    }
    // ... and a signed dry run is served, on `/` and on any path a sender was given.
    for path in ["/", "/onboard"] {
        let payload = r#"{"dryRun": true, "employee": {"email": "url.probe@example.com"}}"#;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let signature = iam_onboarding::identity::SigningKey::new(WEBHOOK_SECRET)
            .sign(&timestamp, payload.as_bytes());
        let response = agent
            .post(url(path))
            .header("content-type", "application/json")
            .header("x-onboarding-timestamp", &timestamp)
            .header("x-onboarding-signature", &signature)
            .send(payload)
            .unwrap();
        let (status, _, body) = read(response);
        if status != 200 || statuses(&json(&body)["results"]) != ["dry_run"] {
            problems.push(format!("signed POST {path}: {status} {body}"));
        }
    }
    problems
}
