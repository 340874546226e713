//! `send` and `status` against moto (SQS and IAM): the valid rows are queued
//! once, a re-run of the same file queues nobody again, and the binary's exit
//! status tells a refused row.

use std::process::Command;

use iam_onboarding::hr::GroupName;
use iam_onboarding_import::check::check;
use iam_onboarding_import::rows::{Mapping, read};
use iam_onboarding_import::send::{Ledger, send};
use iam_onboarding_import::status::{Progress, managed_users, progress_of};
use test_support::{Moto, sdk_config};

const EXPORT: &str = "email;givenName;groups\nana@example.com;Ana;readers\nben@example.com;Ben;\n\
                      cy@example.com;Cy;readers\nnot-an-address;X;\n";

#[tokio::test]
async fn a_file_is_queued_once_however_often_it_is_sent() {
    let moto = Moto::start();
    let sdk = sdk_config(&moto.endpoint).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue = sqs
        .create_queue()
        .queue_name("onboarding")
        .send()
        .await
        .unwrap();
    let queue_url = queue.queue_url().unwrap();
    let dir = std::env::temp_dir().join(format!("import-queue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hires.csv");
    std::fs::write(&file, EXPORT).unwrap();

    let rows = read(EXPORT.as_bytes(), &Mapping::default()).unwrap();
    let checked = check(&rows, &[GroupName::parse("readers").unwrap()]);
    assert_eq!((checked.accepted.len(), checked.refused.len()), (3, 1));
    let onboarded = managed_users(&aws_sdk_iam::Client::new(&sdk))
        .await
        .unwrap();
    assert!(onboarded.is_empty());

    let mut ledger = Ledger::open(&file).unwrap();
    let mut seen = Vec::new();
    let first = send(
        &sqs,
        queue_url,
        &checked.accepted,
        &Default::default(),
        &mut ledger,
        |d, t| seen.push((d, t)),
    )
    .await
    .unwrap();
    assert_eq!(first.queued, 3);
    assert_eq!(seen.last(), Some(&(3, 3)));
    // A re-run, with a fresh ledger read from disk: nobody again.
    let mut ledger = Ledger::open(&file).unwrap();
    let again = send(
        &sqs,
        queue_url,
        &checked.accepted,
        &Default::default(),
        &mut ledger,
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!((again.queued, again.already_queued), (0, 3));
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let count = attributes.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages]
        .clone();
    assert_eq!(count, "3", "three messages, one per person");
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    for message in received.messages() {
        let body: serde_json::Value = serde_json::from_str(message.body().unwrap()).unwrap();
        assert_eq!(body["action"], "onboard");
        assert!(
            body["employee"]["email"]
                .as_str()
                .unwrap()
                .ends_with("@example.com")
        );
    }
    for row in &checked.accepted {
        assert_eq!(progress_of(row, &onboarded, &ledger), Progress::Pending);
    }

    // The binary: check exits 1 on the refused row and names its line; send then status.
    let binary = env!("CARGO_BIN_EXE_iam-onboarding-import");
    let run = |args: &[&str]| {
        Command::new(binary)
            .args(args)
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("ALLOWED_GROUPS", "readers")
            .output()
            .unwrap()
    };
    let checked_run = run(&[file.to_str().unwrap()]);
    assert_eq!(checked_run.status.code(), Some(1));
    let out = String::from_utf8_lossy(&checked_run.stdout);
    assert!(out.contains("line 5: email:"), "{out}");
    let status = run(&["status", file.to_str().unwrap()]);
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(out.contains("pending 3"), "{out}");
    let usage = run(&["send", file.to_str().unwrap()]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "send without --queue-url is a usage error"
    );
}
