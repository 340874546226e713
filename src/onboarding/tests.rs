//! Request-level tests of the workflow with mocked IAM and SES clients: the exact
//! parameters (which the local emulator ignores) and an injected failure at every step.

use std::sync::{Arc, Mutex};

use aws_sdk_iam::Client as IamClient;
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::add_user_to_group::{AddUserToGroupError, AddUserToGroupOutput};
use aws_sdk_iam::operation::attach_user_policy::{AttachUserPolicyError, AttachUserPolicyOutput};
use aws_sdk_iam::operation::create_login_profile::{
    CreateLoginProfileError, CreateLoginProfileOutput,
};
use aws_sdk_iam::operation::create_user::{CreateUserError, CreateUserOutput};
use aws_sdk_iam::operation::delete_login_profile::DeleteLoginProfileOutput;
use aws_sdk_iam::operation::detach_user_policy::{DetachUserPolicyError, DetachUserPolicyOutput};
use aws_sdk_iam::operation::get_account_password_policy::{
    GetAccountPasswordPolicyError, GetAccountPasswordPolicyOutput,
};
use aws_sdk_iam::operation::get_user::GetUserOutput;
use aws_sdk_iam::operation::list_account_aliases::ListAccountAliasesOutput;
use aws_sdk_iam::operation::tag_user::{TagUserError, TagUserOutput};
use aws_sdk_iam::operation::untag_user::UntagUserOutput;
use aws_sdk_iam::operation::update_login_profile::UpdateLoginProfileOutput;
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{LoginProfile, PasswordPolicy as IamPasswordPolicy, Tag, User};
use aws_sdk_ses::Client as SesClient;
use aws_sdk_ses::operation::send_email::{SendEmailError, SendEmailOutput};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use serde_json::json;

use super::*;
use crate::aws::iam::Iam;
use crate::aws::ses::Ses;
use crate::hr::OnboardingRequest;
use crate::identity::AccountContext;
use crate::identity::ownership::{IN_PROGRESS_SECONDS, unix_now};
use crate::identity::{EmployeeResult, OneTimePassword, Status, Step};
use crate::test_fixtures::{
    BOUNDARY_ARN, EMPLOYEE_ATTEMPT, POLICY_ARN, USER_ARN, account, config, iam_error, lease_delete,
    lease_put_held, leases,
};

/// The request id the tests' invocations run as; the single employee is entry 0.
const ATTEMPT: &str = "req-1";

fn request(dry_run: bool) -> OnboardingRequest {
    let payload = json!({"dryRun": dry_run, "employee": {
        "email": "jane.doe@example.com", "givenName": "Jane", "familyName": "Doe", "employeeId": "E-1042",
        "department": "Engineering", "groups": ["developers", "readers"], "tags": {"CostCenter": "4410"},
        "hireDate": "2026-12-01"}});
    OnboardingRequest::parse(&payload, &config(None).allowed_groups).unwrap()
}

fn user(tags: &[(&str, &str)]) -> User {
    User::builder()
        .path("/employees/")
        .user_name("jane.doe")
        .user_id("AIDAEXAMPLE")
        .arn(USER_ARN)
        .create_date(DateTime::from_secs(0))
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
                .collect(),
        ))
        .build()
        .unwrap()
}

/// The rules of a fully successful onboarding; tests replace one of them with a failure.
struct Rules {
    password_policy: Rule,
    create_user: Rule,
    create_login_profile: Rule,
    attach_policy: Rule,
    add_to_group: Rule,
    send_email: Rule,
    tag_user: Rule,
    delete_login_profile: Rule,
    password_sent_to_iam: Arc<Mutex<Option<String>>>,
    email_text: Arc<Mutex<Option<String>>>,
}

fn strict_policy() -> GetAccountPasswordPolicyOutput {
    GetAccountPasswordPolicyOutput::builder()
        .password_policy(
            IamPasswordPolicy::builder()
                .minimum_password_length(32)
                .require_symbols(true)
                .require_numbers(true)
                .require_uppercase_characters(true)
                .require_lowercase_characters(true)
                .build(),
        )
        .build()
}

impl Rules {
    fn success() -> Self {
        let password_sent_to_iam = Arc::new(Mutex::new(None));
        let email_text = Arc::new(Mutex::new(None));
        let recorded_password = password_sent_to_iam.clone();
        let recorded_email = email_text.clone();
        Self {
            password_policy: mock!(IamClient::get_account_password_policy)
                .sequence()
                .output(strict_policy)
                .repeatedly()
                .build(),
            create_user: mock!(IamClient::create_user)
                .sequence()
                .output(|| CreateUserOutput::builder().user(user(&[])).build())
                .repeatedly()
                .build(),
            create_login_profile: mock!(IamClient::create_login_profile)
                .match_requests(move |req| {
                    *recorded_password.lock().unwrap() = req.password().map(str::to_string);
                    true
                })
                .sequence()
                .output(|| {
                    CreateLoginProfileOutput::builder()
                        .login_profile(
                            LoginProfile::builder()
                                .user_name("jane.doe")
                                .create_date(DateTime::from_secs(0))
                                .build()
                                .unwrap(),
                        )
                        .build()
                })
                .repeatedly()
                .build(),
            attach_policy: mock!(IamClient::attach_user_policy)
                .sequence()
                .output(|| AttachUserPolicyOutput::builder().build())
                .repeatedly()
                .build(),
            add_to_group: mock!(IamClient::add_user_to_group)
                .sequence()
                .output(|| AddUserToGroupOutput::builder().build())
                .repeatedly()
                .build(),
            send_email: mock!(SesClient::send_email)
                .match_requests(move |req| {
                    let text = req
                        .message()
                        .and_then(|m| m.body())
                        .and_then(|b| b.text())
                        .map(|t| t.data().to_string());
                    *recorded_email.lock().unwrap() = text;
                    true
                })
                .sequence()
                .output(|| {
                    SendEmailOutput::builder()
                        .message_id("msg-1")
                        .build()
                        .unwrap()
                })
                .repeatedly()
                .build(),
            tag_user: mock!(IamClient::tag_user)
                .sequence()
                .output(|| TagUserOutput::builder().build())
                .repeatedly()
                .build(),
            delete_login_profile: mock!(IamClient::delete_login_profile)
                .sequence()
                .output(|| DeleteLoginProfileOutput::builder().build())
                .repeatedly()
                .build(),
            password_sent_to_iam,
            email_text,
        }
    }

