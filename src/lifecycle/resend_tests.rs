//! Request-level tests of `resend` against a small stateful IAM user and SES
//! behind aws-smithy-mocks: the exact calls, the refusals, `force`, and a fault
//! at every call with its undo.

use std::sync::{Arc, Mutex};

use aws_sdk_iam::Client as IamClient;
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::create_login_profile::{
    CreateLoginProfileError, CreateLoginProfileOutput,
};
use aws_sdk_iam::operation::delete_login_profile::{
    DeleteLoginProfileError, DeleteLoginProfileOutput,
};
use aws_sdk_iam::operation::get_account_password_policy::GetAccountPasswordPolicyError;
use aws_sdk_iam::operation::get_user::{GetUserError, GetUserOutput};
use aws_sdk_iam::operation::tag_user::{TagUserError, TagUserOutput};
use aws_sdk_iam::operation::update_login_profile::{
    UpdateLoginProfileError, UpdateLoginProfileOutput,
};
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{LoginProfile, Tag, User};
use aws_sdk_ses::Client as SesClient;
use aws_sdk_ses::operation::send_email::{SendEmailError, SendEmailOutput};
use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};
use serde_json::{Value, json};

use crate::aws::iam::Iam;
use crate::aws::scheduler::Scheduler;
use crate::aws::ses::Ses;
use crate::hr::Email;
use crate::identity::{EmployeeResult, Status, Step};
use crate::test_fixtures::{account, config};
use crate::workflows::Workflows;

const USER_ARN: &str = "arn:aws:iam::123456789012:user/employees/jane.doe";

/// Jane's user as the fake keeps it, the calls made, the emails sent and a fault to inject.
#[derive(Debug, Clone, Default)]
struct Account {
    tags: Vec<(String, String)>,
    /// The console password that works now, if any.
    password: Option<String>,
    reset_required: bool,
    password_last_used: Option<i64>,
    /// Text of every email sent.
    emails: Vec<String>,
    /// Every call, as "Operation argument".
    calls: Vec<String>,
    /// Fail these calls (1-based) with `ServiceFailure`.
    fail_calls: Vec<usize>,
}

