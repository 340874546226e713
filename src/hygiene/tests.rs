//! Request-level tests of the sweep with mocked IAM, SES and SNS clients and a
//! fed credential report: each rule just before and just after its threshold,
//! unmanaged and out-of-path users, a malformed report, the cap, and a fault
//! at every step. Every call is logged in order, so the tests assert exactly
//! which requests were made.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_iam::Client as IamClient;
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::deactivate_mfa_device::DeactivateMfaDeviceOutput;
use aws_sdk_iam::operation::delete_access_key::DeleteAccessKeyOutput;
use aws_sdk_iam::operation::delete_login_profile::{
    DeleteLoginProfileError, DeleteLoginProfileOutput,
};
use aws_sdk_iam::operation::delete_service_specific_credential::DeleteServiceSpecificCredentialOutput;
use aws_sdk_iam::operation::delete_signing_certificate::DeleteSigningCertificateOutput;
use aws_sdk_iam::operation::delete_ssh_public_key::DeleteSshPublicKeyOutput;
use aws_sdk_iam::operation::delete_user::{DeleteUserError, DeleteUserOutput};
use aws_sdk_iam::operation::delete_user_policy::DeleteUserPolicyOutput;
use aws_sdk_iam::operation::delete_virtual_mfa_device::DeleteVirtualMfaDeviceOutput;
use aws_sdk_iam::operation::detach_user_policy::{DetachUserPolicyError, DetachUserPolicyOutput};
use aws_sdk_iam::operation::generate_credential_report::{
    GenerateCredentialReportError, GenerateCredentialReportOutput,
};
use aws_sdk_iam::operation::get_access_key_last_used::GetAccessKeyLastUsedOutput;
use aws_sdk_iam::operation::get_account_password_policy::GetAccountPasswordPolicyError;
use aws_sdk_iam::operation::get_credential_report::GetCredentialReportOutput;
use aws_sdk_iam::operation::get_login_profile::{GetLoginProfileError, GetLoginProfileOutput};
use aws_sdk_iam::operation::get_user::{GetUserError, GetUserOutput};
use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
use aws_sdk_iam::operation::list_attached_user_policies::ListAttachedUserPoliciesOutput;
use aws_sdk_iam::operation::list_groups_for_user::{
    ListGroupsForUserError, ListGroupsForUserOutput,
};
use aws_sdk_iam::operation::list_mfa_devices::ListMfaDevicesOutput;
use aws_sdk_iam::operation::list_service_specific_credentials::ListServiceSpecificCredentialsOutput;
use aws_sdk_iam::operation::list_signing_certificates::ListSigningCertificatesOutput;
use aws_sdk_iam::operation::list_ssh_public_keys::ListSshPublicKeysOutput;
use aws_sdk_iam::operation::list_user_policies::ListUserPoliciesOutput;
use aws_sdk_iam::operation::remove_user_from_group::RemoveUserFromGroupOutput;
use aws_sdk_iam::operation::tag_user::{TagUserError, TagUserOutput};
use aws_sdk_iam::operation::update_access_key::UpdateAccessKeyOutput;
use aws_sdk_iam::primitives::{Blob, DateTime};
use aws_sdk_iam::types::{
    AccessKeyLastUsed, AccessKeyMetadata, AttachedPolicy, Group, LoginProfile, MfaDevice,
    ReportStateType, ServiceSpecificCredentialMetadata, SigningCertificate, SshPublicKeyMetadata,
    StatusType, Tag, User,
};
use aws_sdk_ses::Client as SesClient;
use aws_sdk_ses::operation::send_email::{SendEmailError, SendEmailOutput};
use aws_sdk_sns::Client as SnsClient;
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};

use super::*;
use crate::aws::iam::Iam;
use crate::aws::ses::Ses;
use crate::aws::sns::Sns;
use crate::config::Config;
use crate::identity::{AccountContext, Step};

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const ACCOUNT_ID: &str = "123456789012";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:iam-hygiene";
const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .to_rfc3339()
}

/// One user of the fed account: its report row and its tags.
#[derive(Clone)]
struct Person {
    name: &'static str,
    path: &'static str,
    created: i64,
    /// (password set at, last used)
    password: Option<(i64, Option<i64>)>,
    mfa: bool,
    /// (active, created, last used)
    key: Option<(bool, i64, Option<i64>)>,
    tags: Vec<(&'static str, String)>,
}

impl Person {
    fn managed(name: &'static str, status: &str) -> Self {
        Self {
            name,
            path: "/employees/",
            created: NOW - 400 * DAY,
            password: None,
            mfa: false,
            key: None,
            tags: vec![
                ("ManagedBy", "iam-onboarding".into()),
                ("OnboardingStatus", status.into()),
                ("OnboardingStartedAt", (NOW - 400 * DAY).to_string()),
            ],
        }
    }

    fn tag(mut self, key: &'static str, value: impl ToString) -> Self {
        self.tags.retain(|(k, _)| *k != key);
        self.tags.push((key, value.to_string()));
        self
    }