    /// [`Self::onboarder`] in a deployment that schedules future offboardings,
    /// with these Scheduler rules.
    fn cancelling_onboarder(&self, extra_iam: &[&Rule], scheduler_rules: &[&Rule]) -> Onboarder {
        let scheduler = mock_client!(aws_sdk_scheduler, RuleMode::MatchAny, scheduler_rules);
        let settings = crate::config::ScheduleSettings {
            group: SCHEDULE_GROUP.into(),
            role_arn: "arn:aws:iam::123456789012:role/scheduler".into(),
        };
        self.onboarder(extra_iam).with_pending_offboardings(
            crate::schedule::PendingOffboardings::new(
                crate::aws::scheduler::Scheduler::new(scheduler),
                Some(settings),
            ),
        )
    }

    fn onboarder(&self, extra_iam: &[&Rule]) -> Onboarder {
        let mut iam_rules: Vec<&Rule> = vec![
            &self.password_policy,
            &self.create_user,
            &self.create_login_profile,
            &self.attach_policy,
            &self.add_to_group,
            &self.tag_user,
            &self.delete_login_profile,
        ];
        iam_rules.extend_from_slice(extra_iam);
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, iam_rules);
        let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, [&self.send_email]);
        Onboarder::new(
            Iam::new(iam),
            Ses::new(ses),
            config(Some("https://corp.signin.aws.amazon.com/console")),
        )
    }
}

async fn run_one(onboarder: &Onboarder, dry_run: bool) -> EmployeeResult {
    let mut results = onboarder.run(request(dry_run), &account(), ATTEMPT).await;
    assert_eq!(results.len(), 1);
    results.remove(0)
}

#[tokio::test]
async fn sends_the_exact_requests_of_a_full_onboarding() {
    let mut rules = Rules::success();
    rules.create_user = mock!(IamClient::create_user)
        .match_requests(|req| {
            let tags: Vec<(&str, &str)> = req.tags().iter().map(|t| (t.key(), t.value())).collect();
            let email_hash = crate::hr::Email::parse("jane.doe@example.com")
                .unwrap()
                .sha256_hex();
            let started = tags
                .last()
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .unwrap_or_default();
            req.user_name() == Some("jane.doe")
                && req.path() == Some("/employees/")
                && req.permissions_boundary() == Some(BOUNDARY_ARN)
                && tags[..tags.len() - 1]
                    == [
                        ("ManagedBy", "iam-onboarding"),
                        ("EmailSha256", email_hash.as_str()),
                        ("GivenName", "Jane"),
                        ("FamilyName", "Doe"),
                        ("ContactEmail", "jane.doe@example.com"),
                        ("EmployeeId", "E-1042"),
                        ("Department", "Engineering"),
                        ("CostCenter", "4410"),
                        ("OnboardingStatus", "pending"),
                        ("OnboardingAttempt", EMPLOYEE_ATTEMPT),
                    ]
                && tags.last().map(|(k, _)| *k) == Some("OnboardingStartedAt")
                && (unix_now() - started).abs() < 60
        })
        .then_output(|| CreateUserOutput::builder().user(user(&[])).build());
    rules.create_login_profile = {
        let recorded = rules.password_sent_to_iam.clone();
        mock!(IamClient::create_login_profile)
            .match_requests(move |req| {
                *recorded.lock().unwrap() = req.password().map(str::to_string);
                req.user_name() == Some("jane.doe") && req.password_reset_required() == Some(true)
            })
            .then_output(|| CreateLoginProfileOutput::builder().build())
    };
    rules.attach_policy = mock!(IamClient::attach_user_policy)
        .match_requests(|req| {
            req.user_name() == Some("jane.doe") && req.policy_arn() == Some(POLICY_ARN)
        })
        .then_output(|| AttachUserPolicyOutput::builder().build());
    rules.add_to_group = mock!(IamClient::add_user_to_group)
        .match_requests(|req| {
            req.user_name() == Some("jane.doe")
                && matches!(req.group_name(), Some("developers" | "readers"))
        })
        .sequence()
        .output(|| AddUserToGroupOutput::builder().build())
        .times(2)
        .build();
    rules.send_email = {
        let recorded = rules.email_text.clone();
        mock!(SesClient::send_email)
            .match_requests(move |req| {
                let message = req.message().unwrap();
                let body = message.body().unwrap();
                *recorded.lock().unwrap() = body.text().map(|t| t.data().to_string());
                req.source() == Some("it@example.com")
                    && req.destination().unwrap().to_addresses() == ["jane.doe@example.com"]
                    && message.subject().unwrap().charset() == Some("UTF-8")
                    && body.html().unwrap().charset() == Some("UTF-8")
                    && body.text().unwrap().charset() == Some("UTF-8")
            })
            .then_output(|| {
                SendEmailOutput::builder()
                    .message_id("msg-1")
                    .build()
                    .unwrap()
            })
    };
    rules.tag_user = mock!(IamClient::tag_user)
        .match_requests(|req| {
            let tags: Vec<(&str, &str)> = req.tags().iter().map(|t| (t.key(), t.value())).collect();
            req.user_name() == Some("jane.doe")
                && tags
                    == [
                        ("ManagedBy", "iam-onboarding"),
                        ("OnboardingStatus", "complete"),
                    ]
        })
        .then_output(|| TagUserOutput::builder().build());
    let onboarder = rules.onboarder(&[]);

    let result = run_one(&onboarder, false).await;

    assert_eq!(result.status, Status::Created, "{result:?}");
    assert_eq!(result.email_message_id.as_deref(), Some("msg-1"));
    assert_eq!(result.groups, ["developers", "readers"]);
    assert_eq!(rules.create_user.num_calls(), 1);
    assert_eq!(rules.create_login_profile.num_calls(), 1);
    assert_eq!(rules.attach_policy.num_calls(), 1);
    assert_eq!(rules.add_to_group.num_calls(), 2);
    assert_eq!(rules.send_email.num_calls(), 1);
    assert_eq!(rules.tag_user.num_calls(), 1);
    assert_eq!(rules.delete_login_profile.num_calls(), 0);

    let password = rules
        .password_sent_to_iam
        .lock()
        .unwrap()
        .clone()
        .expect("CreateLoginProfile saw a password");
    let policy = crate::identity::PasswordPolicy {
        minimum_length: 32,
        require_uppercase: true,
        require_lowercase: true,
        require_numbers: true,
        require_symbols: true,
    };
    assert!(OneTimePassword::from_known(&password).satisfies(&policy));
    assert_eq!(password.len(), 32);
    let text = rules.email_text.lock().unwrap().clone().unwrap();
    assert!(
        text.contains(&password),
        "the emailed password is the one given to IAM"
    );
    assert!(text.contains("https://corp.signin.aws.amazon.com/console"));
    let response = serde_json::to_string(&result).unwrap();
    assert!(
        !response.contains(&password),
        "the password is never in a response"
    );
}