impl Account {
    fn jane(status: &str, password_last_used: Option<i64>) -> Self {
        let hash = Email::parse("jane.doe@example.com").unwrap().sha256_hex();
        Self {
            tags: [
                ("ManagedBy", "iam-onboarding"),
                ("OnboardingStatus", status),
                ("EmailSha256", hash.as_str()),
                ("EmployeeId", "E-1042"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            password: Some("old-password".into()),
            password_last_used,
            ..Default::default()
        }
    }

    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn call(&mut self, what: String) -> bool {
        self.calls.push(what);
        self.fail_calls.contains(&self.calls.len())
    }
}

type Shared = Arc<Mutex<Account>>;

fn error(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message("injected")
        .build()
}

macro_rules! fake {
    ($state:expr, $client:ident :: $op:ident, $error:ident, |$account:ident, $req:ident| $what:expr => $answer:expr) => {{
        let state = $state.clone();
        mock!($client::$op).then_compute_response(move |$req| {
            let mut guard = state.lock().unwrap();
            let $account: &mut Account = &mut guard;
            if $account.call($what) {
                return MockResponse::Error($error::generic(error("ServiceFailure")));
            }
            $answer
        })
    }};
}

fn login_profile() -> LoginProfile {
    LoginProfile::builder()
        .user_name("jane.doe")
        .create_date(DateTime::from_secs(0))
        .build()
        .unwrap()
}

fn iam_rules(state: &Shared) -> Vec<Rule> {
    vec![
        fake!(state, IamClient::get_user, GetUserError, |a, _req| "GetUser".to_string() => {
            let tags = a.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap()).collect();
            let user = User::builder().path("/employees/").user_name("jane.doe").user_id("AIDAJANE").arn(USER_ARN)
                .create_date(DateTime::from_secs(0)).set_tags(Some(tags))
                .set_password_last_used(a.password_last_used.map(DateTime::from_secs)).build().unwrap();
            MockResponse::Output(GetUserOutput::builder().user(user).build())
        }),
        fake!(state, IamClient::get_account_password_policy, GetAccountPasswordPolicyError, |_a, _req| "GetAccountPasswordPolicy".to_string() => {
            MockResponse::Error(GetAccountPasswordPolicyError::generic(error("NoSuchEntity")))
        }),
        fake!(state, IamClient::create_login_profile, CreateLoginProfileError, |a, req| format!("CreateLoginProfile reset={:?}", req.password_reset_required()) => {
            if a.password.is_some() {
                return MockResponse::Error(CreateLoginProfileError::generic(error("EntityAlreadyExists")));
            }
            a.password = req.password().map(str::to_string);
            a.reset_required = req.password_reset_required() == Some(true);
            MockResponse::Output(CreateLoginProfileOutput::builder().login_profile(login_profile()).build())
        }),
        fake!(state, IamClient::update_login_profile, UpdateLoginProfileError, |a, req| format!("UpdateLoginProfile reset={:?}", req.password_reset_required()) => {
            a.password = req.password().map(str::to_string);
            a.reset_required = req.password_reset_required() == Some(true);
            MockResponse::Output(UpdateLoginProfileOutput::builder().build())
        }),
        fake!(state, IamClient::delete_login_profile, DeleteLoginProfileError, |a, _req| "DeleteLoginProfile".to_string() => {
            if a.password.take().is_none() {
                return MockResponse::Error(DeleteLoginProfileError::generic(error("NoSuchEntity")));
            }
            MockResponse::Output(DeleteLoginProfileOutput::builder().build())
        }),
        fake!(state, IamClient::tag_user, TagUserError, |a, req| {
            let tags: Vec<String> = req.tags().iter().map(|t| format!("{}={}", t.key(), t.value())).collect();
            format!("TagUser {}", tags.join(" "))
        } => {
            for tag in req.tags() {
                a.tags.retain(|(k, _)| k != tag.key());
                a.tags.push((tag.key().to_string(), tag.value().to_string()));
            }
            MockResponse::Output(TagUserOutput::builder().build())
        }),
    ]
}

fn ses_rule(state: &Shared) -> Rule {
    fake!(state, SesClient::send_email, SendEmailError, |a, req| {
        let to = req.destination().map(|d| d.to_addresses().join(",")).unwrap_or_default();
        format!("SendEmail {to}")
    } => {
        let text = req.message().and_then(|m| m.body()).and_then(|b| b.text()).map(|t| t.data().to_string());
        a.emails.push(text.unwrap_or_default());
        MockResponse::Output(SendEmailOutput::builder().message_id("msg-1").build().unwrap())
    })
}

async fn run(state: &Shared, payload: Value) -> EmployeeResult {
    let iam_rules = iam_rules(state);
    let ses_rule = ses_rule(state);
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        iam_rules.iter().collect::<Vec<_>>()
    );
    let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, [&ses_rule]);
    let scheduler = mock_client!(aws_sdk_scheduler, RuleMode::MatchAny, []);
    let workflows = Workflows::new(
        Iam::new(iam),
        Ses::new(ses),
        Scheduler::new(scheduler),
        config(Some("https://example.signin.aws.amazon.com/console")),
    );
    let request = workflows.parse_request(&payload).unwrap();
    let mut results = workflows.run(request, &account(), "req-1").await;
    assert_eq!(results.len(), 1);
    results.remove(0)
}

fn resend(force: bool) -> Value {
    json!({"action": "resend", "force": force, "employee": {
        "email": "jane.doe@example.com", "employeeId": "E-1042", "givenName": "Jane"}})
}

const RESENT_CALLS: [&str; 6] = [
    "GetUser",
    "GetAccountPasswordPolicy",
    "CreateLoginProfile reset=Some(true)",
    "UpdateLoginProfile reset=Some(true)",
    "SendEmail jane.doe@example.com",
    "TagUser ManagedBy=iam-onboarding OnboardingStatus=complete",
];

/// Exactly one password works, it was emailed, it must be changed at first sign-in.
fn assert_resent(account: &Account) {
    let password = account.password.clone().expect("a login profile");
    assert_ne!(password, "old-password", "the old password stops working");
    assert!(account.reset_required);
    assert_eq!(account.emails.len(), 1);
    assert!(
        account.emails[0].contains(&password),
        "the email holds the new password"
    );
    assert_eq!(account.tag("OnboardingStatus"), Some("complete"));
}

