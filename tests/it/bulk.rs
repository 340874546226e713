//! The bulk queue (issue 25) end to end: messages in moto's SQS, a local event
//! source ([`test_support::SqsPoller`]) invoking the function under `cargo lambda
//! watch` with SQS-shaped events, through a proxy that fails some AWS calls.
//! Partial failures come back and converge, poison messages end in the
//! dead-letter queue after their receives, and nobody is onboarded twice.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Value, json};
use test_support::{DelayProxy, SqsPoller, free_port, tag};

use crate::watch::Watch;
use crate::world::{SENDER, TABLE, World};

/// Receives before a message moves to the dead-letter queue, as in template.yaml.
const MAX_RECEIVES: &str = "3";

async fn queues(sqs: &aws_sdk_sqs::Client) -> (String, String) {
    let dlq = sqs
        .create_queue()
        .queue_name("onboarding-dlq")
        .send()
        .await
        .unwrap();
    let dlq_url = dlq.queue_url().unwrap().to_string();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let queue = sqs
        .create_queue()
        .queue_name("onboarding")
        // Short, so a reported failure comes back within the test.
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}).to_string(),
        )
        .send()
        .await
        .unwrap();
    (queue.queue_url().unwrap().to_string(), dlq_url)
}

fn onboard(name: &str) -> Value {
    json!({"action": "onboard", "employee": {"email": format!("{name}@example.com"),
           "employeeId": format!("E-{name}"), "groups": ["readers"]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_converges_retries_and_parks_poison_messages() {
    let world = World::new().await;
    let sqs = aws_sdk_sqs::Client::new(&world.sdk);
    let (queue_url, dlq_url) = queues(&sqs).await;
    let proxy = DelayProxy::start(&world.moto.endpoint, Duration::ZERO);
    let dir = std::env::temp_dir().join(format!("iam-onboarding-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("function.env");
    std::fs::write(
        &env_file,
        format!(
            "SELF_MANAGE_POLICY_ARN={}\nSENDER_EMAIL={SENDER}\nUSER_PATH=/employees/\n\
             ALLOWED_GROUPS=developers,readers\nIDEMPOTENCY_TABLE={TABLE}\nSES_MAX_SEND_RATE=50\n\
             SIGNIN_URL=https://123456789012.signin.aws.amazon.com/console\n\
             PASSWORD_DELIVERY=email\nIAM_WRITE_RATE=100\nIAM_WRITERS=2\n",
            world.policy_arn
        ),
    )
    .unwrap();
    let watch = Watch::start_via(&proxy.endpoint, &env_file, free_port());

    // 12 hires, one of them twice (a duplicate message), a batch message of
    // two, one refused by validation, one body that is not JSON.
    let names: Vec<String> = (0..12).map(|i| format!("bulk{i}")).collect();
    let mut bodies: Vec<String> = names.iter().map(|n| onboard(n).to_string()).collect();
    bodies.push(onboard("bulk3").to_string());
    bodies.push(
        json!({"action": "onboard", "employees": [
            {"email": "pair0@example.com", "employeeId": "E-p0"},
            {"email": "pair1@example.com", "employeeId": "E-p1"}]})
        .to_string(),
    );
    bodies.push(json!({"action": "onboard", "employee": {"email": "not-an-address"}}).to_string());
    bodies.push("{\"action\": \"onboard\", ".into());
    for body in &bodies {
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    // Two welcome emails fail once: those people end `failed`, their messages come back.
    proxy.answer_error(
        "Action=SendEmail",
        2,
        400,
        "MessageRejected",
        "injected: mailbox unavailable",
    );

    let poller = SqsPoller::new(sqs.clone(), &queue_url).await;
    let (mut rounds, mut failed_reports) = (0, 0);
    loop {
        let poll = poller
            .poll(|event| {
                let file = dir.join(format!("event-{rounds}.json"));
                std::fs::write(&file, event.to_string()).unwrap();
                let output = watch.invoke(&file);
                assert!(
                    output.status.success(),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                serde_json::from_slice(&output.stdout).expect("the partial batch response")
            })
            .await;
        rounds += 1;
        failed_reports += poll.failed;
        let left = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let count = |name: QueueAttributeName| {
            left.attributes()
                .and_then(|a| a.get(&name))
                .map_or(0, |v| v.parse::<usize>().unwrap())
        };
        if count(QueueAttributeName::ApproximateNumberOfMessages)
            + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            == 0
        {
            break;
        }
        assert!(rounds < 60, "the queue did not drain");
        if poll.received == 0 {
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
    }
    drop(watch);
    // The two failed deliveries and the two poison messages (three receives each) came back.
    assert!(
        failed_reports >= 2 + 2 * 3,
        "failures reported: {failed_reports}"
    );

    // Everyone valid is onboarded, exactly once: one user, one email.
    let data = world.moto.data();
    let mut emails: HashMap<String, usize> = HashMap::new();
    for message in data["ses"]["Message"].as_array().unwrap() {
        *emails
            .entry(
                message["destinations"]["ToAddresses"][0]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
            .or_default() += 1;
    }
    let everyone = names
        .iter()
        .cloned()
        .chain(["pair0".to_string(), "pair1".to_string()]);
    for name in everyone {
        let user = world
            .moto
            .user(&name)
            .unwrap_or_else(|| panic!("{name} was not onboarded"));
        assert_eq!(tag(&user, "OnboardingStatus"), Some("complete"), "{name}");
        assert_eq!(
            emails.get(&format!("{name}@example.com")),
            Some(&1),
            "{name}: one email"
        );
    }
    // The poison messages are in the dead-letter queue, nothing else.
    let parked = sqs
        .receive_message()
        .queue_url(&dlq_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let mut parked: Vec<&str> = parked.messages().iter().filter_map(|m| m.body()).collect();
    parked.sort_unstable();
    let mut poison = vec![bodies[14].as_str(), bodies[15].as_str()];
    poison.sort_unstable();
    assert_eq!(
        parked, poison,
        "the DLQ holds the poison messages, nothing else"
    );
}