#[tokio::test]
async fn omits_the_boundary_when_none_is_configured() {
    let rules = Rules::success();
    let create_user = mock!(IamClient::create_user)
        .match_requests(|req| req.permissions_boundary().is_none())
        .then_output(|| CreateUserOutput::builder().user(user(&[])).build());
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [
            &rules.password_policy,
            &create_user,
            &rules.create_login_profile,
            &rules.attach_policy,
            &rules.add_to_group,
            &rules.tag_user
        ]
    );
    let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, [&rules.send_email]);
    let mut config = config(Some("https://corp.signin.aws.amazon.com/console"));
    config.permissions_boundary_arn = None;
    let onboarder = Onboarder::new(Iam::new(iam), Ses::new(ses), config);
    assert_eq!(run_one(&onboarder, false).await.status, Status::Created);
    assert_eq!(create_user.num_calls(), 1);
}

#[tokio::test]
async fn derives_the_signin_url_from_the_alias_and_reads_account_settings_once() {
    let rules = Rules::success();
    let aliases = mock!(IamClient::list_account_aliases).then_output(|| {
        ListAccountAliasesOutput::builder()
            .account_aliases("acme")
            .build()
            .unwrap()
    });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [
            &rules.password_policy,
            &aliases,
            &rules.create_user,
            &rules.create_login_profile,
            &rules.attach_policy,
            &rules.add_to_group,
            &rules.tag_user
        ]
    );
    let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, [&rules.send_email]);
    let onboarder = Onboarder::new(Iam::new(iam), Ses::new(ses), config(None));
    assert_eq!(run_one(&onboarder, false).await.status, Status::Created);
    let text = rules.email_text.lock().unwrap().clone().unwrap();
    assert!(
        text.contains("https://acme.signin.aws.amazon.com/console"),
        "{text}"
    );
    // The second employee in the same container reads neither the policy nor the alias again.
    let _ = run_one(&onboarder, false).await;
    assert_eq!(rules.password_policy.num_calls(), 1);
    assert_eq!(aliases.num_calls(), 1);
}

#[tokio::test]
async fn failure_to_create_the_user_changes_nothing_else() {
    let mut rules = Rules::success();
    rules.create_user = mock!(IamClient::create_user)
        .then_error(|| CreateUserError::generic(iam_error("AccessDenied")));
    let onboarder = rules.onboarder(&[]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Failed);
    let error = result.error.unwrap();
    assert_eq!(
        (error.step, error.code.as_str()),
        (Some(Step::CreateUser), "AccessDenied")
    );
    assert_eq!(
        rules.create_login_profile.num_calls() + rules.send_email.num_calls(),
        0
    );
    assert_eq!(
        rules.attach_policy.num_calls() + rules.add_to_group.num_calls(),
        0
    );
}

#[tokio::test]
async fn failure_to_read_the_password_policy_sets_no_password() {
    let mut rules = Rules::success();
    rules.password_policy = mock!(IamClient::get_account_password_policy)
        .then_error(|| GetAccountPasswordPolicyError::generic(iam_error("ServiceFailure")));
    let onboarder = rules.onboarder(&[]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Failed);
    let error = result.error.unwrap();
    assert_eq!(
        (error.step, error.code.as_str()),
        (Some(Step::ReadAccountSettings), "ServiceFailure")
    );
    assert!(error.message.contains("retry of this event completes it"));
    assert_eq!(
        rules.create_login_profile.num_calls() + rules.send_email.num_calls(),
        0
    );
}

#[tokio::test]
async fn no_account_password_policy_means_the_aws_default() {
    let mut rules = Rules::success();
    rules.password_policy = mock!(IamClient::get_account_password_policy).then_error(|| {
        GetAccountPasswordPolicyError::NoSuchEntityException(
            aws_sdk_iam::types::error::NoSuchEntityException::builder()
                .message("The Password Policy with domain name 123456789012 cannot be found.")
                .meta(iam_error("NoSuchEntity"))
                .build(),
        )
    });
    let onboarder = rules.onboarder(&[]);
    assert_eq!(run_one(&onboarder, false).await.status, Status::Created);
    let password = rules.password_sent_to_iam.lock().unwrap().clone().unwrap();
    assert_eq!(password.len(), 20);
    assert!(
        OneTimePassword::from_known(&password)
            .satisfies(&crate::identity::PasswordPolicy::AWS_DEFAULT)
    );
}