    fn arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT_ID}:user{}{}", self.path, self.name)
    }

    fn csv_line(&self) -> String {
        let (enabled, used, changed) = match self.password {
            None => ("false", "N/A".to_string(), "N/A".to_string()),
            Some((set, used)) => ("true", used.map_or("no_information".into(), iso), iso(set)),
        };
        let (k_active, k_rotated, k_used) = match self.key {
            None => ("false", "N/A".to_string(), "N/A".to_string()),
            Some((active, created, used)) => (
                if active { "true" } else { "false" },
                iso(created),
                used.map_or("N/A".into(), iso),
            ),
        };
        format!(
            "{},{},{},{enabled},{used},{changed},N/A,{},{k_active},{k_rotated},{k_used},N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            self.name,
            self.arn(),
            iso(self.created),
            self.mfa
        )
    }

    fn iam_user(&self) -> User {
        let mut user = User::builder()
            .path(self.path)
            .user_name(self.name)
            .user_id("AIDAEXAMPLE")
            .arn(self.arn())
            .create_date(DateTime::from_secs(self.created))
            .set_tags(Some(
                self.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(v).build().unwrap())
                    .collect(),
            ));
        if let Some((_, Some(used))) = self.password {
            user = user.password_last_used(DateTime::from_secs(used));
        }
        user.build().unwrap()
    }
}

fn report(people: &[Person]) -> String {
    let mut csv = format!(
        "{HEADER}\n<root_account>,arn:aws:iam::{ACCOUNT_ID}:root,{},not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
        iso(NOW - 1000 * DAY)
    );
    for p in people {
        csv.push_str(&p.csv_line());
        csv.push('\n');
    }
    csv
}

fn err(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message(format!("injected {code}"))
        .build()
}

