//! Request-level tests of offboarding and update against a small stateful IAM
//! account behind aws-smithy-mocks: the exact calls in their order, and a fault
//! injected at every call followed by the retry that converges.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_iam::Client as IamClient;
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::add_user_to_group::{AddUserToGroupError, AddUserToGroupOutput};
use aws_sdk_iam::operation::attach_user_policy::{AttachUserPolicyError, AttachUserPolicyOutput};
use aws_sdk_iam::operation::delete_login_profile::{
    DeleteLoginProfileError, DeleteLoginProfileOutput,
};
use aws_sdk_iam::operation::get_user::{GetUserError, GetUserOutput};
use aws_sdk_iam::operation::list_access_keys::{ListAccessKeysError, ListAccessKeysOutput};
use aws_sdk_iam::operation::list_groups_for_user::{
    ListGroupsForUserError, ListGroupsForUserOutput,
};
use aws_sdk_iam::operation::list_service_specific_credentials::{
    ListServiceSpecificCredentialsError, ListServiceSpecificCredentialsOutput,
};
use aws_sdk_iam::operation::list_signing_certificates::{
    ListSigningCertificatesError, ListSigningCertificatesOutput,
};
use aws_sdk_iam::operation::list_ssh_public_keys::{
    ListSSHPublicKeysError, ListSshPublicKeysOutput,
};
use aws_sdk_iam::operation::remove_user_from_group::{
    RemoveUserFromGroupError, RemoveUserFromGroupOutput,
};
use aws_sdk_iam::operation::tag_user::{TagUserError, TagUserOutput};
use aws_sdk_iam::operation::untag_user::{UntagUserError, UntagUserOutput};
use aws_sdk_iam::operation::update_access_key::{UpdateAccessKeyError, UpdateAccessKeyOutput};
use aws_sdk_iam::operation::update_service_specific_credential::{
    UpdateServiceSpecificCredentialError, UpdateServiceSpecificCredentialOutput,
};
use aws_sdk_iam::operation::update_signing_certificate::{
    UpdateSigningCertificateError, UpdateSigningCertificateOutput,
};
use aws_sdk_iam::operation::update_ssh_public_key::{
    UpdateSSHPublicKeyError, UpdateSshPublicKeyOutput,
};
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{
    AccessKeyMetadata, Group, ServiceSpecificCredentialMetadata, SigningCertificate,
    SshPublicKeyMetadata, StatusType, Tag, User,
};
use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};
use serde_json::{Value, json};

use crate::aws::iam::Iam;
use crate::aws::scheduler::Scheduler;
use crate::aws::ses::Ses;
use crate::config::ScheduleSettings;
use crate::hr::Email;
use crate::identity::{EmployeeResult, Status, Step};
use crate::test_fixtures::{account, config, held_leases};
use crate::workflows::Workflows;

const DENY_ALL: &str = "arn:aws:iam::aws:policy/AWSDenyAll";
const USER_ARN: &str = "arn:aws:iam::123456789012:user/employees/jane.doe";