/// Failures after the password was set: the login profile is removed again and nothing is emailed.
#[tokio::test]
async fn failures_after_the_password_was_set_remove_it_again() {
    type Inject = fn(&mut Rules);
    let cases: [(Step, &str, Inject); 4] = [
        (Step::CreateLoginProfile, "PasswordPolicyViolation", |r| {
            r.create_login_profile = mock!(IamClient::create_login_profile).then_error(|| {
                CreateLoginProfileError::generic(iam_error("PasswordPolicyViolation"))
            });
        }),
        (Step::AttachPolicy, "LimitExceeded", |r| {
            r.attach_policy = mock!(IamClient::attach_user_policy)
                .then_error(|| AttachUserPolicyError::generic(iam_error("LimitExceeded")));
        }),
        (Step::AddToGroup, "NoSuchEntity", |r| {
            r.add_to_group = mock!(IamClient::add_user_to_group)
                .sequence()
                .error(|| AddUserToGroupError::generic(iam_error("NoSuchEntity")))
                .times(2)
                .build();
        }),
        (Step::SendEmail, "MessageRejected", |r| {
            r.send_email = mock!(SesClient::send_email)
                .then_error(|| SendEmailError::generic(iam_error("MessageRejected")));
        }),
    ];
    for (step, code, inject) in cases {
        let mut rules = Rules::success();
        inject(&mut rules);
        let onboarder = rules.onboarder(&[]);
        let result = run_one(&onboarder, false).await;
        assert_eq!(result.status, Status::Failed, "{step}");
        let error = result.error.clone().unwrap();
        assert_eq!((error.step, error.code.as_str()), (Some(step), code));
        assert!(
            error.message.contains("retry of this event completes it"),
            "{step}: {}",
            error.message
        );
        assert_eq!(
            rules.delete_login_profile.num_calls(),
            1,
            "{step}: the undelivered password is removed"
        );
        assert_eq!(
            rules.tag_user.num_calls(),
            1,
            "{step}: the attempt is marked failed, so a retry may resume at once"
        );
        if step != Step::SendEmail {
            assert_eq!(
                rules.send_email.num_calls(),
                0,
                "{step}: nothing is emailed"
            );
        }
    }
}

#[tokio::test]
async fn a_failed_undo_is_reported() {
    let mut rules = Rules::success();
    rules.send_email = mock!(SesClient::send_email)
        .then_error(|| SendEmailError::generic(iam_error("Throttling")));
    rules.delete_login_profile = mock!(IamClient::delete_login_profile).then_error(|| {
        aws_sdk_iam::operation::delete_login_profile::DeleteLoginProfileError::generic(iam_error(
            "ServiceFailure",
        ))
    });
    let onboarder = rules.onboarder(&[]);
    let error = run_one(&onboarder, false).await.error.unwrap();
    assert_eq!(error.step, Some(Step::SendEmail));
    assert!(
        error
            .message
            .contains("removing the undelivered one-time password also failed (ServiceFailure)")
    );
}

#[tokio::test]
async fn failure_to_mark_complete_still_reports_the_delivered_email() {
    let mut rules = Rules::success();
    rules.tag_user =
        mock!(IamClient::tag_user).then_error(|| TagUserError::generic(iam_error("AccessDenied")));
    let onboarder = rules.onboarder(&[]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Created);
    assert!(
        result
            .warning
            .unwrap()
            .contains("OnboardingStatus=complete")
    );
    assert_eq!(
        rules.delete_login_profile.num_calls(),
        0,
        "the delivered password stays valid"
    );
}

#[tokio::test(start_paused = true)]
async fn transient_iam_errors_are_retried() {
    let mut rules = Rules::success();
    rules.create_login_profile = mock!(IamClient::create_login_profile)
        .sequence()
        .error(|| CreateLoginProfileError::generic(iam_error("EntityTemporarilyUnmodifiable")))
        .error(|| CreateLoginProfileError::generic(iam_error("ConcurrentModification")))
        .output(|| CreateLoginProfileOutput::builder().build())
        .build();
    let onboarder = rules.onboarder(&[]);
    assert_eq!(run_one(&onboarder, false).await.status, Status::Created);
    assert_eq!(rules.create_login_profile.num_calls(), 3);
}

/// Rules where CreateUser finds `jane.doe` taken, and GetUser returns it with `tags`.
fn existing_user_rules(tags: &[(&str, &str)]) -> (Rules, Rule) {
    let mut rules = Rules::success();
    rules.create_user = mock!(IamClient::create_user)
        .then_error(|| CreateUserError::generic(iam_error("EntityAlreadyExists")));
    let owned: Vec<(String, String)> = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let get_user = mock!(aws_sdk_iam::Client::get_user)
        .match_requests(|req| req.user_name() == Some("jane.doe"))
        .then_output(move || {
            let tags: Vec<(&str, &str)> = owned
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            GetUserOutput::builder().user(user(&tags)).build()
        });
    (rules, get_user)
}

#[tokio::test]
async fn a_repeated_event_changes_nothing() {
    let (rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "complete"),
    ]);
    let onboarder = rules.onboarder(&[&get_user]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::AlreadyOnboarded);
    assert_eq!(result.user_arn.as_deref(), Some(USER_ARN));
    assert_eq!(
        rules.create_login_profile.num_calls() + rules.send_email.num_calls(),
        0
    );
    assert_eq!(
        rules.attach_policy.num_calls()
            + rules.add_to_group.num_calls()
            + rules.tag_user.num_calls(),
        0
    );
}

#[tokio::test]
async fn a_name_held_by_someone_else_is_a_conflict_and_untouched() {
    let cases: [&'static [(&'static str, &'static str)]; 3] = [
        &[],
        &[("ManagedBy", "someone-else")],
        &[
            ("ManagedBy", "iam-onboarding"),
            ("EmployeeId", "E-9999"),
            ("OnboardingStatus", "complete"),
        ],
    ];
    for tags in cases {
        let (rules, get_user) = existing_user_rules(tags);
        let onboarder = rules.onboarder(&[&get_user]);
        let result = run_one(&onboarder, false).await;
        assert_eq!(result.status, Status::Conflict, "{tags:?}");
        assert_eq!(result.error.unwrap().code, "UserConflict");
        assert_eq!(
            rules.create_login_profile.num_calls() + rules.send_email.num_calls(),
            0
        );
        assert_eq!(
            rules.attach_policy.num_calls() + rules.tag_user.num_calls(),
            0
        );
    }
}

#[tokio::test]
async fn a_name_outside_the_readable_path_is_a_conflict() {
    let mut rules = Rules::success();
    rules.create_user = mock!(IamClient::create_user)
        .then_error(|| CreateUserError::generic(iam_error("EntityAlreadyExists")));
    let get_user = mock!(aws_sdk_iam::Client::get_user).then_error(|| {
        aws_sdk_iam::operation::get_user::GetUserError::generic(iam_error("AccessDenied"))
    });
    let onboarder = rules.onboarder(&[&get_user]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Conflict);
    assert!(
        result
            .error
            .unwrap()
            .message
            .contains("outside this function's user path")
    );
    assert_eq!(
        rules.create_login_profile.num_calls() + rules.attach_policy.num_calls(),
        0
    );
}