fn config(extra: &[(&str, &str)]) -> Config {
    let base = [
        (
            "SELF_MANAGE_POLICY_ARN",
            "arn:aws:iam::123456789012:policy/SelfManage",
        ),
        ("SENDER_EMAIL", "it@example.com"),
        ("USER_PATH", "/employees/"),
        ("ALLOWED_GROUPS", "developers,readers"),
        ("SIGNIN_URL", "https://corp.signin.aws.amazon.com/console"),
        ("NOTIFY_TOPIC_ARN", TOPIC),
        ("PASSWORD_DELIVERY", "email"),
        ("PASSWORD_TTL_HOURS", "72"),
    ];
    Config::from_lookup(|name| {
        extra
            .iter()
            .chain(base.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
}

fn account() -> AccountContext {
    AccountContext {
        partition: "aws".into(),
        account_id: Some(ACCOUNT_ID.into()),
        function_arn: format!("arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:iam-onboarding"),
    }
}

type Log = Arc<Mutex<Vec<String>>>;

/// Appends `entry` to the log; returns true (a matcher that records).
fn record(log: &Log, entry: String) -> bool {
    log.lock().unwrap().push(entry);
    true
}

/// The fed account: every call succeeds and is logged; `first` rules (faults) win.
struct Fake {
    log: Log,
    emails: Arc<Mutex<Vec<String>>>,
    /// GetLoginProfile's CreateDate per user (from the report's people, then as a test sets it).
    profiles: Arc<Mutex<BTreeMap<String, i64>>>,
    /// Users ListMFADevices answers with no device (the report's people without MFA).
    no_mfa: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn new() -> Self {
        Self {
            log: Arc::default(),
            emails: Arc::default(),
            profiles: Arc::default(),
            no_mfa: Arc::default(),
        }
    }

    fn calls(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Calls other than the report and GetUser reads.
    fn writes_and_lists(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("GetUser") && !c.contains("CredentialReport"))
            .collect()
    }

    fn sweeper(&self, people: &[Person], settings: &[(&str, &str)], first: Vec<Rule>) -> Sweeper {
        let csv = report(people);
        for p in people {
            if let Some((set, _)) = p.password {
                self.profiles.lock().unwrap().insert(p.name.into(), set);
            }
            let offboarded = p
                .tags
                .iter()
                .any(|(k, v)| *k == "OnboardingStatus" && v == "offboarded");
            if !p.mfa && !offboarded {
                self.no_mfa.lock().unwrap().push(p.name.into());
            }
        }
        let users: BTreeMap<String, User> = people
            .iter()
            .map(|p| (p.name.to_string(), p.iam_user()))
            .collect();
        self.sweeper_with_report(csv, users, settings, first)
    }

    fn sweeper_with_report(
        &self,
        csv: String,
        users: BTreeMap<String, User>,
        settings: &[(&str, &str)],
        first: Vec<Rule>,
    ) -> Sweeper {
        let l = |_: ()| self.log.clone();
        let mut iam_rules = first.clone();
        iam_rules.extend([
            {
                let log = l(());
                mock!(IamClient::generate_credential_report)
                    .match_requests(move |_| record(&log, "GenerateCredentialReport".into()))
                    .then_output(|| {
                        GenerateCredentialReportOutput::builder()
                            .state(ReportStateType::Complete)
                            .build()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::get_credential_report)
                    .match_requests(move |_| record(&log, "GetCredentialReport".into()))
                    .then_output(move || {
                        GetCredentialReportOutput::builder()
                            .content(Blob::new(csv.clone()))
                            .build()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::get_user)
                    .match_requests(move |r| {
                        record(&log, format!("GetUser {}", r.user_name().unwrap()))
                    })
                    .then_compute_response(move |r| match users.get(r.user_name().unwrap()) {
                        Some(user) => MockResponse::Output(
                            GetUserOutput::builder().user(user.clone()).build(),
                        ),
                        None => MockResponse::Error(GetUserError::generic(err("NoSuchEntity"))),
                    })
            },
            mock!(IamClient::get_account_password_policy)
                .then_error(|| GetAccountPasswordPolicyError::generic(err("NoSuchEntity"))),
            {
                let log = l(());
                mock!(IamClient::delete_login_profile)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DeleteLoginProfile {}", r.user_name().unwrap()),
                        )
                    })
                    .then_output(|| DeleteLoginProfileOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::tag_user)
                    .match_requests(move |r| {
                        let tags: Vec<String> = r
                            .tags()
                            .iter()
                            .map(|t| format!("{}={}", t.key(), t.value()))
                            .collect();
                        record(
                            &log,
                            format!("TagUser {} {}", r.user_name().unwrap(), tags.join(",")),
                        )
                    })
                    .then_output(|| TagUserOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::list_access_keys)
                    .match_requests(move |r| {
                        record(&log, format!("ListAccessKeys {}", r.user_name().unwrap()))
                    })
                    .then_output(|| {
                        ListAccessKeysOutput::builder()
                            .access_key_metadata(
                                AccessKeyMetadata::builder()
                                    .access_key_id("AKIAOLD")
                                    .status(StatusType::Active)
                                    .create_date(DateTime::from_secs(NOW - 100 * DAY))
                                    .build(),
                            )
                            .build()
                            .unwrap()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::list_signing_certificates)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("ListSigningCertificates {}", r.user_name().unwrap()),
                        )
                    })
                    .then_output(|| {
                        ListSigningCertificatesOutput::builder()
                            .certificates(
                                SigningCertificate::builder()
                                    .user_name("x")
                                    .certificate_id("CERT1")
                                    .certificate_body("-----")
                                    .status(StatusType::Inactive)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::list_ssh_public_keys)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("ListSSHPublicKeys {}", r.user_name().unwrap()),
                        )
                    })
                    .then_output(|| {
                        ListSshPublicKeysOutput::builder()
                            .ssh_public_keys(
                                SshPublicKeyMetadata::builder()
                                    .user_name("x")
                                    .ssh_public_key_id("APKASSH1")
                                    .status(StatusType::Inactive)
                                    .upload_date(DateTime::from_secs(0))
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::list_service_specific_credentials)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("ListServiceSpecificCredentials {}", r.user_name().unwrap()),
                        )
                    })
                    .then_output(|| {
                        ListServiceSpecificCredentialsOutput::builder()
                            .service_specific_credentials(
                                ServiceSpecificCredentialMetadata::builder()
                                    .user_name("x")
                                    .status(StatusType::Inactive)
                                    .service_user_name("x-at-1")
                                    .create_date(DateTime::from_secs(0))
                                    .service_specific_credential_id("ACCASSC1")
                                    .service_name("codecommit.amazonaws.com")
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    })
            },
            {
                let log = l(());
                let no_mfa = self.no_mfa.clone();
                mock!(IamClient::list_mfa_devices)
                    .match_requests(move |r| {
                        record(&log, format!("ListMFADevices {}", r.user_name().unwrap()))
                    })
                    .then_compute_response(move |r| {
                        let none = no_mfa
                            .lock()
                            .unwrap()
                            .iter()
                            .any(|n| Some(n.as_str()) == r.user_name());
                        let device = MfaDevice::builder()
                            .user_name("x")
                            .serial_number("arn:aws:iam::123456789012:mfa/phone")
                            .enable_date(DateTime::from_secs(0))
                            .build()
                            .unwrap();
                        let devices = if none { vec![] } else { vec![device] };
                        MockResponse::Output(
                            ListMfaDevicesOutput::builder()
                                .set_mfa_devices(Some(devices))
                                .build()
                                .unwrap(),
                        )
                    })
            },
            {
                let log = l(());
                let profiles = self.profiles.clone();
                mock!(IamClient::get_login_profile)
                    .match_requests(move |r| {
                        record(&log, format!("GetLoginProfile {}", r.user_name().unwrap()))
                    })
                    .then_compute_response(move |r| {
                        let name = r.user_name().unwrap();
                        match profiles.lock().unwrap().get(name) {
                            Some(set) => MockResponse::Output(
                                GetLoginProfileOutput::builder()
                                    .login_profile(
                                        LoginProfile::builder()
                                            .user_name(name)
                                            .create_date(DateTime::from_secs(*set))
                                            .build()
                                            .unwrap(),
                                    )
                                    .build(),
                            ),
                            None => MockResponse::Error(GetLoginProfileError::generic(err(
                                "NoSuchEntity",
                            ))),
                        }
                    })
            },
            {
                let log = l(());
                mock!(IamClient::list_groups_for_user)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("ListGroupsForUser {}", r.user_name().unwrap()),
                        )
                    })
                    .then_output(|| groups(&["developers"]))
            },
            {
                let log = l(());
                mock!(IamClient::list_attached_user_policies)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("ListAttachedUserPolicies {}", r.user_name().unwrap()),
                        )
                    })
                    .then_output(|| {
                        ListAttachedUserPoliciesOutput::builder()
                            .attached_policies(
                                AttachedPolicy::builder()
                                    .policy_arn("arn:aws:iam::aws:policy/AWSDenyAll")
                                    .build(),
                            )
                            .build()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::list_user_policies)
                    .match_requests(move |r| {
                        record(&log, format!("ListUserPolicies {}", r.user_name().unwrap()))
                    })
                    .then_output(|| {
                        ListUserPoliciesOutput::builder()
                            .policy_names("inline1")
                            .build()
                            .unwrap()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::delete_access_key)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DeleteAccessKey {}", r.access_key_id().unwrap()),
                        )
                    })
                    .then_output(|| DeleteAccessKeyOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::delete_signing_certificate)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DeleteSigningCertificate {}", r.certificate_id().unwrap()),
                        )
                    })
                    .then_output(|| DeleteSigningCertificateOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::delete_ssh_public_key)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DeleteSSHPublicKey {}", r.ssh_public_key_id().unwrap()),
                        )
                    })
                    .then_output(|| DeleteSshPublicKeyOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::delete_service_specific_credential)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!(
                                "DeleteServiceSpecificCredential {}",
                                r.service_specific_credential_id().unwrap()
                            ),
                        )
                    })
                    .then_output(|| DeleteServiceSpecificCredentialOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::deactivate_mfa_device)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DeactivateMFADevice {}", r.serial_number().unwrap()),
                        )
                    })
                    .then_output(|| DeactivateMfaDeviceOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::delete_virtual_mfa_device)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DeleteVirtualMFADevice {}", r.serial_number().unwrap()),
                        )
                    })
                    .then_output(|| DeleteVirtualMfaDeviceOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::remove_user_from_group)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("RemoveUserFromGroup {}", r.group_name().unwrap()),
                        )
                    })
                    .then_output(|| RemoveUserFromGroupOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::detach_user_policy)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DetachUserPolicy {}", r.policy_arn().unwrap()),
                        )
                    })
                    .then_output(|| DetachUserPolicyOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::delete_user_policy)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("DeleteUserPolicy {}", r.policy_name().unwrap()),
                        )
                    })
                    .then_output(|| DeleteUserPolicyOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::delete_user)
                    .match_requests(move |r| {
                        record(&log, format!("DeleteUser {}", r.user_name().unwrap()))
                    })
                    .then_output(|| DeleteUserOutput::builder().build())
            },
            {
                let log = l(());
                mock!(IamClient::get_access_key_last_used)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!("GetAccessKeyLastUsed {}", r.access_key_id().unwrap()),
                        )
                    })
                    .then_output(|| {
                        GetAccessKeyLastUsedOutput::builder()
                            .access_key_last_used(
                                AccessKeyLastUsed::builder()
                                    .service_name("N/A")
                                    .region("N/A")
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    })
            },
            {
                let log = l(());
                mock!(IamClient::update_access_key)
                    .match_requests(move |r| {
                        record(
                            &log,
                            format!(
                                "UpdateAccessKey {} {} {}",
                                r.user_name().unwrap(),
                                r.access_key_id().unwrap(),
                                r.status().unwrap().as_str()
                            ),
                        )
                    })
                    .then_output(|| UpdateAccessKeyOutput::builder().build())
            },
        ]);
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, iam_rules.iter());
        let (log, emails) = (l(()), self.emails.clone());
        let mut ses_rules: Vec<Rule> = first.clone();
        ses_rules.push(
            mock!(SesClient::send_email)
                .match_requests(move |r| {
                    let to = r.destination().unwrap().to_addresses().join(",");
                    let text = r.message().unwrap().body().unwrap().text().unwrap().data();
                    emails.lock().unwrap().push(text.to_string());
                    record(&log, format!("SendEmail {} to {to}", r.source().unwrap()))
                })
                .then_output(|| {
                    SendEmailOutput::builder()
                        .message_id("m-1")
                        .build()
                        .unwrap()
                }),
        );
        let ses = mock_client!(aws_sdk_ses, RuleMode::MatchAny, ses_rules.iter());
        let log = l(());
        let mut sns_rules: Vec<Rule> = first;
        sns_rules.push(
            mock!(SnsClient::publish)
                .match_requests(move |r| {
                    record(
                        &log,
                        format!(
                            "Publish {} {}",
                            r.topic_arn().unwrap(),
                            r.subject().unwrap()
                        ),
                    )
                })
                .then_output(|| PublishOutput::builder().message_id("n-1").build()),
        );
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, sns_rules.iter());
        Sweeper::new(
            Iam::new(iam),
            Ses::new(ses),
            Sns::new(sns),
            config(settings),
        )
    }
}

