//! A moto-backed AWS account prepared like a real deployment: the self-manage
//! policy from `policies/`, allow-listed groups, a verified sender, a webhook
//! secret and the idempotency table.

use aws_config::SdkConfig;
use iam_onboarding::config::Config;
use iam_onboarding::handler::App;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use test_support::{Moto, sdk_config};

pub const SENDER: &str = "it@example.com";
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:iam-onboarding";
pub const WEBHOOK_SECRET: &str = "whsec-test-0123456789abcdefghijklmnopqrstuvwxyz";
pub const SELF_MANAGE_POLICY: &str = include_str!("../../policies/self-manage-credentials.json");
/// The idempotency table (leases, webhook delivery records), as the template creates it.
pub const TABLE: &str = "iam-onboarding-idempotency";

pub struct World {
    pub moto: Moto,
    pub sdk: SdkConfig,
    pub policy_arn: String,
    pub secret_arn: String,
}

impl World {
    /// Starts moto and creates the policy, groups `developers` and `readers`,
    /// the verified sender and the webhook secret.
    pub async fn new() -> Self {
        Self::with(true).await
    }

    /// Like [`World::new`]; `verify_sender: false` leaves SES without a verified sender.
    pub async fn with(verify_sender: bool) -> Self {
        let moto = Moto::start();
        let sdk = sdk_config(&moto.endpoint).await;
        let iam = aws_sdk_iam::Client::new(&sdk);
        let policy_arn = iam
            .create_policy()
            .policy_name("SelfManageCredentials")
            .policy_document(SELF_MANAGE_POLICY)
            .send()
            .await
            .expect("create policy")
            .policy()
            .and_then(|p| p.arn().map(str::to_string))
            .expect("policy arn");
        for group in ["developers", "readers"] {
            iam.create_group()
                .group_name(group)
                .send()
                .await
                .expect("create group");
        }
        if verify_sender {
            aws_sdk_ses::Client::new(&sdk)
                .verify_email_identity()
                .email_address(SENDER)
                .send()
                .await
                .expect("verify");
        }
        let secret_arn = aws_sdk_secretsmanager::Client::new(&sdk)
            .create_secret()
            .name("iam-onboarding/webhook")
            .secret_string(WEBHOOK_SECRET)
            .send()
            .await
            .expect("create secret")
            .arn()
            .expect("secret arn")
            .to_string();
        Box::pin(create_idempotency_table(&sdk)).await;
        Self {
            moto,
            sdk,
            policy_arn,
            secret_arn,
        }
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk)
    }

    /// The deployment's configuration, with `overrides` applied.
    pub fn config(&self, overrides: &[(&str, &str)]) -> Config {
        let base = [
            ("SELF_MANAGE_POLICY_ARN", self.policy_arn.as_str()),
            ("SENDER_EMAIL", SENDER),
            ("USER_PATH", "/employees/"),
            ("ALLOWED_GROUPS", "developers,readers"),
            ("WEBHOOK_SECRET_ARN", self.secret_arn.as_str()),
            ("EVENTBRIDGE_SOURCE", "com.example.hr"),
            ("IDEMPOTENCY_TABLE", TABLE),
            // Most tests read the password from the email; tests/it/reveal.rs uses links.
            ("PASSWORD_DELIVERY", "email"),
            // moto's GetSendQuota answers the sandbox's 1/s: tests send at a production-like
            // rate. The GetSendQuota path runs in the samples (tests/it/events.rs).
            ("SES_MAX_SEND_RATE", "50"),
            // IAM writes as fast as the emulator goes; tests/it/bulk.rs sets a rate.
            ("IAM_WRITE_RATE", "1000"),
        ];
        Config::from_lookup(|name| {
            overrides
                .iter()
                .chain(base.iter())
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .expect("valid test configuration")
    }

    pub fn app(&self, overrides: &[(&str, &str)]) -> App {
        iam_onboarding::build_app(&self.sdk, self.config(overrides))
    }

    /// Creates group `name` (again, after [`World::delete_group`]).
    pub async fn create_group(&self, name: &str) {
        self.iam()
            .create_group()
            .group_name(name)
            .send()
            .await
            .expect("create group");
    }

    /// Deletes an (allow-listed) group, to make AddUserToGroup fail.
    pub async fn delete_group(&self, name: &str) {
        self.iam()
            .delete_group()
            .group_name(name)
            .send()
            .await
            .expect("delete group");
    }

    /// The names of the groups `user` is in, sorted.
    pub async fn group_names(&self, user: &str) -> Vec<String> {
        let groups = self
            .iam()
            .list_groups_for_user()
            .user_name(user)
            .send()
            .await
            .expect("list groups");
        let mut names: Vec<String> = groups
            .groups()
            .iter()
            .map(|g| g.group_name().to_string())
            .collect();
        names.sort_unstable();
        names
    }

    /// Sets a strict account password policy.
    pub async fn strict_password_policy(&self, minimum_length: i32) {
        self.iam()
            .update_account_password_policy()
            .minimum_password_length(minimum_length)
            .require_symbols(true)
            .require_numbers(true)
            .require_uppercase_characters(true)
            .require_lowercase_characters(true)
            .send()
            .await
            .expect("password policy");
    }
}

/// The idempotency table as `template.yaml` defines it: key `id`, TTL `expiresAt`.
pub async fn create_idempotency_table(sdk: &SdkConfig) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    dynamodb
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table");
    dynamodb
        .update_time_to_live()
        .table_name(TABLE)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expiresAt")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("enable TTL");
}

/// Invokes the handler as the Lambda runtime would.
pub async fn invoke(
    app: &App,
    payload: Value,
) -> Result<Value, iam_onboarding::error::HandlerError> {
    invoke_as(app, payload, "test-request-1").await
}

/// [`invoke`] with the Lambda request id `request_id`.
pub async fn invoke_as(
    app: &App,
    payload: Value,
    request_id: &str,
) -> Result<Value, iam_onboarding::error::HandlerError> {
    app.handle(LambdaEvent::new(payload.into(), context(request_id, 0)))
        .await
}

/// [`invoke_as`] with the invocation's deadline `left` from now.
pub async fn invoke_within(
    app: &App,
    payload: Value,
    request_id: &str,
    left: std::time::Duration,
) -> Result<Value, iam_onboarding::error::HandlerError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let deadline_ms = u64::try_from((now + left).as_millis()).unwrap();
    app.handle(LambdaEvent::new(
        payload.into(),
        context(request_id, deadline_ms),
    ))
    .await
}

/// The Lambda context of an invocation: `deadline_ms` since the epoch (0: none,
/// as `Context::default()`).
fn context(request_id: &str, deadline_ms: u64) -> Context {
    let mut context = Context::default();
    context.request_id = request_id.into();
    context.invoked_function_arn = FUNCTION_ARN.into();
    context.deadline = deadline_ms;
    context
}