#[tokio::test]
async fn another_person_with_the_same_name_is_a_conflict_even_without_employee_ids() {
    let other_hash = crate::hr::Email::parse("jane.doe@contractor.example.org")
        .unwrap()
        .sha256_hex();
    let (rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmailSha256", &other_hash),
        ("OnboardingStatus", "failed"),
    ]);
    let onboarder = rules.onboarder(&[&get_user]);
    let payload = json!({"employee": {"email": "jane.doe@example.com"}});
    let request = OnboardingRequest::parse(&payload, &[]).unwrap();
    let result = onboarder.run(request, &account(), ATTEMPT).await.remove(0);
    assert_eq!(result.status, Status::Conflict, "{result:?}");
    assert!(
        result
            .error
            .unwrap()
            .message
            .contains("another email address")
    );
    assert_eq!(
        rules.create_login_profile.num_calls() + rules.tag_user.num_calls(),
        0
    );
}

#[tokio::test]
async fn a_user_being_onboarded_right_now_is_left_alone() {
    let started = unix_now().to_string();
    let (rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "pending"),
        ("OnboardingStartedAt", &started),
    ]);
    let onboarder = rules.onboarder(&[&get_user]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Failed);
    let error = result.error.unwrap();
    assert_eq!(error.code, "OnboardingInProgress");
    assert!(error.message.contains("nothing was changed"));
    let writes = rules.create_login_profile.num_calls()
        + rules.attach_policy.num_calls()
        + rules.tag_user.num_calls()
        + rules.delete_login_profile.num_calls()
        + rules.send_email.num_calls();
    assert_eq!(
        writes, 0,
        "a concurrent delivery neither sets a password nor undoes the other's"
    );
}

#[tokio::test]
async fn a_pending_user_whose_attempt_is_old_is_resumed() {
    let started = (unix_now() - IN_PROGRESS_SECONDS - 1).to_string();
    let (rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "pending"),
        ("OnboardingStartedAt", &started),
    ]);
    let onboarder = rules.onboarder(&[&get_user]);
    assert_eq!(run_one(&onboarder, false).await.status, Status::Created);
}

#[tokio::test]
async fn a_pending_user_is_resumed_and_its_old_password_replaced() {
    let (mut rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "pending"),
    ]);
    rules.create_login_profile = mock!(IamClient::create_login_profile)
        .then_error(|| CreateLoginProfileError::generic(iam_error("EntityAlreadyExists")));
    let replaced = Arc::new(Mutex::new(None));
    let recorded = replaced.clone();
    let update = mock!(IamClient::update_login_profile)
        .match_requests(move |req| {
            *recorded.lock().unwrap() = req.password().map(str::to_string);
            req.password_reset_required() == Some(true)
        })
        .then_output(|| UpdateLoginProfileOutput::builder().build());
    let onboarder = rules.onboarder(&[&get_user, &update]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Created, "{result:?}");
    assert_eq!(update.num_calls(), 1);
    let password = replaced.lock().unwrap().clone().unwrap();
    assert!(
        rules
            .email_text
            .lock()
            .unwrap()
            .clone()
            .unwrap()
            .contains(&password)
    );
    assert_eq!(
        rules.tag_user.num_calls(),
        2,
        "the claim of the attempt, then complete"
    );
}

#[tokio::test]
async fn a_rehire_lifts_the_deny_and_onboards_again() {
    for status in ["offboarded", "failed"] {
        // "failed" with OffboardedAt: a rehire whose first attempt stopped half-way.
        let (rules, get_user) = existing_user_rules(&[
            ("ManagedBy", "iam-onboarding"),
            ("EmployeeId", "E-1042"),
            ("OnboardingStatus", status),
            ("OffboardedAt", "1000"),
        ]);
        let detach = mock!(IamClient::detach_user_policy)
            .match_requests(|req| {
                req.user_name() == Some("jane.doe")
                    && req.policy_arn() == Some("arn:aws:iam::aws:policy/AWSDenyAll")
            })
            .then_output(|| DetachUserPolicyOutput::builder().build());
        let untag = mock!(IamClient::untag_user)
            .match_requests(|req| req.tag_keys() == ["OffboardedAt", "ScimDeletedAt"])
            .then_output(|| UntagUserOutput::builder().build());
        let onboarder = rules.onboarder(&[&get_user, &detach, &untag]);
        let result = run_one(&onboarder, false).await;
        assert_eq!(result.status, Status::Created, "{status}: {result:?}");
        assert_eq!((detach.num_calls(), untag.num_calls()), (1, 1), "{status}");
        assert_eq!(rules.create_login_profile.num_calls(), 1);
        assert_eq!(rules.add_to_group.num_calls(), 2);
        assert_eq!(rules.send_email.num_calls(), 1);
    }
}