fn groups(names: &[&str]) -> ListGroupsForUserOutput {
    ListGroupsForUserOutput::builder()
        .set_groups(Some(
            names
                .iter()
                .map(|g| {
                    Group::builder()
                        .path("/")
                        .group_name(*g)
                        .group_id("AGPA")
                        .arn(format!("arn:aws:iam::123456789012:group/{g}"))
                        .create_date(DateTime::from_secs(0))
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .build()
        .unwrap()
}

/// (user, action, outcome) of every action, in order.
fn actions(summary: &SweepSummary) -> Vec<(String, &'static str, ActionOutcome)> {
    summary
        .actions
        .iter()
        .map(|a| (a.user.clone(), a.action, a.outcome))
        .collect()
}

fn planned(user: &str, action: &'static str) -> (String, &'static str, ActionOutcome) {
    (user.to_string(), action, ActionOutcome::Planned)
}

/// One person per rule just before and one just after each threshold (default settings).
fn boundary_people() -> Vec<Person> {
    let unused = |name, set_at| Person {
        password: Some((set_at, None)),
        ..Person::managed(name, "complete")
    };
    let no_mfa = |name, onboarded: i64, reminded: Option<i64>| {
        let p = Person {
            password: Some((onboarded, Some(NOW - DAY))),
            ..Person::managed(name, "complete")
        }
        .tag("OnboardingStartedAt", onboarded)
        .tag("ContactEmail", format!("{name}@example.com"));
        match reminded {
            Some(at) => p.tag("MfaReminderSentAt", at),
            None => p,
        }
    };
    let leaver = |name, at: i64| Person::managed(name, "offboarded").tag("OffboardedAt", at);
    let key = |name, used: i64| Person {
        key: Some((true, NOW - 400 * DAY, Some(used))),
        ..Person::managed(name, "complete")
    };
    vec![
        unused("pw.before", NOW - 72 * HOUR + 1),
        unused("pw.after", NOW - 72 * HOUR - 1),
        no_mfa("mfa.before", NOW - 7 * DAY + 1, None),
        no_mfa("mfa.after", NOW - 7 * DAY - 1, None),
        no_mfa("mfa.reminded", NOW - 30 * DAY, Some(NOW - 3 * DAY + 1)),
        no_mfa("mfa.remind.again", NOW - 30 * DAY, Some(NOW - 3 * DAY - 1)),
        leaver("gone.before", NOW - 30 * DAY + 1),
        leaver("gone.after", NOW - 30 * DAY - 1),
        key("key.before", NOW - 45 * DAY + 1),
        key("key.after", NOW - 45 * DAY - 1),
    ]
}

#[tokio::test]
async fn each_rule_fires_just_after_its_threshold_and_not_just_before() {
    let fake = Fake::new();
    let summary = fake
        .sweeper(&boundary_people(), &[], vec![])
        .sweep(true, &account(), NOW)
        .await;
    assert_eq!(summary.outcome, SweepOutcome::DryRun);
    assert_eq!(
        actions(&summary),
        vec![
            planned("pw.after", "expire_password"),
            planned("mfa.after", "remind_mfa"),
            planned("mfa.remind.again", "remind_mfa"),
            planned("gone.after", "delete_user"),
            planned("key.after", "report_key"),
        ]
    );
    let counts: Vec<(&str, usize)> = summary.counts.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        counts,
        [
            ("leaver", 1),
            ("missing_mfa", 2),
            ("unused_access_key", 1),
            ("unused_password", 1)
        ]
    );
    assert!(summary.actions[0].reason.contains("PASSWORD_TTL_HOURS=72"));
    // A dry run reads, and writes nothing.
    assert_eq!(fake.writes_and_lists(), Vec::<String>::new());
}

#[tokio::test]
async fn unmanaged_and_out_of_path_users_are_never_touched() {
    let mut stranger = Person::managed("stranger", "complete");
    stranger.tags = vec![("Team", "ops".into())];
    stranger.password = Some((NOW - 100 * DAY, None));
    let mut elsewhere =
        Person::managed("elsewhere", "offboarded").tag("OffboardedAt", NOW - 100 * DAY);
    elsewhere.path = "/contractors/";
    let fake = Fake::new();
    let summary = fake
        .sweeper(&[stranger, elsewhere], &[], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(summary.outcome, SweepOutcome::Completed);
    assert!(summary.actions.is_empty());
    assert_eq!(summary.users_in_report, 2);
    assert_eq!(summary.users_outside_path, 1);
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].user, "stranger");
    assert!(summary.skipped[0].reason.contains("not managed"));
    // The user outside the path is not even read.
    assert_eq!(
        fake.calls(),
        [
            "GenerateCredentialReport",
            "GetCredentialReport",
            "GetUser stranger"
        ]
    );
}

#[tokio::test]
async fn a_real_sweep_sends_the_exact_requests_of_each_rule() {
    let fake = Fake::new();
    let people: Vec<Person> = boundary_people()
        .into_iter()
        .filter(|p| ["pw.after", "mfa.after", "gone.after", "key.after"].contains(&p.name))
        .collect();
    let sweeper = fake.sweeper(&people, &[], vec![]);
    let summary = sweeper.run_at(false, &account(), NOW).await;
    assert_eq!(summary.outcome, SweepOutcome::Completed);
    assert_eq!(
        actions(&summary),
        vec![
            ("pw.after".into(), "expire_password", ActionOutcome::Done),
            ("mfa.after".into(), "remind_mfa", ActionOutcome::Done),
            ("gone.after".into(), "delete_user", ActionOutcome::Done),
            ("key.after".into(), "report_key", ActionOutcome::Reported),
        ]
    );
    let mut lists: Vec<String> = fake
        .writes_and_lists()
        .into_iter()
        .filter(|c| c.starts_with("List"))
        .collect();
    lists.sort();
    assert_eq!(
        lists,
        [
            "ListAccessKeys gone.after",
            "ListAttachedUserPolicies gone.after",
            "ListGroupsForUser gone.after",
            "ListMFADevices gone.after",
            // The report may be hours old: MFA is read again before a reminder.
            "ListMFADevices mfa.after",
            "ListSSHPublicKeys gone.after",
            "ListServiceSpecificCredentials gone.after",
            "ListSigningCertificates gone.after",
            "ListUserPolicies gone.after",
        ]
    );
    let writes: Vec<String> = fake
        .writes_and_lists()
        .into_iter()
        .filter(|c| !c.starts_with("List"))
        .collect();
    let reminded = writes
        .iter()
        .find(|w| w.starts_with("TagUser mfa.after"))
        .unwrap()
        .clone();
    assert_eq!(
        writes,
        [
            // The report may be older than a resend: the password's age is read again.
            "GetLoginProfile pw.after".to_string(),
            "DeleteLoginProfile pw.after".into(),
            "TagUser pw.after ManagedBy=iam-onboarding,OnboardingStatus=expired".into(),
            "SendEmail it@example.com to mfa.after@example.com".into(),
            reminded.clone(),
            // Access ends first: password, keys and every other credential, then
            // memberships and policies, then the user.
            "DeleteLoginProfile gone.after".into(),
            "DeleteAccessKey AKIAOLD".into(),
            "DeleteSSHPublicKey APKASSH1".into(),
            "DeleteSigningCertificate CERT1".into(),
            "DeleteServiceSpecificCredential ACCASSC1".into(),
            "DeactivateMFADevice arn:aws:iam::123456789012:mfa/phone".into(),
            "DeleteVirtualMFADevice arn:aws:iam::123456789012:mfa/phone".into(),
            "RemoveUserFromGroup developers".into(),
            "DetachUserPolicy arn:aws:iam::aws:policy/AWSDenyAll".into(),
            "DeleteUserPolicy inline1".into(),
            "DeleteUser gone.after".into(),
            format!("Publish {TOPIC} iam-onboarding sweep: 4 actions, 0 failed"),
        ]
    );
    assert_eq!(
        reminded,
        format!("TagUser mfa.after ManagedBy=iam-onboarding,MfaReminderSentAt={NOW}")
    );
    let emails = fake.emails.lock().unwrap().clone();
    assert_eq!(emails.len(), 1);
    assert!(emails[0].contains("Assign MFA device") && emails[0].contains("mfa.after"));
    assert!(!emails[0].to_lowercase().contains("password:"));
    assert_eq!(summary.notification.as_deref(), Some("published"));
}

#[tokio::test]
async fn unused_keys_are_deactivated_only_when_the_operator_turns_it_on() {
    let mut person = Person::managed("key.user", "complete");
    person.key = Some((true, NOW - 100 * DAY, None));
    let fake = Fake::new();
    let summary = fake
        .sweeper(&[person.clone()], &[], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(
        actions(&summary),
        [("key.user".into(), "report_key", ActionOutcome::Reported)]
    );
    assert!(
        summary.actions[0]
            .reason
            .contains("created and never used 100 days")
    );
    assert_eq!(fake.writes_and_lists(), Vec::<String>::new());

    let fake = Fake::new();
    let summary = fake
        .sweeper(&[person], &[("DEACTIVATE_UNUSED_KEYS", "true")], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(
        actions(&summary),
        [("key.user".into(), "deactivate_key", ActionOutcome::Done)]
    );
    assert_eq!(
        fake.writes_and_lists(),
        [
            "ListAccessKeys key.user",
            "GetAccessKeyLastUsed AKIAOLD",
            "UpdateAccessKey key.user AKIAOLD Inactive"
        ]
    );
}

#[tokio::test]
async fn a_password_used_since_the_report_was_made_is_not_expired() {
    // The report (hours old) says never used; GetUser says used an hour ago.
    let person = Person {
        password: Some((NOW - 10 * DAY, None)),
        ..Person::managed("jane", "complete")
    };
    let mut fresh = person.iam_user();
    fresh.password_last_used = Some(DateTime::from_secs(NOW - HOUR));
    let fake = Fake::new();
    let users = BTreeMap::from([("jane".to_string(), fresh)]);
    let summary = fake
        .sweeper_with_report(report(&[person]), users, &[], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
}

/// Issue 21: the report says "password set 80 h ago, never used", but a `resend`
/// set a fresh one minutes ago: GetLoginProfile's CreateDate wins, nothing is expired.
#[tokio::test]
async fn a_password_resent_since_the_report_was_made_is_not_expired() {
    let person = Person {
        password: Some((NOW - 80 * HOUR, None)),
        ..Person::managed("jane", "complete")
    };
    let fake = Fake::new();
    let sweeper = fake.sweeper(&[person], &[], vec![]);
    fake.profiles
        .lock()
        .unwrap()
        .insert("jane".into(), NOW - 5 * 60);
    let summary = sweeper.sweep(false, &account(), NOW).await;
    assert_eq!(
        actions(&summary),
        [("jane".into(), "expire_password", ActionOutcome::NoLongerDue)]
    );
    assert_eq!(fake.writes_and_lists(), ["GetLoginProfile jane"]);
    // Negative control: the same report with the old login profile still expires it.
    let person = Person {
        password: Some((NOW - 80 * HOUR, None)),
        ..Person::managed("jane", "complete")
    };
    let fake = Fake::new();
    let summary = fake
        .sweeper(&[person], &[], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(
        actions(&summary),
        [("jane".into(), "expire_password", ActionOutcome::Done)]
    );
}

/// Issue 21: the report says no MFA, but the user enabled a virtual MFA device
/// since: ListMFADevices wins, no reminder is sent.
#[tokio::test]
async fn no_reminder_goes_to_a_user_who_enabled_mfa_since_the_report() {
    let person = || {
        Person {
            password: Some((NOW - 30 * DAY, Some(NOW - DAY))),
            ..Person::managed("mfa.late", "complete")
        }
        .tag("ContactEmail", "mfa.late@example.com")
    };
    let fake = Fake::new();
    let sweeper = fake.sweeper(&[person()], &[], vec![]);
    fake.no_mfa.lock().unwrap().clear();
    let summary = sweeper.sweep(false, &account(), NOW).await;
    assert_eq!(
        actions(&summary),
        [("mfa.late".into(), "remind_mfa", ActionOutcome::NoLongerDue)]
    );
    assert!(fake.emails.lock().unwrap().is_empty());
    assert_eq!(fake.writes_and_lists(), ["ListMFADevices mfa.late"]);
    // Negative control: still without a device, the reminder goes out.
    let fake = Fake::new();
    let summary = fake
        .sweeper(&[person()], &[], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(
        actions(&summary),
        [("mfa.late".into(), "remind_mfa", ActionOutcome::Done)]
    );
    assert_eq!(fake.emails.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn leaver_rules_respect_zero_and_unreadable_dates() {
    let people = vec![
        Person::managed("gone.long", "offboarded").tag("OffboardedAt", NOW - 400 * DAY),
        Person::managed("gone.nodate", "offboarded"),
    ];
    let fake = Fake::new();
    let summary = fake
        .sweeper(&people, &[("DELETE_AFTER_DAYS", "0")], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert!(summary.actions.is_empty());
    let fake = Fake::new();
    let summary = fake
        .sweeper(&people, &[], vec![])
        .sweep(true, &account(), NOW)
        .await;
    assert_eq!(actions(&summary), [planned("gone.long", "delete_user")]);
    assert!(
        summary
            .skipped
            .iter()
            .any(|s| s.user == "gone.nodate" && s.reason.contains("OffboardedAt"))
    );
}

#[tokio::test]
async fn a_missing_address_is_reported_instead_of_a_reminder() {
    let person = Person {
        password: Some((NOW - 30 * DAY, Some(NOW - DAY))),
        ..Person::managed("quiet", "complete")
    };
    let fake = Fake::new();
    let summary = fake
        .sweeper(&[person], &[], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert!(summary.actions.is_empty());
    assert!(summary.skipped[0].reason.contains("ContactEmail"));
}

#[tokio::test]
async fn a_malformed_report_aborts_before_any_other_call() {
    let fake = Fake::new();
    let csv = format!("{HEADER}\njane,arn:aws:iam::1:user/employees/jane,yesterday\n");
    let summary = fake
        .sweeper_with_report(csv, BTreeMap::new(), &[], vec![])
        .run_at(false, &account(), NOW)
        .await;
    assert_eq!(summary.outcome, SweepOutcome::Aborted);
    assert!(summary.stopped.as_deref().unwrap().contains("line 2"));
    assert_eq!(
        fake.calls(),
        [
            "GenerateCredentialReport".to_string(),
            "GetCredentialReport".into(),
            format!("Publish {TOPIC} iam-onboarding sweep ABORTED: nothing was done")
        ]
    );
}

#[tokio::test]
async fn more_destructive_actions_than_the_cap_means_none() {
    let people: Vec<Person> = boundary_people();
    let fake = Fake::new();
    let summary = fake
        .sweeper(&people, &[("SWEEP_MAX_ACTIONS", "1")], vec![])
        .run_at(false, &account(), NOW)
        .await;
    assert_eq!(summary.outcome, SweepOutcome::Capped);
    assert!(
        summary
            .stopped
            .as_deref()
            .unwrap()
            .contains("2 destructive actions planned")
    );
    assert!(
        summary
            .actions
            .iter()
            .all(|a| a.outcome == ActionOutcome::NotTaken)
    );
    assert_eq!(
        fake.writes_and_lists(),
        [format!(
            "Publish {TOPIC} iam-onboarding sweep STOPPED at the action cap"
        )]
    );
    // At the cap exactly, the sweep acts.
    let fake = Fake::new();
    let summary = fake
        .sweeper(&people, &[("SWEEP_MAX_ACTIONS", "2")], vec![])
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(summary.outcome, SweepOutcome::Completed);
}

#[tokio::test]
async fn a_failed_report_or_user_read_aborts_everything() {
    let people = boundary_people();
    let faults: Vec<(Rule, &str)> = vec![
        (
            mock!(IamClient::generate_credential_report)
                .then_error(|| GenerateCredentialReportError::generic(err("LimitExceeded"))),
            "LimitExceeded",
        ),
        (
            mock!(IamClient::get_credential_report)
                .then_output(|| GetCredentialReportOutput::builder().build()),
            "EmptyReport",
        ),
        (
            mock!(IamClient::get_user)
                .match_requests(|r| r.user_name() == Some("key.after"))
                .then_error(|| GetUserError::generic(err("AccessDenied"))),
            "AccessDenied",
        ),
    ];
    for (fault, code) in faults {
        let fake = Fake::new();
        let summary = fake
            .sweeper(&people, &[], vec![fault])
            .sweep(false, &account(), NOW)
            .await;
        assert_eq!(summary.outcome, SweepOutcome::Aborted, "{code}");
        assert!(summary.stopped.as_deref().unwrap().contains(code), "{code}");
        assert!(summary.actions.is_empty());
        assert_eq!(fake.writes_and_lists(), Vec::<String>::new(), "{code}");
    }
}

#[tokio::test]
async fn a_fault_at_any_step_stops_that_action_only_and_is_reported() {
    let people: Vec<Person> = boundary_people()
        .into_iter()
        .filter(|p| ["pw.after", "mfa.after", "gone.after"].contains(&p.name))
        .collect();
    // (fault, failed step, the last call of the failed action)
    let faults: Vec<(Rule, Step, &str)> = vec![
        (
            mock!(IamClient::delete_login_profile)
                .match_requests(|r| r.user_name() == Some("pw.after"))
                .then_error(|| DeleteLoginProfileError::generic(err("ServiceFailure"))),
            Step::ExpirePassword,
            "TagUser pw.after",
        ),
        (
            mock!(IamClient::tag_user)
                .match_requests(|r| r.user_name() == Some("pw.after"))
                .then_error(|| TagUserError::generic(err("ServiceFailure"))),
            Step::MarkExpired,
            "",
        ),
        (
            mock!(SesClient::send_email)
                .then_error(|| SendEmailError::generic(err("MessageRejected"))),
            Step::SendMfaReminder,
            "TagUser mfa.after",
        ),
        (
            mock!(IamClient::tag_user)
                .match_requests(|r| r.user_name() == Some("mfa.after"))
                .then_error(|| TagUserError::generic(err("ServiceFailure"))),
            Step::MarkReminded,
            "",
        ),
        (
            mock!(IamClient::list_groups_for_user)
                .then_error(|| ListGroupsForUserError::generic(err("ServiceFailure"))),
            Step::ListUserAttachments,
            "DeleteLoginProfile gone.after",
        ),
        (
            mock!(IamClient::list_groups_for_user).then_output(|| groups(&["admins"])),
            Step::RemoveFromGroup,
            "DeleteLoginProfile gone.after",
        ),
        (
            mock!(IamClient::detach_user_policy)
                .then_error(|| DetachUserPolicyError::generic(err("ServiceFailure"))),
            Step::DetachPolicy,
            "DeleteUserPolicy",
        ),
        (
            mock!(IamClient::delete_user)
                .then_error(|| DeleteUserError::generic(err("DeleteConflict"))),
            Step::DeleteUser,
            "",
        ),
    ];
    for (fault, step, never) in faults {
        let fake = Fake::new();
        let summary = fake
            .sweeper(&people, &[], vec![fault])
            .sweep(false, &account(), NOW)
            .await;
        let failed: Vec<_> = summary
            .actions
            .iter()
            .filter(|a| a.outcome == ActionOutcome::Failed)
            .collect();
        assert_eq!(failed.len(), 1, "{step}: {:?}", summary.actions);
        assert_eq!(failed[0].step, Some(step));
        assert_eq!(
            summary
                .actions
                .iter()
                .filter(|a| a.outcome == ActionOutcome::Done)
                .count(),
            2,
            "{step}: the other actions still run"
        );
        if !never.is_empty() {
            assert!(
                !fake.calls().iter().any(|c| c.starts_with(never)),
                "{step}: {never} must not run after the failure: {:?}",
                fake.calls()
            );
        }
    }
}

#[tokio::test]
async fn a_failed_notification_is_in_the_summary() {
    let fake = Fake::new();
    let summary = fake
        .sweeper(
            &[],
            &[],
            vec![
                mock!(SnsClient::publish)
                    .then_error(|| PublishError::generic(err("AuthorizationError"))),
            ],
        )
        .run_at(true, &account(), NOW)
        .await;
    assert_eq!(
        summary.notification.as_deref(),
        Some("failed: AuthorizationError")
    );
}

#[tokio::test]
async fn an_action_the_rules_no_longer_call_for_under_the_lease_is_not_taken() {
    // Read once when planning: never signed in. Read again under the lease: the
    // employee signed in meanwhile, so the password is theirs now.
    let person = Person {
        password: Some((NOW - 10 * DAY, None)),
        ..Person::managed("jane", "complete")
    };
    let mut signed_in = person.iam_user();
    signed_in.password_last_used = Some(DateTime::from_secs(NOW - 60));
    let planned = person.iam_user();
    let reads = mock!(IamClient::get_user)
        .sequence()
        .output(move || GetUserOutput::builder().user(planned.clone()).build())
        .output(move || GetUserOutput::builder().user(signed_in.clone()).build())
        .build();
    let fake = Fake::new();
    let summary = fake
        .sweeper(&[person], &[], vec![reads])
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(
        actions(&summary),
        [("jane".into(), "expire_password", ActionOutcome::NoLongerDue)]
    );
    assert!(fake.writes_and_lists().is_empty(), "{:?}", fake.calls());
}

#[tokio::test]
async fn a_user_another_run_is_working_on_is_left_for_the_next_sweep() {
    let person = Person {
        password: Some((NOW - 10 * DAY, None)),
        ..Person::managed("jane", "complete")
    };
    let fake = Fake::new();
    let summary = fake
        .sweeper(&[person], &[], vec![])
        .with_leases(crate::test_fixtures::held_leases())
        .sweep(false, &account(), NOW)
        .await;
    assert_eq!(
        actions(&summary),
        [("jane".into(), "expire_password", ActionOutcome::Failed)]
    );
    assert_eq!(summary.actions[0].step, Some(Step::AcquireLease));
    assert!(
        summary.actions[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("OnboardingInProgress")),
        "{:?}",
        summary.actions[0]
    );
    assert!(fake.writes_and_lists().is_empty(), "{:?}", fake.calls());
}

#[tokio::test(start_paused = true)]
async fn a_sweep_too_near_the_invocations_deadline_writes_nothing() {
    use crate::deadline::Deadline;
    use std::time::Duration;
    let person = Person {
        password: Some((NOW - 10 * DAY, None)),
        ..Person::managed("jane", "complete")
    };
    let fake = Fake::new();
    let sweeper = fake.sweeper(&[person], &[], vec![]);
    // Less than one call and the undo (4 × 100 ms) left: not even the report is read.
    let near = Deadline::after(Duration::from_millis(400), Duration::from_millis(100));
    let summary = Deadline::scope(Some(near), sweeper.sweep(false, &account(), NOW)).await;
    assert_eq!(summary.outcome, SweepOutcome::Aborted);
    assert!(
        summary
            .stopped
            .as_deref()
            .unwrap()
            .contains("DeadlineExceeded"),
        "{:?}",
        summary.stopped
    );
    assert!(fake.writes_and_lists().is_empty(), "{:?}", fake.calls());
}