/// One IAM user as the fake account keeps it, plus the calls made and a fault to inject.
#[derive(Debug, Clone, Default)]
struct Account {
    exists: bool,
    path: String,
    login_profile: bool,
    policies: Vec<String>,
    /// (kind, id) → active
    credentials: BTreeMap<(&'static str, String), bool>,
    groups: Vec<String>,
    tags: Vec<(String, String)>,
    /// Every call, as "Operation argument".
    calls: Vec<String>,
    /// Fail the n-th call (1-based, counting every operation) with `ServiceFailure`.
    fail_call: Option<usize>,
}

impl Account {
    fn jane(status: &str) -> Self {
        let hash = Email::parse("jane.doe@example.com").unwrap().sha256_hex();
        let mut credentials = BTreeMap::new();
        credentials.insert(("access_key", "AKIAOLD".to_string()), false);
        credentials.insert(("access_key", "AKIANEW".to_string()), true);
        credentials.insert(("ssh_public_key", "APKAJANE".to_string()), true);
        credentials.insert(("signing_certificate", "CERTJANE".to_string()), true);
        credentials.insert(
            ("service_specific_credential", "ACCAJANE".to_string()),
            true,
        );
        Self {
            exists: true,
            path: "/employees/".into(),
            login_profile: true,
            policies: vec!["arn:aws:iam::123456789012:policy/SelfManageCredentials".into()],
            credentials,
            groups: vec!["developers".into(), "admins-of-other-team".into()],
            tags: [
                ("ManagedBy", "iam-onboarding"),
                ("OnboardingStatus", status),
                ("OnboardingStartedAt", "1000"),
                ("EmailSha256", hash.as_str()),
                ("ContactEmail", "jane.doe@example.com"),
                ("EmployeeId", "E-1042"),
                ("Department", "Engineering"),
                ("CostCenter", "4410"),
                ("AKIANEW", "laptop key"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            ..Default::default()
        }
    }

    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Records the call; whether it is the one to fail.
    fn call(&mut self, what: String) -> bool {
        self.calls.push(what);
        self.fail_call == Some(self.calls.len())
    }

    fn writes(&self) -> Vec<&String> {
        self.calls
            .iter()
            .filter(|c| !c.starts_with("Get") && !c.starts_with("List"))
            .collect()
    }
}

type Shared = Arc<Mutex<Account>>;

fn failure() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("ServiceFailure")
        .message("injected")
        .build()
}

fn no_such_entity() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("NoSuchEntity")
        .message("not there")
        .build()
}

/// A rule for `$op` that records the call as `$what`, fails it when it is the
/// injected fault, and otherwise answers `$answer` (which may change the account).
macro_rules! fake {
    ($state:expr, $op:ident, $error:ident, |$account:ident, $req:ident| $what:expr => $answer:expr) => {{
        let state = $state.clone();
        mock!(IamClient::$op).then_compute_response(move |$req| {
            let mut guard = state.lock().unwrap();
            let $account: &mut Account = &mut guard;
            if $account.call($what) {
                return MockResponse::Error($error::generic(failure()));
            }
            $answer
        })
    }};
}

fn status(active: bool) -> StatusType {
    if active {
        StatusType::Active
    } else {
        StatusType::Inactive
    }
}

fn credentials_of(account: &Account, kind: &str) -> Vec<(String, bool)> {
    account
        .credentials
        .iter()
        .filter(|((k, _), _)| *k == kind)
        .map(|((_, id), active)| (id.clone(), *active))
        .collect()
}

fn set_credential(
    account: &mut Account,
    kind: &'static str,
    id: Option<&str>,
    to: Option<&StatusType>,
) {
    if let Some(active) = account
        .credentials
        .get_mut(&(kind, id.unwrap_or_default().to_string()))
    {
        *active = to == Some(&StatusType::Active);
    }
}

fn rules(state: &Shared) -> Vec<Rule> {
    let date = || DateTime::from_secs(0);
    vec![
        fake!(state, get_user, GetUserError, |a, req| format!("GetUser {}", req.user_name().unwrap_or_default()) => {
            if !a.exists {
                return MockResponse::Error(GetUserError::generic(no_such_entity()));
            }
            let tags = a.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap()).collect();
            let user = User::builder().path(&a.path).user_name("jane.doe").user_id("AIDAJANE").arn(USER_ARN)
                .create_date(date()).set_tags(Some(tags)).build().unwrap();
            MockResponse::Output(GetUserOutput::builder().user(user).build())
        }),
        fake!(state, attach_user_policy, AttachUserPolicyError, |a, req| format!("AttachUserPolicy {}", req.policy_arn().unwrap_or_default()) => {
            let arn = req.policy_arn().unwrap_or_default().to_string();
            if !a.policies.contains(&arn) {
                a.policies.push(arn);
            }
            MockResponse::Output(AttachUserPolicyOutput::builder().build())
        }),
        fake!(state, delete_login_profile, DeleteLoginProfileError, |a, _req| "DeleteLoginProfile".to_string() => {
            if !std::mem::replace(&mut a.login_profile, false) {
                return MockResponse::Error(DeleteLoginProfileError::generic(no_such_entity()));
            }
            MockResponse::Output(DeleteLoginProfileOutput::builder().build())
        }),
        fake!(state, list_access_keys, ListAccessKeysError, |a, _req| "ListAccessKeys".to_string() => {
            let keys = credentials_of(a, "access_key").into_iter().map(|(id, active)| {
                AccessKeyMetadata::builder().user_name("jane.doe").access_key_id(id).status(status(active)).build()
            });
            MockResponse::Output(ListAccessKeysOutput::builder().set_access_key_metadata(Some(keys.collect())).build().unwrap())
        }),
        fake!(state, update_access_key, UpdateAccessKeyError, |a, req| format!("UpdateAccessKey {} {:?}", req.access_key_id().unwrap_or_default(), req.status().unwrap()) => {
            set_credential(a, "access_key", req.access_key_id(), req.status());
            MockResponse::Output(UpdateAccessKeyOutput::builder().build())
        }),
        fake!(state, list_ssh_public_keys, ListSSHPublicKeysError, |a, _req| "ListSSHPublicKeys".to_string() => {
            let keys = credentials_of(a, "ssh_public_key").into_iter().map(|(id, active)| {
                SshPublicKeyMetadata::builder().user_name("jane.doe").ssh_public_key_id(id).status(status(active))
                    .upload_date(date()).build().unwrap()
            });
            MockResponse::Output(ListSshPublicKeysOutput::builder().set_ssh_public_keys(Some(keys.collect())).build())
        }),
        fake!(state, update_ssh_public_key, UpdateSSHPublicKeyError, |a, req| format!("UpdateSSHPublicKey {} {:?}", req.ssh_public_key_id().unwrap_or_default(), req.status().unwrap()) => {
            set_credential(a, "ssh_public_key", req.ssh_public_key_id(), req.status());
            MockResponse::Output(UpdateSshPublicKeyOutput::builder().build())
        }),
        fake!(state, list_signing_certificates, ListSigningCertificatesError, |a, _req| "ListSigningCertificates".to_string() => {
            let certificates = credentials_of(a, "signing_certificate").into_iter().map(|(id, active)| {
                SigningCertificate::builder().user_name("jane.doe").certificate_id(id).certificate_body("-----")
                    .status(status(active)).build().unwrap()
            });
            MockResponse::Output(ListSigningCertificatesOutput::builder().set_certificates(Some(certificates.collect())).build().unwrap())
        }),
        fake!(state, update_signing_certificate, UpdateSigningCertificateError, |a, req| format!("UpdateSigningCertificate {} {:?}", req.certificate_id().unwrap_or_default(), req.status().unwrap()) => {
            set_credential(a, "signing_certificate", req.certificate_id(), req.status());
            MockResponse::Output(UpdateSigningCertificateOutput::builder().build())
        }),
        fake!(state, list_service_specific_credentials, ListServiceSpecificCredentialsError, |a, _req| "ListServiceSpecificCredentials".to_string() => {
            let credentials = credentials_of(a, "service_specific_credential").into_iter().map(|(id, active)| {
                ServiceSpecificCredentialMetadata::builder().user_name("jane.doe").status(status(active))
                    .service_user_name("jane.doe-at-123456789012").create_date(date())
                    .service_specific_credential_id(id).service_name("codecommit.amazonaws.com").build().unwrap()
            });
            MockResponse::Output(ListServiceSpecificCredentialsOutput::builder().set_service_specific_credentials(Some(credentials.collect())).build())
        }),
        fake!(state, update_service_specific_credential, UpdateServiceSpecificCredentialError, |a, req| format!("UpdateServiceSpecificCredential {} {:?}", req.service_specific_credential_id().unwrap_or_default(), req.status().unwrap()) => {
            set_credential(a, "service_specific_credential", req.service_specific_credential_id(), req.status());
            MockResponse::Output(UpdateServiceSpecificCredentialOutput::builder().build())
        }),
        fake!(state, list_groups_for_user, ListGroupsForUserError, |a, _req| "ListGroupsForUser".to_string() => {
            let groups = a.groups.iter().map(|g| Group::builder().path("/").group_name(g).group_id("AGPA").arn("arn:aws:iam::123456789012:group/x").create_date(date()).build().unwrap());
            MockResponse::Output(ListGroupsForUserOutput::builder().set_groups(Some(groups.collect())).build().unwrap())
        }),
        fake!(state, remove_user_from_group, RemoveUserFromGroupError, |a, req| format!("RemoveUserFromGroup {}", req.group_name().unwrap_or_default()) => {
            a.groups.retain(|g| Some(g.as_str()) != req.group_name());
            MockResponse::Output(RemoveUserFromGroupOutput::builder().build())
        }),
        fake!(state, add_user_to_group, AddUserToGroupError, |a, req| format!("AddUserToGroup {}", req.group_name().unwrap_or_default()) => {
            let group = req.group_name().unwrap_or_default().to_string();
            if !a.groups.contains(&group) {
                a.groups.push(group);
            }
            MockResponse::Output(AddUserToGroupOutput::builder().build())
        }),
        fake!(state, tag_user, TagUserError, |a, req| {
            let keys: Vec<String> = req.tags().iter().map(|t| match t.key() {
                "OffboardedAt" => "OffboardedAt=<now>".to_string(),
                key => format!("{key}={}", t.value()),
            }).collect();
            format!("TagUser {}", keys.join(" "))
        } => {
            // IAM's 50 tags per user: a call that would exceed them changes nothing.
            let new = req.tags().iter().filter(|t| a.tag(t.key()).is_none()).count();
            if a.tags.len() + new > 50 {
                let limit = ErrorMetadata::builder().code("LimitExceeded")
                    .message("Cannot exceed quota for TagsPerUser: 50").build();
                return MockResponse::Error(TagUserError::generic(limit));
            }
            for tag in req.tags() {
                a.tags.retain(|(k, _)| !k.eq_ignore_ascii_case(tag.key()));
                a.tags.push((tag.key().to_string(), tag.value().to_string()));
            }
            MockResponse::Output(TagUserOutput::builder().build())
        }),
        fake!(state, untag_user, UntagUserError, |a, req| format!("UntagUser {}", req.tag_keys().join(" ")) => {
            a.tags.retain(|(k, _)| !req.tag_keys().iter().any(|key| key.eq_ignore_ascii_case(k)));
            MockResponse::Output(UntagUserOutput::builder().build())
        }),
    ]
}