/// Issue 21: a hire delivered after the person's termination (a retry after a
/// `409`, an EventBridge replay) is not a rehire unless it is dated after the
/// offboarding or says `rehire: true`: a conflict, and not one call is made.
#[tokio::test]
async fn a_late_or_replayed_hire_does_not_rehire_a_leaver() {
    let offboarded_at = "1796169600"; // 2026-12-02T00:00:00Z
    let hire = |extra: serde_json::Value| {
        let mut employee = json!({"email": "jane.doe@example.com", "employeeId": "E-1042"});
        employee
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        OnboardingRequest::parse(&json!({"employee": employee}), &config(None).allowed_groups)
            .unwrap()
    };
    for (extra, why) in [
        (json!({}), "no hire date"),
        (
            json!({"hireDate": "2026-12-01"}),
            "hired before the offboarding",
        ),
        (
            json!({"hireDate": "2026-12-02"}),
            "the offboarding's own day, midnight",
        ),
        (json!({"rehire": false}), "rehire: false"),
    ] {
        let (rules, get_user) = existing_user_rules(&[
            ("ManagedBy", "iam-onboarding"),
            ("EmployeeId", "E-1042"),
            ("OnboardingStatus", "offboarded"),
            ("OffboardedAt", offboarded_at),
        ]);
        let onboarder = rules.onboarder(&[&get_user]);
        let result = onboarder
            .run(hire(extra), &account(), ATTEMPT)
            .await
            .remove(0);
        assert_eq!(result.status, Status::Conflict, "{why}: {result:?}");
        let error = result.error.unwrap();
        assert_eq!(error.field.as_deref(), Some("hireDate"), "{why}");
        assert!(
            error.message.contains("2026-12-02T00:00:00"),
            "{}",
            error.message
        );
        assert_eq!(rules.create_login_profile.num_calls(), 0, "{why}");
        assert_eq!(rules.send_email.num_calls(), 0, "{why}");
        assert_eq!(get_user.num_calls(), 1, "{why}: the only call");
    }
    // Dated after the offboarding, or explicitly a rehire: onboarded again.
    for extra in [json!({"hireDate": "2026-12-03"}), json!({"rehire": true})] {
        let (rules, get_user) = existing_user_rules(&[
            ("ManagedBy", "iam-onboarding"),
            ("EmployeeId", "E-1042"),
            ("OnboardingStatus", "offboarded"),
            ("OffboardedAt", offboarded_at),
        ]);
        let detach = mock!(IamClient::detach_user_policy)
            .then_output(|| DetachUserPolicyOutput::builder().build());
        let untag = mock!(IamClient::untag_user).then_output(|| UntagUserOutput::builder().build());
        let onboarder = rules.onboarder(&[&get_user, &detach, &untag]);
        let result = onboarder
            .run(hire(extra.clone()), &account(), ATTEMPT)
            .await
            .remove(0);
        assert_eq!(result.status, Status::Created, "{extra}: {result:?}");
        assert_eq!(rules.send_email.num_calls(), 1);
    }
}

#[tokio::test]
async fn a_rehire_that_cannot_lift_the_deny_sets_no_password() {
    let (rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "offboarded"),
        ("OffboardedAt", "1000"),
    ]);
    let detach = mock!(IamClient::detach_user_policy)
        .then_error(|| DetachUserPolicyError::generic(iam_error("ServiceFailure")));
    let onboarder = rules.onboarder(&[&get_user, &detach]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Failed);
    assert_eq!(result.error.unwrap().step, Some(Step::LiftDeny));
    assert_eq!(
        rules.create_login_profile.num_calls() + rules.send_email.num_calls(),
        0
    );
    assert_eq!(
        rules.tag_user.num_calls(),
        2,
        "the claim, then failed (OffboardedAt stays for the retry)"
    );
}

const SCHEDULE_GROUP: &str = "offboardings";

/// DeleteSchedule of Jane's pending offboarding, exactly; `found`: whether it exists.
fn delete_janes_schedule(found: bool) -> Rule {
    use aws_sdk_scheduler::operation::delete_schedule::{
        DeleteScheduleError, DeleteScheduleOutput,
    };
    let rule = mock!(aws_sdk_scheduler::Client::delete_schedule).match_requests(|req| {
        req.group_name() == Some(SCHEDULE_GROUP)
            && req.name() == Some(crate::schedule::schedule_name("jane.doe").as_str())
    });
    if found {
        rule.then_output(|| DeleteScheduleOutput::builder().build())
    } else {
        rule.then_error(|| {
            DeleteScheduleError::generic(
                aws_sdk_scheduler::error::ErrorMetadata::builder()
                    .code("ResourceNotFoundException")
                    .build(),
            )
        })
    }
}

fn schedule_fault() -> Rule {
    use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
    mock!(aws_sdk_scheduler::Client::delete_schedule).then_error(|| {
        DeleteScheduleError::generic(
            aws_sdk_scheduler::error::ErrorMetadata::builder()
                .code("InternalServerException")
                .build(),
        )
    })
}

#[tokio::test]
async fn a_rehire_before_the_last_day_cancels_the_pending_offboarding() {
    let complete = [
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "complete"),
    ];
    let (rules, get_user) = existing_user_rules(&complete);
    let delete = delete_janes_schedule(true);
    let onboarder = rules.cancelling_onboarder(&[&get_user], &[&delete]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(
        (result.status, result.offboarding_cancelled),
        (Status::AlreadyOnboarded, true),
        "{result:?}"
    );
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(
        rules.tag_user.num_calls() + rules.create_login_profile.num_calls(),
        0,
        "the user itself is not touched"
    );

    // Nothing pending (a repeated hire event): as before, with one call that finds nothing.
    let (rules, get_user) = existing_user_rules(&complete);
    let none = delete_janes_schedule(false);
    let onboarder = rules.cancelling_onboarder(&[&get_user], &[&none]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(
        (result.status, result.offboarding_cancelled),
        (Status::AlreadyOnboarded, false)
    );
    assert_eq!(none.num_calls(), 1);

    // Scheduler fails: not reported as done, and the retry cancels it.
    let (rules, get_user) = existing_user_rules(&complete);
    let fault = schedule_fault();
    let onboarder = rules.cancelling_onboarder(&[&get_user], &[&fault]);
    let failed = run_one(&onboarder, false).await;
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(failed.error.unwrap().step, Some(Step::CancelSchedule));
    let delete = delete_janes_schedule(true);
    let onboarder = rules.cancelling_onboarder(&[&get_user], &[&delete]);
    assert!(run_one(&onboarder, false).await.offboarding_cancelled);
}

#[tokio::test]
async fn a_rehire_of_an_offboarded_user_cancels_a_pending_offboarding_first() {
    let offboarded = [
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "offboarded"),
        ("OffboardedAt", "1000"),
    ];
    let detach = || {
        mock!(IamClient::detach_user_policy)
            .then_output(|| DetachUserPolicyOutput::builder().build())
    };
    let untag = || mock!(IamClient::untag_user).then_output(|| UntagUserOutput::builder().build());

    // Scheduler fails: the deny stays, no password is set, the attempt is marked failed.
    let (rules, get_user) = existing_user_rules(&offboarded);
    let (lift, clear, fault) = (detach(), untag(), schedule_fault());
    let onboarder = rules.cancelling_onboarder(&[&get_user, &lift, &clear], &[&fault]);
    let failed = run_one(&onboarder, false).await;
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(failed.error.unwrap().step, Some(Step::CancelSchedule));
    assert_eq!(
        lift.num_calls() + rules.create_login_profile.num_calls() + rules.send_email.num_calls(),
        0
    );
    assert_eq!(rules.tag_user.num_calls(), 2, "the claim, then failed");

    // The retry cancels it, then rehires.
    let (rules, get_user) = existing_user_rules(&offboarded);
    let (lift, clear, delete) = (detach(), untag(), delete_janes_schedule(true));
    let onboarder = rules.cancelling_onboarder(&[&get_user, &lift, &clear], &[&delete]);
    let result = run_one(&onboarder, false).await;
    assert_eq!(
        (result.status, result.offboarding_cancelled),
        (Status::Created, true),
        "{result:?}"
    );
    assert_eq!((delete.num_calls(), lift.num_calls()), (1, 1));
    assert_eq!(rules.send_email.num_calls(), 1);
}