#[tokio::test]
async fn resend_replaces_the_unused_password_and_emails_it() {
    for status in ["complete", "expired"] {
        let state: Shared = Arc::new(Mutex::new(Account::jane(status, None)));
        let result = run(&state, resend(false)).await;
        assert_eq!(result.status, Status::Resent, "{result:?}");
        assert_eq!(result.user_arn.as_deref(), Some(USER_ARN));
        assert_eq!(result.email_message_id.as_deref(), Some("msg-1"));
        let account = state.lock().unwrap().clone();
        assert_eq!(account.calls, RESENT_CALLS);
        assert_resent(&account);
        let answer = serde_json::to_string(&result).unwrap();
        assert!(!answer.contains(account.password.as_deref().unwrap()));
    }
}

#[tokio::test]
async fn an_expired_user_without_login_profile_gets_a_new_one() {
    let mut jane = Account::jane("expired", None);
    jane.password = None;
    let state: Shared = Arc::new(Mutex::new(jane));
    let result = run(&state, resend(false)).await;
    assert_eq!(result.status, Status::Resent, "{result:?}");
    let account = state.lock().unwrap().clone();
    assert_eq!(account.calls[2], "CreateLoginProfile reset=Some(true)");
    assert!(!account.calls.iter().any(|c| c.starts_with("Update")));
    assert_resent(&account);
}

#[tokio::test]
async fn a_user_who_signed_in_is_refused_without_force_and_replaced_with_it() {
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete", Some(1_700_000_000))));
    let result = run(&state, resend(false)).await;
    assert_eq!(result.status, Status::Conflict);
    let error = result.error.unwrap();
    assert_eq!(error.code, "PasswordAlreadyUsed");
    assert!(error.message.contains("force"), "{}", error.message);
    let account = state.lock().unwrap().clone();
    assert_eq!(account.calls, ["GetUser"], "nothing written");
    assert_eq!(account.password.as_deref(), Some("old-password"));

    let result = run(&state, resend(true)).await;
    assert_eq!(result.status, Status::Resent, "{result:?}");
    assert_resent(&state.lock().unwrap());
}

#[tokio::test]
async fn only_complete_or_expired_users_of_the_person_are_resent() {
    for status in ["pending", "failed", "offboarded"] {
        let state: Shared = Arc::new(Mutex::new(Account::jane(status, None)));
        let result = run(&state, resend(true)).await;
        assert_eq!(result.status, Status::Conflict, "{status}");
        assert_eq!(result.error.unwrap().code, "NotResendable");
        assert_eq!(state.lock().unwrap().calls, ["GetUser"]);
    }
    // Another person's employee id: the lookup refuses, nothing is written.
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete", None)));
    let other = json!({"action": "resend", "employee": {"email": "jane.doe@example.com", "employeeId": "E-9"}});
    let result = run(&state, other).await;
    assert_eq!(result.status, Status::Conflict);
    assert_eq!(state.lock().unwrap().calls, ["GetUser"]);
    // The right employee id and user name with another address: the password
    // would go to an address the user was not onboarded with. Refused, with or
    // without force; nothing is written or sent.
    for force in [false, true] {
        let state: Shared = Arc::new(Mutex::new(Account::jane("complete", None)));
        let elsewhere = json!({"action": "resend", "force": force, "employee": {
            "email": "someone.else@example.net", "username": "jane.doe", "employeeId": "E-1042"}});
        let result = run(&state, elsewhere).await;
        assert_eq!(result.status, Status::Conflict, "{result:?}");
        let account = state.lock().unwrap().clone();
        assert_eq!(account.calls, ["GetUser"]);
        assert!(account.emails.is_empty());
    }
}

#[tokio::test]
async fn dry_run_reports_the_plan_and_writes_nothing() {
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete", None)));
    let mut payload = resend(false);
    payload["dryRun"] = json!(true);
    let result = run(&state, payload).await;
    assert_eq!(result.status, Status::DryRun);
    assert_eq!(result.plan.unwrap().len(), 3);
    assert_eq!(state.lock().unwrap().calls, ["GetUser"]);
}