/// Runs `payload` against the fake account in `state`.
async fn run(state: &Shared, payload: Value) -> EmployeeResult {
    run_scheduled(state, payload, &[], None).await
}

const GROUP: &str = "iam-onboarding-offboarding";
const SCHEDULER_ROLE: &str = "arn:aws:iam::123456789012:role/iam-onboarding-scheduler";

/// Runs `payload` with these Scheduler rules and, when `schedules` is set, the
/// scheduler settings of a deployment.
async fn run_scheduled(
    state: &Shared,
    payload: Value,
    scheduler_rules: &[&Rule],
    schedules: Option<()>,
) -> EmployeeResult {
    let rules = rules(state);
    let rule_refs: Vec<&Rule> = rules.iter().collect();
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, rule_refs);
    let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, []);
    let scheduler = mock_client!(aws_sdk_scheduler, RuleMode::MatchAny, scheduler_rules);
    let mut config = config(None);
    config.offboarding_schedules = schedules.map(|()| ScheduleSettings {
        group: GROUP.into(),
        role_arn: SCHEDULER_ROLE.into(),
    });
    let workflows = Workflows::new(
        Iam::new(iam),
        Ses::new(ses),
        Scheduler::new(scheduler),
        config,
    );
    let request = workflows.parse_request(&payload).unwrap();
    let mut results = workflows.run(request, &account(), "req-1").await;
    assert_eq!(results.len(), 1);
    results.remove(0)
}

