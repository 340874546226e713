//! The reveal page in a real browser (issue 22): Debian's Chromium driven by
//! playwright-core (`tests/browser/reveal.mjs`) against the function under
//! `cargo lambda watch` (its Function URL emulation) and moto. The links come from
//! the emails moto recorded; the passwords compared are the ones IAM got.
//! Screenshots of every page state: `target/reveal-screenshots/`.

use std::path::Path;
use std::process::Command;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::reveal::{link_of, parts, table_dump};
use crate::watch::{ROOT, Watch};
use crate::world::{SENDER, TABLE, World};
use test_support::free_port;

fn password_of(world: &World, name: &str) -> String {
    world.moto.user(name).expect("the user")["password"]
        .as_str()
        .expect("a login profile")
        .to_string()
}

fn invoke(watch: &Watch, dir: &Path, name: &str, request: &Value) -> Value {
    let file = dir.join(name);
    std::fs::write(&file, request.to_string()).unwrap();
    let output = watch.invoke(&file);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the function's answer")
}

#[tokio::test]
async fn the_reveal_page_works_in_chromium_under_cargo_lambda() {
    let world = World::new().await;
    let dir = std::env::temp_dir().join(format!("iam-onboarding-reveal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/lambda-url/iam-onboarding");
    let env_file = dir.join("function.env");
    std::fs::write(
        &env_file,
        format!(
            "SELF_MANAGE_POLICY_ARN={}\nSENDER_EMAIL={SENDER}\nUSER_PATH=/employees/\n\
             ALLOWED_GROUPS=developers,readers\nIDEMPOTENCY_TABLE={TABLE}\nSES_MAX_SEND_RATE=50\nIAM_WRITE_RATE=100\n\
             SIGNIN_URL=https://123456789012.signin.aws.amazon.com/console\n\
             PASSWORD_DELIVERY=link\nREVEAL_BASE_URL={base}\n",
            world.policy_arn
        ),
    )
    .unwrap();
    let watch = Watch::start_on(&world, &env_file, port);

    let people = ["ana", "ben", "cy", "dee", "eve"].map(|name| {
        json!({"email": format!("{name}@example.com"), "username": name, "givenName": name,
               "employeeId": format!("E-{name}")})
    });
    let onboarded = invoke(&watch, &dir, "onboard.json", &json!({"employees": people}));
    let statuses: Vec<_> = onboarded["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert!(statuses.iter().all(|s| s == "created"), "{onboarded}");

    let fresh = link_of(&world, "ana@example.com");
    assert!(fresh.starts_with(&format!("{base}/reveal/")), "{fresh}");
    // A plain GET (a mail scanner, curl) reads the page and consumes nothing.
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .build(),
    );
    let path = fresh.split('#').next().unwrap();
    for _ in 0..2 {
        let mut response = agent.get(path).call().unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body = response.body_mut().read_to_string().unwrap();
        assert!(!body.contains(&password_of(&world, "ana")));
    }

    let expired = link_of(&world, "ben@example.com");
    let (expired_id, _) = parts(&expired);
    aws_sdk_dynamodb::Client::new(&world.sdk)
        .update_item()
        .table_name(TABLE)
        .key(
            "id",
            AttributeValue::S(format!("reveal#{}", expired_id.as_str())),
        )
        .update_expression("SET expiresAt = :past")
        .expression_attribute_values(":past", AttributeValue::N("1000".into()))
        .send()
        .await
        .unwrap();
    let mangled: Vec<_> = [("cy", "%23"), ("dee", "%2523")]
        .iter()
        .map(|(name, hash)| {
            let link = link_of(&world, &format!("{name}@example.com")).replacen('#', hash, 1);
            json!({"link": link, "password": password_of(&world, name)})
        })
        .collect();
    let replaced = link_of(&world, "eve@example.com");
    let old_password = password_of(&world, "eve");
    let resent = invoke(
        &watch,
        &dir,
        "resend.json",
        &json!({"action": "resend", "employee": people[4]}),
    );
    assert_eq!(resent["results"][0]["status"], "resent", "{resent}");
    let new_password = password_of(&world, "eve");
    assert_ne!(
        old_password, new_password,
        "resend replaced the login profile"
    );

    let screenshots = Path::new(ROOT).join("target/reveal-screenshots");
    let cases = json!({
        "screenshots": screenshots,
        "fresh": {"link": fresh, "password": password_of(&world, "ana"), "username": "ana"},
        "expired": {"link": expired},
        "mangled": mangled,
        "replaced": {"link": replaced},
        "resent": {"link": link_of(&world, "eve@example.com"), "password": new_password},
    });
    let output = Command::new("node")
        .arg(Path::new(ROOT).join("tests/browser/reveal.mjs"))
        .arg(cases.to_string())
        .current_dir(Path::new(ROOT).join("tests/browser"))
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "browser checks failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for shot in [
        "1-before-reveal",
        "2-revealed",
        "3-reloaded",
        "4-already-viewed",
        "5-expired",
        "6-mangled-0",
        "6-mangled-1",
        "7-replaced",
        "8-resent",
    ] {
        assert!(
            screenshots.join(format!("{shot}.png")).is_file(),
            "{shot}.png"
        );
    }
    drop(watch);

    // What a table reader gets: neither a password nor a link's key.
    let dump = table_dump(&world).await;
    for name in ["ana", "ben", "cy", "dee", "eve"] {
        assert!(
            !dump.contains(&password_of(&world, name)),
            "the table holds {name}'s password"
        );
        let link = link_of(&world, &format!("{name}@example.com"));
        assert!(
            !dump.contains(link.split('#').nth(1).unwrap()),
            "the table holds {name}'s key"
        );
    }
    assert!(!dump.contains(&old_password));
}