#[tokio::test]
async fn a_fault_at_each_step_is_undone_and_the_retry_resends() {
    // (failing call, step in the result, calls after the fault)
    let cases: [(usize, Step, &[&str]); 5] = [
        (1, Step::GetUser, &[]),
        (2, Step::ReadAccountSettings, &[]),
        (
            3,
            Step::CreateLoginProfile,
            &[
                "DeleteLoginProfile",
                "TagUser ManagedBy=iam-onboarding OnboardingStatus=expired",
            ],
        ),
        (
            4,
            Step::CreateLoginProfile,
            &[
                "DeleteLoginProfile",
                "TagUser ManagedBy=iam-onboarding OnboardingStatus=expired",
            ],
        ),
        (
            5,
            Step::SendEmail,
            &[
                "DeleteLoginProfile",
                "TagUser ManagedBy=iam-onboarding OnboardingStatus=expired",
            ],
        ),
    ];
    for (fail_call, step, undo) in cases {
        let mut jane = Account::jane("complete", None);
        jane.fail_calls = vec![fail_call];
        let state: Shared = Arc::new(Mutex::new(jane));
        let result = run(&state, resend(false)).await;
        assert_eq!(result.status, Status::Failed, "call {fail_call}");
        let error = result.error.unwrap();
        assert_eq!(error.step, Some(step));
        let mut account = state.lock().unwrap().clone();
        assert_eq!(&account.calls[fail_call..], undo, "call {fail_call}");
        if undo.is_empty() {
            assert!(
                error.message.contains("nothing was changed"),
                "{}",
                error.message
            );
            assert_eq!(account.password.as_deref(), Some("old-password"));
        } else {
            assert!(error.message.contains("removed again"), "{}", error.message);
            assert_eq!(account.password, None, "no undelivered password works");
            assert_eq!(account.tag("OnboardingStatus"), Some("expired"));
        }
        assert!(account.emails.is_empty());
        // The retry of the same request converges.
        account.fail_calls.clear();
        account.calls.clear();
        let state: Shared = Arc::new(Mutex::new(account));
        let result = run(&state, resend(false)).await;
        assert_eq!(
            result.status,
            Status::Resent,
            "retry after call {fail_call}"
        );
        assert_resent(&state.lock().unwrap());
    }
}

#[tokio::test]
async fn failing_undo_and_mark_complete_are_reported() {
    // SendEmail fails (call 5), and so does the undo's DeleteLoginProfile (call 6).
    let mut jane = Account::jane("complete", None);
    jane.fail_calls = vec![5, 6];
    let state: Shared = Arc::new(Mutex::new(jane));
    let result = run(&state, resend(false)).await;
    assert_eq!(result.status, Status::Failed);
    let message = result.error.unwrap().message;
    assert!(
        message.contains("also failed (ServiceFailure)"),
        "{message}"
    );
    assert_eq!(
        state.lock().unwrap().calls.len(),
        6,
        "no tag after a failed undo"
    );

    // The undo's tag fails (call 7): the password is gone, the message says the tag is not.
    let mut jane = Account::jane("complete", None);
    jane.fail_calls = vec![5, 7];
    let state: Shared = Arc::new(Mutex::new(jane));
    let result = run(&state, resend(false)).await;
    let message = result.error.unwrap().message;
    assert!(message.contains("tagging it expired failed"), "{message}");
    assert_eq!(state.lock().unwrap().password, None);

    // The tag after the email fails: resent, with a warning; the delivered password stays.
    let mut jane = Account::jane("expired", None);
    jane.fail_calls = vec![6];
    let state: Shared = Arc::new(Mutex::new(jane));
    let result = run(&state, resend(false)).await;
    assert_eq!(result.status, Status::Resent, "{result:?}");
    assert!(
        result
            .warning
            .unwrap()
            .contains("OnboardingStatus=complete")
    );
    let account = state.lock().unwrap().clone();
    assert_eq!(account.emails.len(), 1);
    assert!(account.password.is_some());
}