fn offboard() -> Value {
    json!({"action": "offboard", "employee": {"email": "jane.doe@example.com", "employeeId": "E-1042"}})
}

/// Everything an offboarded Jane must be, whatever happened before.
fn assert_offboarded(account: &Account) {
    assert!(
        account.policies.iter().any(|p| p == DENY_ALL),
        "{account:?}"
    );
    assert!(!account.login_profile, "{account:?}");
    assert!(
        account.credentials.values().all(|active| !active),
        "{account:?}"
    );
    assert_eq!(
        account.credentials.len(),
        5,
        "credentials are kept for audit"
    );
    assert_eq!(
        account.groups,
        ["admins-of-other-team"],
        "only allowed groups are left"
    );
    assert_eq!(account.tag("OnboardingStatus"), Some("offboarded"));
    assert!(
        account
            .tag("OffboardedAt")
            .and_then(|t| t.parse::<i64>().ok())
            .is_some()
    );
    assert_eq!(
        account.tag("AKIANEW"),
        Some("laptop key"),
        "other tags stay"
    );
}

#[tokio::test]
async fn offboarding_makes_the_exact_calls_in_order() {
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run(&state, offboard()).await;
    assert_eq!(result.status, Status::Offboarded, "{result:?}");
    assert_eq!(result.user_arn.as_deref(), Some(USER_ARN));
    assert_eq!(result.groups, ["developers"]);
    let account = state.lock().unwrap().clone();
    assert_eq!(
        account.calls,
        [
            "GetUser jane.doe",
            "AttachUserPolicy arn:aws:iam::aws:policy/AWSDenyAll",
            "DeleteLoginProfile",
            "ListAccessKeys",
            "UpdateAccessKey AKIANEW Inactive",
            "ListSSHPublicKeys",
            "UpdateSSHPublicKey APKAJANE Inactive",
            "ListSigningCertificates",
            "UpdateSigningCertificate CERTJANE Inactive",
            "ListServiceSpecificCredentials",
            "UpdateServiceSpecificCredential ACCAJANE Inactive",
            "ListGroupsForUser",
            "RemoveUserFromGroup developers",
            "TagUser ManagedBy=iam-onboarding OnboardingStatus=offboarded OffboardedAt=<now>",
        ]
    );
    assert_offboarded(&account);

    // The same event again: already offboarded, one read, no write.
    state.lock().unwrap().calls.clear();
    let again = run(&state, offboard()).await;
    assert_eq!(again.status, Status::AlreadyOffboarded);
    assert_eq!(state.lock().unwrap().calls, ["GetUser jane.doe"]);
}

/// Issue 21: a user at IAM's 50 tags (HR tags, the employee's key descriptions)
/// still ends offboarded: a tag a leaver does not need makes room, with a warning.
#[tokio::test]
async fn a_leaver_at_the_tag_limit_still_ends_offboarded() {
    let mut jane = Account::jane("complete");
    for i in 0..(50 - jane.tags.len()) {
        jane.tags.push((format!("Hr{i}"), "x".into()));
    }
    let state: Shared = Arc::new(Mutex::new(jane));
    let result = run(&state, offboard()).await;
    assert_eq!(result.status, Status::Offboarded, "{result:?}");
    let warning = result.warning.unwrap();
    assert!(warning.contains("removed Department"), "{warning}");
    let account = state.lock().unwrap().clone();
    assert_eq!(
        account.calls[account.calls.len() - 4..],
        [
            "TagUser ManagedBy=iam-onboarding OnboardingStatus=offboarded OffboardedAt=<now>",
            "GetUser jane.doe",
            "UntagUser Department",
            "TagUser ManagedBy=iam-onboarding OnboardingStatus=offboarded OffboardedAt=<now>",
        ]
    );
    assert_offboarded(&account);
    assert_eq!(account.tags.len(), 50);
    // Every identity tag and the employee's key description are kept.
    for key in ["ManagedBy", "EmailSha256", "EmployeeId", "AKIANEW", "Hr0"] {
        assert!(account.tag(key).is_some(), "{key}");
    }
}

#[tokio::test]
async fn a_fault_at_any_offboarding_call_is_completed_by_the_retry() {
    let clean = {
        let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
        run(&state, offboard()).await;
        state.lock().unwrap().calls.clone()
    };
    for (index, call) in clean.iter().enumerate() {
        let mut jane = Account::jane("complete");
        jane.fail_call = Some(index + 1);
        let state: Shared = Arc::new(Mutex::new(jane));
        let failed = run(&state, offboard()).await;
        assert_eq!(failed.status, Status::Failed, "fault at {call}: {failed:?}");
        let error = failed.error.as_ref().unwrap();
        assert_eq!(error.code, "ServiceFailure");
        {
            let account = state.lock().unwrap();
            assert_ne!(
                account.tag("OnboardingStatus"),
                Some("offboarded"),
                "fault at {call}"
            );
            assert_eq!(
                account.calls.len(),
                index + 1,
                "nothing after the fault at {call}"
            );
            if index > 1 {
                assert!(
                    account.policies.iter().any(|p| p == DENY_ALL),
                    "deny first, fault at {call}"
                );
            }
        }
        state.lock().unwrap().fail_call = None;
        let retried = run(&state, offboard()).await;
        assert_eq!(
            retried.status,
            Status::Offboarded,
            "retry after the fault at {call}: {retried:?}"
        );
        assert_offboarded(&state.lock().unwrap());
    }
}