#[tokio::test]
async fn dry_run_reads_only() {
    let rules = Rules::success();
    let get_user = mock!(aws_sdk_iam::Client::get_user).then_error(|| {
        aws_sdk_iam::operation::get_user::GetUserError::generic(iam_error("NoSuchEntity"))
    });
    let onboarder = rules.onboarder(&[&get_user]);
    let result = run_one(&onboarder, true).await;
    assert_eq!(result.status, Status::DryRun);
    let plan = result.plan.unwrap().join("\n");
    assert!(
        plan.contains("CreateUser jane.doe under /employees/"),
        "{plan}"
    );
    assert!(plan.contains(BOUNDARY_ARN));
    assert!(plan.contains("AddUserToGroup readers"));
    assert_eq!(get_user.num_calls(), 1);
    let writes = rules.create_user.num_calls()
        + rules.create_login_profile.num_calls()
        + rules.attach_policy.num_calls()
        + rules.add_to_group.num_calls()
        + rules.send_email.num_calls()
        + rules.tag_user.num_calls();
    assert_eq!(writes, 0);
}

#[test]
fn reads_the_account_from_the_function_arn() {
    let arn = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:iam-onboarding";
    let context = AccountContext::from_function_arn(arn);
    assert_eq!(context.account_id.as_deref(), Some("123456789012"));
    assert_eq!(context.signin_domain(), "signin.amazonaws-us-gov.com");
    let local = AccountContext::from_function_arn("function-arn");
    assert_eq!((local.partition.as_str(), local.account_id), ("aws", None));
}

#[tokio::test]
async fn without_alias_or_account_id_the_signin_url_must_be_configured() {
    let rules = Rules::success();
    let aliases = mock!(IamClient::list_account_aliases).then_output(|| {
        ListAccountAliasesOutput::builder()
            .set_account_aliases(Some(vec![]))
            .build()
            .unwrap()
    });
    let onboarder = {
        let iam = mock_client!(
            aws_sdk_iam,
            RuleMode::MatchAny,
            [
                &rules.password_policy,
                &aliases,
                &rules.create_user,
                &rules.tag_user
            ]
        );
        let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, [&rules.send_email]);
        Onboarder::new(Iam::new(iam), Ses::new(ses), config(None))
    };
    let local = AccountContext::from_function_arn("function-arn");
    let result = onboarder
        .run(request(false), &local, ATTEMPT)
        .await
        .remove(0);
    let error = result.error.unwrap();
    assert_eq!(
        (error.step, error.code.as_str()),
        (Some(Step::ReadAccountSettings), "UnknownAccount")
    );
    assert!(error.message.contains("SIGNIN_URL"));
    assert_eq!(rules.create_login_profile.num_calls(), 0);
}

// --- The per-person lease (issue 16) -------------------------------------------

use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::lease::{LEASE_SECONDS, lease_key};

fn lease_put_granted() -> Rule {
    mock!(DynamoClient::put_item)
        .match_requests(|req| {
            let item = req.item().unwrap();
            let expires: i64 = item["expiresAt"].as_n().unwrap().parse().unwrap();
            let names = req.expression_attribute_names().unwrap();
            req.table_name() == Some("idempotency")
                && item["id"] == AttributeValue::S(lease_key("jane.doe"))
                && item["owner"] == AttributeValue::S(EMPLOYEE_ATTEMPT.into())
                && (expires - unix_now() - LEASE_SECONDS).abs() < 5
                && req.condition_expression()
                    == Some("attribute_not_exists(#id) OR #expiresAt < :now OR #owner = :owner")
                && names["#owner"] == "owner"
                && names["#expiresAt"] == "expiresAt"
        })
        .then_output(|| PutItemOutput::builder().build())
}

#[tokio::test]
async fn the_lease_is_taken_before_any_write_and_released_after() {
    let rules = Rules::success();
    let (put, delete) = (lease_put_granted(), lease_delete());
    let onboarder = rules.onboarder(&[]).with_leases(leases(&put, &delete));
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Created, "{result:?}");
    assert_eq!((put.num_calls(), delete.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_held_lease_answers_in_progress_without_any_write() {
    let rules = Rules::success();
    let put = lease_put_held();
    let delete = lease_delete();
    let onboarder = rules.onboarder(&[]).with_leases(leases(&put, &delete));
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Failed);
    let error = result.error.unwrap();
    assert_eq!(
        (error.code.as_str(), error.step),
        ("OnboardingInProgress", Some(Step::AcquireLease))
    );
    assert!(error.message.contains("nothing was changed"), "{error:?}");
    let calls = rules.create_user.num_calls()
        + rules.create_login_profile.num_calls()
        + rules.attach_policy.num_calls()
        + rules.add_to_group.num_calls()
        + rules.tag_user.num_calls()
        + rules.delete_login_profile.num_calls()
        + rules.send_email.num_calls();
    assert_eq!(calls, 0, "no IAM or SES call without the lease");
    assert_eq!(delete.num_calls(), 0, "a lease not taken is not released");
}

#[tokio::test]
async fn a_lease_table_failure_is_a_failed_step_without_any_write() {
    let rules = Rules::success();
    let put = mock!(DynamoClient::put_item).then_error(|| {
        PutItemError::generic(
            ErrorMetadata::builder()
                .code("ResourceNotFoundException")
                .message("Requested resource not found")
                .build(),
        )
    });
    let delete = lease_delete();
    let onboarder = rules.onboarder(&[]).with_leases(leases(&put, &delete));
    let error = run_one(&onboarder, false).await.error.unwrap();
    assert_eq!(
        (error.code.as_str(), error.step),
        ("ResourceNotFoundException", Some(Step::AcquireLease))
    );
    assert_eq!(rules.create_user.num_calls(), 0);
}

/// CreateUser succeeded but its response was lost; the SDK's retry met
/// EntityAlreadyExists. The user carries this attempt's claim: carry on.
#[tokio::test]
async fn a_lost_create_user_response_ends_created() {
    let started = unix_now().to_string();
    let (rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "pending"),
        ("OnboardingAttempt", EMPLOYEE_ATTEMPT),
        ("OnboardingStartedAt", &started),
    ]);
    for leased in [false, true] {
        let (put, delete) = (lease_put_granted(), lease_delete());
        let mut onboarder = rules.onboarder(&[&get_user]);
        if leased {
            onboarder = onboarder.with_leases(leases(&put, &delete));
        }
        let result = run_one(&onboarder, false).await;
        assert_eq!(
            result.status,
            Status::Created,
            "leased {leased}: {result:?}"
        );
        assert_eq!(result.user_arn.as_deref(), Some(USER_ARN));
    }
    assert_eq!(
        rules.tag_user.num_calls(),
        2,
        "no re-claim of its own user, only complete (twice: once per run)"
    );
    assert_eq!(rules.send_email.num_calls(), 2);
}