#[tokio::test]
async fn only_the_named_person_of_this_function_is_offboarded() {
    type Setup = Box<dyn Fn(&mut Account)>;
    let cases: Vec<(Setup, Value, Status)> = vec![
        (
            Box::new(|a: &mut Account| a.exists = false),
            offboard(),
            Status::NotFound,
        ),
        (
            Box::new(|a: &mut Account| a.tags.retain(|(k, _)| k != "ManagedBy")),
            offboard(),
            Status::Conflict,
        ),
        (
            Box::new(|a: &mut Account| a.path = "/admins/".into()),
            offboard(),
            Status::Conflict,
        ),
        (
            Box::new(|_: &mut Account| {}),
            json!({"action": "offboard", "employee": {"username": "jane.doe", "employeeId": "E-9"}}),
            Status::Conflict,
        ),
        (
            Box::new(|_: &mut Account| {}),
            json!({"action": "offboard", "employee": {"username": "jane.doe", "email": "other@example.com"}}),
            Status::Conflict,
        ),
    ];
    for (setup, payload, expected) in cases {
        let mut jane = Account::jane("complete");
        setup(&mut jane);
        let state: Shared = Arc::new(Mutex::new(jane));
        let result = run(&state, payload.clone()).await;
        assert_eq!(result.status, expected, "{payload}: {result:?}");
        assert!(state.lock().unwrap().writes().is_empty(), "{payload}");
    }
    // Recognised by employee id alone, with the user name given.
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let by_id =
        json!({"action": "offboard", "employee": {"username": "jane.doe", "employeeId": "E-1042"}});
    assert_eq!(run(&state, by_id).await.status, Status::Offboarded);
}

#[tokio::test]
async fn a_dry_run_offboarding_only_reads() {
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let mut payload = offboard();
    payload["dryRun"] = json!(true);
    let result = run(&state, payload).await;
    assert_eq!(result.status, Status::DryRun);
    assert!(result.plan.unwrap()[0].contains("AWSDenyAll"));
    assert!(state.lock().unwrap().writes().is_empty());
}

#[tokio::test]
async fn a_user_being_onboarded_right_now_is_not_offboarded_yet() {
    let mut jane = Account::jane("pending");
    jane.tags.retain(|(k, _)| k != "OnboardingStartedAt");
    jane.tags.push((
        "OnboardingStartedAt".into(),
        crate::identity::ownership::unix_now().to_string(),
    ));
    let state: Shared = Arc::new(Mutex::new(jane));
    let result = run(&state, offboard()).await;
    assert_eq!(result.status, Status::Failed);
    assert_eq!(result.error.unwrap().code, "OnboardingInProgress");
    assert!(state.lock().unwrap().writes().is_empty());
}

fn update(groups: &[&str], department: Option<&str>, email: &str) -> Value {
    let mut employee = json!({"email": email, "username": "jane.doe", "employeeId": "E-1042",
        "groups": groups, "tags": {"CostCenter": "5520"}});
    if let Some(department) = department {
        employee["department"] = json!(department);
    }
    json!({"action": "update", "employee": employee})
}

#[tokio::test]
async fn an_update_writes_contact_email_where_missing_and_removes_one_iam_cannot_hold() {
    // Onboarded before ContactEmail existed: the next update adds it.
    let mut jane = Account::jane("complete");
    jane.tags.retain(|(k, _)| k != "ContactEmail");
    let state: Shared = Arc::new(Mutex::new(jane));
    let mut record = update(&["developers"], Some("Engineering"), "jane.doe@example.com");
    record["employee"]["tags"] = json!({"CostCenter": "4410"});
    let result = run(&state, record).await;
    assert_eq!(result.status, Status::Updated, "{result:?}");
    assert_eq!(
        state.lock().unwrap().writes(),
        [&"TagUser ManagedBy=iam-onboarding ContactEmail=jane.doe@example.com".to_string()]
    );

    // A new address (same EmployeeId) that IAM tags cannot hold: the old one goes,
    // the hash follows the new one, and the warning names `email`.
    state.lock().unwrap().calls.clear();
    let mut record = update(
        &["developers"],
        Some("Engineering"),
        "jane.o'doe@example.com",
    );
    record["employee"]["tags"] = json!({"CostCenter": "4410"});
    let result = run(&state, record).await;
    assert_eq!(result.status, Status::Updated, "{result:?}");
    let account = state.lock().unwrap().clone();
    assert_eq!(account.tag("ContactEmail"), None);
    let new_hash = Email::parse("jane.o'doe@example.com").unwrap().sha256_hex();
    assert_eq!(account.tag("EmailSha256"), Some(new_hash.as_str()));
    assert!(
        account
            .writes()
            .contains(&&"UntagUser ContactEmail".to_string())
    );
    assert!(result.warning.unwrap().contains("email"));
}

#[tokio::test]
async fn an_update_makes_the_exact_calls_in_order() {
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run(&state, update(&["readers"], None, "jane.doe@example.com")).await;
    assert_eq!(result.status, Status::Updated, "{result:?}");
    let account = state.lock().unwrap().clone();
    assert_eq!(
        account.calls,
        [
            "GetUser jane.doe",
            "ListGroupsForUser",
            "RemoveUserFromGroup developers",
            "AddUserToGroup readers",
            "UntagUser Department",
            "TagUser ManagedBy=iam-onboarding CostCenter=5520",
        ]
    );
    assert_eq!(account.groups, ["admins-of-other-team", "readers"]);
    assert_eq!(account.tag("Department"), None);
    assert_eq!(
        account.tag("OnboardingStatus"),
        Some("complete"),
        "status untouched"
    );
    assert_eq!(account.tag("AKIANEW"), Some("laptop key"));

    // The same record again: unchanged, reads only.
    state.lock().unwrap().calls.clear();
    let again = run(&state, update(&["readers"], None, "jane.doe@example.com")).await;
    assert_eq!(again.status, Status::Unchanged);
    assert!(state.lock().unwrap().writes().is_empty());
}

#[tokio::test]
async fn an_email_change_rewrites_the_hash_only_for_the_same_employee_id() {
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let moved = update(
        &["developers"],
        Some("Engineering"),
        "jane.smith@example.com",
    );
    let result = run(&state, moved).await;
    assert_eq!(result.status, Status::Updated, "{result:?}");
    let new_hash = Email::parse("jane.smith@example.com").unwrap().sha256_hex();
    assert_eq!(
        state.lock().unwrap().tag("EmailSha256"),
        Some(new_hash.as_str())
    );

    // Without the employee id, another email is another person.
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let mut anonymous = update(
        &["developers"],
        Some("Engineering"),
        "jane.smith@example.com",
    );
    anonymous["employee"]
        .as_object_mut()
        .unwrap()
        .remove("employeeId");
    assert_eq!(run(&state, anonymous).await.status, Status::Conflict);
    assert!(state.lock().unwrap().writes().is_empty());
}

#[tokio::test]
async fn a_fault_at_any_update_call_is_completed_by_the_retry() {
    let record = || update(&["readers"], Some("Sales"), "jane.doe@example.com");
    let clean = {
        let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
        run(&state, record()).await;
        state.lock().unwrap().clone()
    };
    assert_eq!(clean.calls.len(), 5, "{:?}", clean.calls);
    for (index, call) in clean.calls.iter().enumerate() {
        let mut jane = Account::jane("complete");
        jane.fail_call = Some(index + 1);
        let state: Shared = Arc::new(Mutex::new(jane));
        let failed = run(&state, record()).await;
        assert_eq!(failed.status, Status::Failed, "fault at {call}");
        state.lock().unwrap().fail_call = None;
        let retried = run(&state, record()).await;
        assert_eq!(
            retried.status,
            Status::Updated,
            "retry after the fault at {call}: {retried:?}"
        );
        let account = state.lock().unwrap().clone();
        assert_eq!(account.groups, clean.groups, "fault at {call}");
        assert_eq!(account.tags, clean.tags, "fault at {call}");
    }
}

#[tokio::test]
async fn an_update_rejects_groups_outside_the_allow_list_and_leaves_leavers_alone() {
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run(
        &state,
        update(&["admins-of-other-team"], None, "jane.doe@example.com"),
    )
    .await;
    assert_eq!(result.status, Status::Rejected);
    assert_eq!(
        result.error.unwrap().field.as_deref(),
        Some("employee.groups[0]")
    );
    assert!(state.lock().unwrap().calls.is_empty());

    let state: Shared = Arc::new(Mutex::new(Account::jane("offboarded")));
    let result = run(
        &state,
        update(&["developers"], None, "jane.doe@example.com"),
    )
    .await;
    assert_eq!(result.status, Status::Conflict);
    assert_eq!(result.error.unwrap().code, "UserOffboarded");
    assert!(state.lock().unwrap().writes().is_empty());
}

#[test]
fn steps_name_their_operations() {
    assert_eq!(Step::DenyAll.operation(), "AttachUserPolicy");
    assert_eq!(Step::RemoveLoginProfile.operation(), "DeleteLoginProfile");
    assert_eq!(Step::MarkOffboarded.as_str(), "mark_offboarded");
}

fn future_offboard() -> Value {
    json!({"action": "offboard", "employee": {"email": "jane.doe@example.com", "employeeId": "E-1042",
           "effectiveAt": "2099-12-31T17:00:00+01:00"}})
}

fn scheduler_error(code: &str) -> aws_sdk_scheduler::error::ErrorMetadata {
    aws_sdk_scheduler::error::ErrorMetadata::builder()
        .code(code)
        .message("injected")
        .build()
}