/// Holding the lease, a recent `pending` claim of another attempt belongs to a
/// run that has ended (its lease was released or expired): resume at once.
#[tokio::test]
async fn with_the_lease_a_recent_claim_of_another_attempt_is_resumed() {
    let started = unix_now().to_string();
    let (rules, get_user) = existing_user_rules(&[
        ("ManagedBy", "iam-onboarding"),
        ("EmployeeId", "E-1042"),
        ("OnboardingStatus", "pending"),
        ("OnboardingAttempt", "other-request/0"),
        ("OnboardingStartedAt", &started),
    ]);
    let (put, delete) = (lease_put_granted(), lease_delete());
    let onboarder = rules
        .onboarder(&[&get_user])
        .with_leases(leases(&put, &delete));
    let result = run_one(&onboarder, false).await;
    assert_eq!(result.status, Status::Created, "{result:?}");
    assert_eq!(rules.tag_user.num_calls(), 2, "claim, then complete");
}

// The invocation's deadline (issue 16 part 3): decisions at the request level.

/// One AWS call's budget in the deadline tests; a step needs 4 of them left.
const CALL: std::time::Duration = std::time::Duration::from_millis(100);

async fn run_within(
    onboarder: &Onboarder,
    request: OnboardingRequest,
    left: std::time::Duration,
) -> Vec<EmployeeResult> {
    let deadline = crate::deadline::Deadline::after(left, CALL);
    crate::deadline::Deadline::scope(Some(deadline), onboarder.run(request, &account(), ATTEMPT))
        .await
}

#[tokio::test(start_paused = true)]
async fn a_deadline_too_near_for_one_call_and_the_undo_starts_nothing() {
    let rules = Rules::success();
    let onboarder = rules.onboarder(&[]);
    let results = run_within(&onboarder, request(false), CALL * 4).await;
    assert_eq!(results[0].status, Status::NotStarted);
    let error = results[0].error.as_ref().unwrap();
    assert_eq!(error.code, "DeadlineExceeded");
    assert!(error.message.contains("nothing was changed"));
    for rule in [&rules.create_user, &rules.send_email, &rules.tag_user] {
        assert_eq!(rule.num_calls(), 0, "no call at all");
    }
}

#[tokio::test]
async fn a_send_still_retrying_when_only_the_undo_time_is_left_is_stopped_and_undone() {
    let mut rules = Rules::success();
    // SES keeps throttling: the send's backoff (0.5 s, 1 s, ...) outlasts its step.
    rules.send_email = mock!(SesClient::send_email)
        .sequence()
        .error(|| {
            SendEmailError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Maximum sending rate exceeded.")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    rules.tag_user = mock!(IamClient::tag_user)
        .match_requests(|req| {
            req.tags()
                .iter()
                .any(|t| t.key() == "OnboardingStatus" && t.value() == "failed")
        })
        .then_output(|| TagUserOutput::builder().build());
    let onboarder = rules.onboarder(&[]);
    let results = run_within(&onboarder, request(false), CALL * 7).await;

    let result = &results[0];
    assert_eq!(result.status, Status::Failed);
    let error = result.error.as_ref().unwrap();
    assert_eq!(error.code, "DeadlineExceeded");
    assert_eq!(
        error.step,
        Some(Step::SendEmail),
        "the result names the step"
    );
    assert!(error.message.contains("stopped"), "{}", error.message);
    assert!(error.message.contains("a retry of this event completes it"));
    assert_eq!(rules.delete_login_profile.num_calls(), 1, "password undone");
    assert_eq!(rules.tag_user.num_calls(), 1, "marked failed");
}

#[tokio::test]
async fn a_batch_paced_past_its_deadline_reports_the_rest_not_started() {
    let rules = Rules::success();
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [
            &rules.password_policy,
            &rules.create_user,
            &rules.create_login_profile,
            &rules.attach_policy,
            &rules.add_to_group,
            &rules.tag_user,
        ]
    );
    let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, [&rules.send_email]);
    // One email per second: the second and third hires' turns come after the
    // time a start needs (one call and the undo) is all that is left.
    let onboarder = Onboarder::new(
        Iam::new(iam),
        Ses::new(ses).paced(Some(1.0)),
        config(Some("https://corp.signin.aws.amazon.com/console")),
    );
    let payload = json!({"employees": [
        {"email": "ann@example.com", "groups": ["readers"]},
        {"email": "bob@example.com", "groups": ["readers"]},
        {"email": "cy@example.com", "groups": ["readers"]},
    ]});
    let request = OnboardingRequest::parse(&payload, &config(None).allowed_groups).unwrap();
    let results = run_within(&onboarder, request, CALL * 7).await;

    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Status::Created, Status::NotStarted, Status::NotStarted]
    );
    assert_eq!(results[1].username.as_deref(), Some("bob"));
    assert_eq!(
        rules.create_user.num_calls(),
        1,
        "only the first hire wrote"
    );
    assert_eq!(rules.send_email.num_calls(), 1);
}