#[tokio::test]
async fn a_future_offboarding_creates_one_self_deleting_schedule_and_changes_nothing_else() {
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .match_requests(|req| {
            let target = req.target().unwrap();
            let input: Value = serde_json::from_str(target.input().unwrap()).unwrap();
            req.name()
                .is_some_and(|n| n.starts_with("offboard-jane.doe-"))
                && req.group_name() == Some(GROUP)
                && req.schedule_expression() == Some("at(2099-12-31T16:00:00)")
                && req.schedule_expression_timezone() == Some("UTC")
                && req.flexible_time_window().map(|w| w.mode().as_str()) == Some("OFF")
                && req.action_after_completion().map(|a| a.as_str()) == Some("DELETE")
                && target.arn() == account().function_arn
                && target.role_arn() == SCHEDULER_ROLE
                && input
                    == json!({"action": "offboard", "fromSchedule": true,
                              "employee": {"username": "jane.doe", "employeeId": "E-1042"}})
        })
        .then_output(|| {
            aws_sdk_scheduler::operation::create_schedule::CreateScheduleOutput::builder()
                .schedule_arn("arn:aws:scheduler:us-east-1:123456789012:schedule/x/y")
                .build()
                .unwrap()
        });
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run_scheduled(&state, future_offboard(), &[&create], Some(())).await;
    assert_eq!(result.status, Status::Scheduled, "{result:?}");
    assert_eq!(result.scheduled_at.as_deref(), Some("2099-12-31T16:00:00Z"));
    assert_eq!(create.num_calls(), 1);
    assert_eq!(state.lock().unwrap().calls, ["GetUser jane.doe"]);

    // Without scheduler settings the future date is refused, nothing written.
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let refused = run(&state, future_offboard()).await;
    assert_eq!(refused.status, Status::Rejected);
    assert_eq!(
        refused.error.unwrap().field.as_deref(),
        Some("employee.effectiveAt")
    );
}

#[tokio::test]
async fn a_later_offboarding_replaces_the_schedule_and_a_failed_one_is_retried() {
    use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
    let taken = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_error(|| CreateScheduleError::generic(scheduler_error("ConflictException")));
    let update = mock!(aws_sdk_scheduler::Client::update_schedule)
        .match_requests(|req| req.schedule_expression() == Some("at(2099-12-31T16:00:00)"))
        .then_output(|| {
            aws_sdk_scheduler::operation::update_schedule::UpdateScheduleOutput::builder()
                .schedule_arn("arn:aws:scheduler:us-east-1:123456789012:schedule/x/y")
                .build()
                .unwrap()
        });
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run_scheduled(&state, future_offboard(), &[&taken, &update], Some(())).await;
    assert_eq!(result.status, Status::Scheduled, "{result:?}");
    assert_eq!((taken.num_calls(), update.num_calls()), (1, 1));

    let broken = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_error(|| CreateScheduleError::generic(scheduler_error("InternalServerException")));
    let failed = run_scheduled(&state, future_offboard(), &[&broken], Some(())).await;
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(failed.error.unwrap().step, Some(Step::ScheduleOffboarding));
    let retried = run_scheduled(&state, future_offboard(), &[&taken, &update], Some(())).await;
    assert_eq!(retried.status, Status::Scheduled);
}

#[tokio::test]
async fn an_offboarding_done_now_deletes_a_pending_schedule() {
    use aws_sdk_scheduler::operation::delete_schedule::{
        DeleteScheduleError, DeleteScheduleOutput,
    };
    let delete = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .match_requests(|req| {
            req.group_name() == Some(GROUP)
                && req
                    .name()
                    .is_some_and(|n| n.starts_with("offboard-jane.doe-"))
        })
        .then_output(|| DeleteScheduleOutput::builder().build());
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run_scheduled(&state, offboard(), &[&delete], Some(())).await;
    assert_eq!(result.status, Status::Offboarded, "{result:?}");
    assert_eq!(delete.num_calls(), 1);
    assert!(result.warning.is_none());

    // None pending (or already run): still offboarded, no warning.
    let none = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .then_error(|| DeleteScheduleError::generic(scheduler_error("ResourceNotFoundException")));
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run_scheduled(&state, offboard(), &[&none], Some(())).await;
    assert_eq!((result.status, result.warning), (Status::Offboarded, None));
}

/// Jane's record exactly as the fake account holds it, with `terminationCancelled`.
fn termination_cancelled() -> Value {
    json!({"action": "update", "employee": {"email": "jane.doe@example.com", "username": "jane.doe",
        "employeeId": "E-1042", "department": "Engineering", "groups": ["developers"],
        "tags": {"CostCenter": "4410"}, "terminationCancelled": true}})
}

fn delete_janes_schedule() -> Rule {
    mock!(aws_sdk_scheduler::Client::delete_schedule)
        .match_requests(|req| {
            req.group_name() == Some(GROUP)
                && req.name() == Some(crate::schedule::schedule_name("jane.doe").as_str())
        })
        .then_output(|| {
            aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleOutput::builder().build()
        })
}

#[tokio::test]
async fn an_update_cancelling_the_termination_deletes_the_pending_offboarding() {
    use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
    let delete = delete_janes_schedule();
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run_scheduled(&state, termination_cancelled(), &[&delete], Some(())).await;
    assert_eq!(
        (result.status, result.offboarding_cancelled),
        (Status::Updated, true),
        "{result:?}"
    );
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(
        state.lock().unwrap().calls,
        ["GetUser jane.doe", "ListGroupsForUser"]
    );

    // Nothing pending (it never was, or the same event again): unchanged.
    let none = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .then_error(|| DeleteScheduleError::generic(scheduler_error("ResourceNotFoundException")));
    let again = run_scheduled(&state, termination_cancelled(), &[&none], Some(())).await;
    assert_eq!(
        (again.status, again.offboarding_cancelled),
        (Status::Unchanged, false)
    );
    // A deployment that schedules nothing has nothing to cancel: no Scheduler call.
    assert_eq!(
        run(&state, termination_cancelled()).await.status,
        Status::Unchanged
    );
    assert!(state.lock().unwrap().writes().is_empty());
}

#[tokio::test]
async fn a_cancellation_that_fails_changes_nothing_and_the_retry_converges() {
    use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
    let mut record = update(&["readers"], Some("Sales"), "jane.doe@example.com");
    record["employee"]["terminationCancelled"] = json!(true);
    let broken = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .then_error(|| DeleteScheduleError::generic(scheduler_error("InternalServerException")));
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let failed = run_scheduled(&state, record.clone(), &[&broken], Some(())).await;
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(failed.error.unwrap().step, Some(Step::CancelSchedule));
    assert_eq!(
        state.lock().unwrap().calls,
        ["GetUser jane.doe"],
        "cancelled first"
    );

    let delete = delete_janes_schedule();
    let retried = run_scheduled(&state, record, &[&delete], Some(())).await;
    assert_eq!(
        (retried.status, retried.offboarding_cancelled),
        (Status::Updated, true)
    );
    let account = state.lock().unwrap().clone();
    assert_eq!(account.groups, ["admins-of-other-team", "readers"]);
    assert_eq!(account.tag("Department"), Some("Sales"));
}

#[tokio::test]
async fn a_dry_run_cancellation_only_plans_the_delete() {
    let delete = delete_janes_schedule();
    let mut record = termination_cancelled();
    record["dryRun"] = json!(true);
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    let result = run_scheduled(&state, record, &[&delete], Some(())).await;
    assert_eq!(result.status, Status::DryRun, "{result:?}");
    let plan = result.plan.unwrap();
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert!(
        plan[0].starts_with(&format!(
            "DeleteSchedule {} in {GROUP}",
            crate::schedule::schedule_name("jane.doe")
        )),
        "{plan:?}"
    );
    assert_eq!(delete.num_calls(), 0);
    assert!(state.lock().unwrap().writes().is_empty());
}

#[tokio::test]
async fn offboard_update_and_resend_take_the_lease_before_any_call() {
    let resend = json!({"action": "resend", "employee": {
        "username": "jane.doe", "email": "jane.doe@example.com", "employeeId": "E-1042"}});
    for payload in [
        offboard(),
        update(&["readers"], None, "jane.doe@example.com"),
        resend,
    ] {
        // No rules: any IAM, SES or Scheduler call fails the test.
        let workflows = Workflows::new(
            Iam::new(mock_client!(aws_sdk_iam, RuleMode::MatchAny, [])),
            Ses::new(mock_client!(aws_sdk_ses, RuleMode::MatchAny, [])),
            Scheduler::new(mock_client!(aws_sdk_scheduler, RuleMode::MatchAny, [])),
            config(None),
        )
        .with_leases(held_leases());
        let request = workflows.parse_request(&payload).unwrap();
        let result = workflows.run(request, &account(), "req-1").await.remove(0);
        assert_eq!(result.status, Status::Failed, "{payload}");
        let error = result.error.unwrap();
        assert_eq!(
            (error.code.as_str(), error.step),
            ("OnboardingInProgress", Some(Step::AcquireLease)),
            "{payload}"
        );
    }
}

#[tokio::test]
async fn an_offboarding_whose_email_or_employee_id_differs_is_a_conflict_and_writes_nothing() {
    for employee in [
        json!({"username": "jane.doe", "employeeId": "E-1042", "email": "other@example.com"}),
        json!({"username": "jane.doe", "employeeId": "E-9", "email": "jane.doe@example.com"}),
    ] {
        let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
        let result = run(&state, json!({"action": "offboard", "employee": employee})).await;
        assert_eq!(result.status, Status::Conflict, "{employee}: {result:?}");
        assert_eq!(result.error.unwrap().code, "UserConflict");
        assert!(state.lock().unwrap().writes().is_empty(), "{employee}");
    }
}

#[tokio::test]
async fn an_update_recognised_by_email_sets_a_new_or_first_employee_id() {
    let mut record = update(&["developers"], Some("Engineering"), "jane.doe@example.com");
    record["employee"]["tags"] = json!({"CostCenter": "4410"});
    record["employee"]["employeeId"] = json!("E-2001");
    // A changed id, then a first id for a user onboarded without one.
    for without_id in [false, true] {
        let mut jane = Account::jane("complete");
        if without_id {
            jane.tags.retain(|(k, _)| k != "EmployeeId");
        }
        let state: Shared = Arc::new(Mutex::new(jane));
        let result = run(&state, record.clone()).await;
        assert_eq!(result.status, Status::Updated, "{result:?}");
        assert_eq!(
            state.lock().unwrap().writes(),
            [&"TagUser ManagedBy=iam-onboarding EmployeeId=E-2001".to_string()]
        );
    }
    // Both identifiers changed at once: not recognisable, nothing written.
    let mut both = record.clone();
    both["employee"]["email"] = json!("someone@example.com");
    let state: Shared = Arc::new(Mutex::new(Account::jane("complete")));
    assert_eq!(run(&state, both).await.status, Status::Conflict);
    assert!(state.lock().unwrap().writes().is_empty());
}
