//! The onboarding workflow: create the user, set a one-time password, grant the
//! self-manage policy and groups, email the password, record completion.
//!
//! Idempotency and failure handling (also in the README):
//! - Users are created with `ManagedBy=iam-onboarding`, `EmailSha256`, `OnboardingStatus=pending`
//!   and `OnboardingStartedAt`; the status becomes `complete` only after SES accepted the email.
//! - A repeat of a completed event finds `complete` and returns `already_onboarded`
//!   without any write. A name held by a user without the marker, or with another
//!   `EmployeeId` or email hash, is a `conflict` and nothing is touched.
//! - A `pending` user whose attempt started less than [`IN_PROGRESS_SECONDS`] ago belongs to a
//!   concurrent invocation: `OnboardingInProgress`, no write.
//! - A failure after the password was set removes the login profile again, so no
//!   console password exists that nobody received, and marks the user `failed`. A retry of
//!   the same event re-claims and resumes it: IAM attach/add calls are idempotent and a
//!   new password replaces any old one before it is emailed.

use std::future::Future;
use std::time::Instant;

use futures::StreamExt;
use futures::future::try_join_all;
use serde::Serialize;
use tokio::sync::OnceCell;
use tracing::{Instrument, error, info, info_span, warn};

use crate::aws::AwsError;
use crate::aws::iam::{ExistingUser, Iam};
use crate::aws::ses::Ses;
use crate::config::Config;
use crate::email::WelcomeEmail;
use crate::employee::{
    EMAIL_HASH_TAG, EMPLOYEE_ID_TAG, Employee, FieldError, MANAGED_BY_TAG, MANAGED_BY_VALUE,
    STARTED_AT_TAG, STATUS_TAG, mask_emails_in,
};
use crate::password::{OneTimePassword, PasswordPolicy};
use crate::request::OnboardingRequest;

/// Employees onboarded at the same time within one batch. IAM throttling is
/// absorbed by the SDK's retries (see `main.rs`).
pub const BATCH_CONCURRENCY: usize = 16;
const STATUS_PENDING: &str = "pending";
const STATUS_FAILED: &str = "failed";
const STATUS_COMPLETE: &str = "complete";
/// A `pending` user whose attempt started less than this long ago is being
/// onboarded by another invocation right now (the function times out after 60 s).
pub const IN_PROGRESS_SECONDS: i64 = 120;

/// The current time in unix seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Outcome of one employee's onboarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The user was created (or a pending one completed) and the email sent.
    Created,
    /// An earlier run already onboarded this employee; nothing changed.
    AlreadyOnboarded,
    /// Dry run: validated, plan reported, nothing written.
    DryRun,
    /// The input was invalid; nothing written.
    Rejected,
    /// The user name belongs to someone else; nothing written.
    Conflict,
    /// An AWS step failed; see `error.step` and `error.code`.
    Failed,
}

impl Status {
    /// Whether the employee ends up onboarded (or would, in a dry run) with nothing left to do.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Status::Created | Status::AlreadyOnboarded | Status::DryRun
        )
    }

    /// The status as it appears in responses and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::AlreadyOnboarded => "already_onboarded",
            Status::DryRun => "dry_run",
            Status::Rejected => "rejected",
            Status::Conflict => "conflict",
            Status::Failed => "failed",
        }
    }
}

/// Error details of a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultError {
    /// Machine-readable code: `InvalidField`, `UserConflict`, or the AWS error code.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The offending input field, for rejections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The workflow step that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<&'static str>,
}

/// The result for one employee, as returned to the caller. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeResult {
    /// The IAM user name, when it could be determined.
    pub username: Option<String>,
    /// What happened.
    pub status: Status,
    /// The user's ARN, when the user exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_arn: Option<String>,
    /// Groups the user was added to (or would be, in a dry run).
    pub groups: Vec<String>,
    /// SES message id of the welcome email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_message_id: Option<String>,
    /// Why the employee was not onboarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResultError>,
    /// Dry run: the calls a real run would make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<String>>,
    /// Something the operator should know although the employee was onboarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl EmployeeResult {
    fn new(employee: &Employee, status: Status) -> Self {
        Self {
            username: Some(employee.username.to_string()),
            status,
            user_arn: None,
            groups: employee
                .groups
                .iter()
                .map(|g| g.as_str().to_string())
                .collect(),
            email_message_id: None,
            error: None,
            plan: None,
            warning: None,
        }
    }

    /// The result for an employee entry that failed validation.
    pub fn rejected(error: &FieldError) -> Self {
        Self {
            username: None,
            status: Status::Rejected,
            user_arn: None,
            groups: Vec::new(),
            email_message_id: None,
            error: Some(ResultError {
                code: "InvalidField".into(),
                message: error.to_string(),
                field: Some(error.field.clone()),
                step: None,
            }),
            plan: None,
            warning: None,
        }
    }

    fn failed(employee: &Employee, step: &'static str, err: &AwsError, note: &str) -> Self {
        let mut result = Self::new(employee, Status::Failed);
        result.error = Some(ResultError {
            code: err.code.clone(),
            message: format!("{step} failed: {}{note}", err.message),
            field: None,
            step: Some(step),
        });
        result
    }
}

/// What the account tells us once per container.
#[derive(Debug, Clone)]
struct AccountSettings {
    password_policy: PasswordPolicy,
    signin_url: String,
}

/// Which AWS account and partition this function runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountContext {
    /// The AWS partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// The 12-digit account id, when the invoked function's ARN holds one
    /// (local emulators such as `cargo lambda watch` send a placeholder).
    pub account_id: Option<String>,
}

impl AccountContext {
    /// Reads partition and account id from the invoked function's ARN.
    pub fn from_function_arn(arn: &str) -> Self {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() >= 6
            && parts[0] == "arn"
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
        {
            Self {
                partition: parts[1].to_string(),
                account_id: Some(parts[4].to_string()),
            }
        } else {
            Self {
                partition: "aws".to_string(),
                account_id: None,
            }
        }
    }

    fn signin_domain(&self) -> &'static str {
        match self.partition.as_str() {
            "aws-cn" => "signin.amazonaws.cn",
            "aws-us-gov" => "signin.amazonaws-us-gov.com",
            _ => "signin.aws.amazon.com",
        }
    }
}

/// What a user already holding the employee's name means for the onboarding.
enum Existing {
    /// No such user.
    Absent,
    /// Ours, interrupted before the email was sent: resume it (its ARN).
    Pending(String),
    /// Nothing to do: see [`Settled`].
    Settled(Settled),
}

/// Existing users that end the onboarding without a write.
enum Settled {
    /// Not ours, another person's, or outside the readable path: leave it alone.
    Foreign(&'static str),
    /// Ours and complete (its ARN).
    Complete(String),
    /// Another invocation started onboarding it moments ago (seconds since).
    InProgress(i64),
}

fn classify(employee: &Employee, user: ExistingUser, now: i64) -> Existing {
    if user.tag(MANAGED_BY_TAG) != Some(MANAGED_BY_VALUE) {
        return Existing::Settled(Settled::Foreign(
            "an IAM user with this name exists and is not managed by iam-onboarding",
        ));
    }
    if user.tag(EMPLOYEE_ID_TAG) != employee.employee_id.as_deref() {
        return Existing::Settled(Settled::Foreign(
            "an IAM user with this name was onboarded for another employee id",
        ));
    }
    if user
        .tag(EMAIL_HASH_TAG)
        .is_some_and(|hash| hash != employee.email.sha256_hex())
    {
        return Existing::Settled(Settled::Foreign(
            "an IAM user with this name was onboarded for another email address",
        ));
    }
    match user.tag(STATUS_TAG) {
        Some(STATUS_COMPLETE) => Existing::Settled(Settled::Complete(user.arn)),
        Some(STATUS_PENDING) => {
            let started = user.tag(STARTED_AT_TAG).and_then(|t| t.parse::<i64>().ok());
            match started.map(|t| now - t) {
                Some(age) if (0..IN_PROGRESS_SECONDS).contains(&age) => {
                    Existing::Settled(Settled::InProgress(age))
                }
                _ => Existing::Pending(user.arn),
            }
        }
        _ => Existing::Pending(user.arn),
    }
}

/// Runs onboarding requests against IAM and SES. Build one per container.
pub struct Onboarder {
    iam: Iam,
    ses: Ses,
    config: Config,
    account: OnceCell<AccountSettings>,
}

/// Runs one workflow step, logging its name, outcome, AWS error code and duration.
async fn step<T>(
    name: &'static str,
    call: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    let started = Instant::now();
    let result = call.await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(_) => info!(step = name, outcome = "ok", duration_ms, "step finished"),
        Err(err) => {
            warn!(step = name, outcome = "error", aws_error = %err.code, duration_ms, "step failed")
        }
    }
    result
}

impl Onboarder {
    /// An onboarder using these adapters and configuration.
    pub fn new(iam: Iam, ses: Ses, config: Config) -> Self {
        Self {
            iam,
            ses,
            config,
            account: OnceCell::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Onboards every employee of `request` (at most [`BATCH_CONCURRENCY`] at a
    /// time); one result per employee, in request order.
    pub async fn run(
        &self,
        request: OnboardingRequest,
        account: &AccountContext,
    ) -> Vec<EmployeeResult> {
        let dry_run = request.dry_run;
        let mut finished: Vec<(usize, EmployeeResult)> = futures::stream::iter(
            request.employees.into_iter().enumerate(),
        )
        .map(|(index, entry)| async move {
            let result = match entry {
                Ok(employee) => {
                    let span = info_span!(
                        "onboard",
                        employee_id = employee.employee_id.as_deref().unwrap_or("-"),
                        username = %mask_emails_in(employee.username.as_str()),
                        email = %employee.email.masked(),
                    );
                    let result = self
                        .onboard_one(&employee, dry_run, account)
                        .instrument(span.clone())
                        .await;
                    span.in_scope(|| info!(status = result.status.as_str(), "employee finished"));
                    result
                }
                Err(field_error) => {
                    info!(field = %field_error.field, status = "rejected", "employee rejected");
                    EmployeeResult::rejected(&field_error)
                }
            };
            (index, result)
        })
        // Unordered, so one slow employee does not hold a slot others could use.
        .buffer_unordered(BATCH_CONCURRENCY)
        .collect()
        .await;
        finished.sort_unstable_by_key(|(index, _)| *index);
        finished.into_iter().map(|(_, result)| result).collect()
    }

    async fn account_settings(
        &self,
        account: &AccountContext,
    ) -> Result<&AccountSettings, AwsError> {
        self.account
            .get_or_try_init(|| async {
                let signin_url = async {
                    if let Some(url) = &self.config.signin_url {
                        return Ok(url.clone());
                    }
                    let alias = self.iam.account_alias().await?;
                    let name = alias.or_else(|| account.account_id.clone()).ok_or_else(|| AwsError {
                        code: "UnknownAccount".into(),
                        message: "the account has no alias and the invoked function ARN holds no account id; set SIGNIN_URL".into(),
                    })?;
                    Ok(format!(
                        "https://{name}.{}/console",
                        account.signin_domain()
                    ))
                };
                let (password_policy, signin_url) = futures::try_join!(
                    step("read_password_policy", self.iam.password_policy()),
                    signin_url
                )?;
                Ok(AccountSettings {
                    password_policy,
                    signin_url,
                })
            })
            .await
    }

    async fn onboard_one(
        &self,
        employee: &Employee,
        dry_run: bool,
        account: &AccountContext,
    ) -> EmployeeResult {
        if dry_run {
            return self.plan(employee).await;
        }
        let name = employee.username.as_str();
        let mut tags = employee.tags.clone();
        tags.extend(attempt_tags(STATUS_PENDING).into_iter().skip(1));
        let create = step(
            "create_user",
            self.iam.create_user(
                name,
                self.config.user_path.as_str(),
                &tags,
                self.config.permissions_boundary_arn.as_deref(),
            ),
        );
        let (created, settings) = tokio::join!(create, self.account_settings(account));
        let user_arn = match created {
            Ok(arn) => arn,
            Err(err) if err.is("EntityAlreadyExists") => match self.inspect(employee).await {
                Ok(Existing::Pending(arn)) => {
                    info!(
                        step = "resume",
                        "user exists and is pending; completing its onboarding"
                    );
                    // Claim the attempt, so a concurrent delivery of this event backs off.
                    let claim = attempt_tags(STATUS_PENDING);
                    if let Err(err) = step("claim_user", self.iam.tag_user(name, &claim)).await {
                        return EmployeeResult::failed(employee, "claim_user", &err, "");
                    }
                    arn
                }
                Ok(Existing::Settled(settled)) => return self.settled(employee, settled),
                Ok(Existing::Absent) => {
                    let gone = AwsError {
                        code: "NoSuchEntity".into(),
                        message: "the user vanished".into(),
                    };
                    return EmployeeResult::failed(employee, "get_user", &gone, "");
                }
                Err(err) => return EmployeeResult::failed(employee, "get_user", &err, ""),
            },
            Err(err) => return EmployeeResult::failed(employee, "create_user", &err, ""),
        };
        let settings = match settings {
            Ok(settings) => settings,
            Err(err) => {
                let note = self.abandon(name, false).await;
                return EmployeeResult::failed(employee, "read_account_settings", &err, &note);
            }
        };

        let password = OneTimePassword::generate(&settings.password_policy, &mut rand::rng());
        let set_password = step(
            "create_login_profile",
            self.iam.set_one_time_password(name, &password),
        );
        let (password_set, granted) = tokio::join!(set_password, self.grant_access(employee));
        if let Err(err) = password_set {
            let note = self.abandon(name, true).await;
            return EmployeeResult::failed(employee, "create_login_profile", &err, &note);
        }
        if let Err((failed_step, err)) = granted {
            let note = self.abandon(name, true).await;
            return EmployeeResult::failed(employee, failed_step, &err, &note);
        }

        let email = WelcomeEmail {
            given_name: employee.given_name.as_deref(),
            username: name,
            signin_url: &settings.signin_url,
            password: &password,
        }
        .render();
        let sent = step(
            "send_email",
            self.ses.send(
                self.config.sender.as_str(),
                employee.email.as_str(),
                &email,
                self.config.ses_configuration_set.as_deref(),
            ),
        )
        .await;
        let message_id = match sent {
            Ok(id) => id,
            Err(err) => {
                let note = self.abandon(name, true).await;
                return EmployeeResult::failed(employee, "send_email", &err, &note);
            }
        };

        let mut result = EmployeeResult::new(employee, Status::Created);
        result.user_arn = Some(user_arn);
        result.email_message_id = Some(message_id);
        let complete = marker_tags(STATUS_COMPLETE);
        if let Err(err) = step("mark_complete", self.iam.tag_user(name, &complete)).await {
            error!(aws_error = %err.code, "email sent but the user could not be marked complete");
            result.warning = Some(format!(
                "the email was sent, but tagging the user {STATUS_TAG}=complete failed ({}); \
                 set that tag by hand, or a retry of this event will send a new password",
                err.code
            ));
        }
        result
    }

    /// Attaches the self-manage policy and adds the groups, all concurrently.
    async fn grant_access(&self, employee: &Employee) -> Result<(), (&'static str, AwsError)> {
        let name = employee.username.as_str();
        let attach = async {
            step(
                "attach_policy",
                self.iam
                    .attach_user_policy(name, &self.config.self_manage_policy_arn),
            )
            .await
            .map_err(|e| ("attach_policy", e))
        };
        let groups = try_join_all(employee.groups.iter().map(|group| async move {
            let span = info_span!("group", group = group.as_str());
            step(
                "add_to_group",
                self.iam.add_user_to_group(name, group.as_str()),
            )
            .instrument(span)
            .await
            .map_err(|e| ("add_to_group", e))
        }));
        futures::try_join!(attach, groups).map(|_| ())
    }

    /// After a failure on an existing user: removes the login profile when one may
    /// have been set (so no undelivered password works), then marks the attempt
    /// `failed` so a retry may resume at once. Returns a note for the result message.
    async fn abandon(&self, name: &str, remove_password: bool) -> String {
        let mut note = PENDING_NOTE.to_string();
        if remove_password
            && let Err(err) = step("undo_login_profile", self.iam.delete_login_profile(name)).await
        {
            error!(aws_error = %err.code, "could not remove the undelivered one-time password");
            note = format!(
                "; removing the undelivered one-time password also failed ({}). \
                 A retry of this event replaces that password before emailing a new one",
                err.code
            );
        }
        if let Err(err) = step(
            "mark_failed",
            self.iam.tag_user(name, &marker_tags(STATUS_FAILED)),
        )
        .await
        {
            warn!(
                aws_error = %err.code,
                "could not mark the attempt failed; a retry waits until it is {IN_PROGRESS_SECONDS} s old"
            );
        }
        note
    }

    /// Looks up the user holding the employee's name and what it means.
    async fn inspect(&self, employee: &Employee) -> Result<Existing, AwsError> {
        match step("get_user", self.iam.get_user(employee.username.as_str())).await {
            Ok(Some(user)) => Ok(classify(employee, user, unix_now())),
            Ok(None) => Ok(Existing::Absent),
            // The execution role may read users only under its own path.
            Err(err) if err.is("AccessDenied") => {
                Ok(Existing::Settled(Settled::Foreign(OUTSIDE_PATH)))
            }
            Err(err) => Err(err),
        }
    }

    /// The result for an existing user that needs no work.
    fn settled(&self, employee: &Employee, settled: Settled) -> EmployeeResult {
        match settled {
            Settled::Foreign(reason) => {
                let mut result = EmployeeResult::new(employee, Status::Conflict);
                result.error = Some(ResultError {
                    code: "UserConflict".into(),
                    message: format!("{reason}; nothing was changed"),
                    field: Some("username".into()),
                    step: None,
                });
                result
            }
            Settled::Complete(arn) => {
                let mut result = EmployeeResult::new(employee, Status::AlreadyOnboarded);
                result.user_arn = Some(arn);
                result
            }
            Settled::InProgress(age) => {
                let busy = AwsError {
                    code: "OnboardingInProgress".into(),
                    message: format!(
                        "another invocation started onboarding this employee {age} s ago; \
                         nothing was changed, retry after {IN_PROGRESS_SECONDS} s"
                    ),
                };
                EmployeeResult::failed(employee, "get_user", &busy, "")
            }
        }
    }

    /// Dry run: checks the name with one read and reports the calls a real run would make.
    async fn plan(&self, employee: &Employee) -> EmployeeResult {
        let name = employee.username.as_str();
        match self.inspect(employee).await {
            Ok(Existing::Absent | Existing::Pending(_)) => {}
            Ok(Existing::Settled(settled)) => return self.settled(employee, settled),
            Err(err) => return EmployeeResult::failed(employee, "get_user", &err, ""),
        }
        let config = &self.config;
        let mut plan = vec![format!(
            "CreateUser {name} under {} with tags {} and {}",
            config.user_path.as_str(),
            employee
                .tags
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            match &config.permissions_boundary_arn {
                Some(arn) => format!("permissions boundary {arn}"),
                None => "no permissions boundary".into(),
            }
        )];
        plan.push(
            "CreateLoginProfile with a one-time password (PasswordResetRequired=true)".into(),
        );
        plan.push(format!(
            "AttachUserPolicy {}",
            config.self_manage_policy_arn
        ));
        plan.extend(
            employee
                .groups
                .iter()
                .map(|g| format!("AddUserToGroup {}", g.as_str())),
        );
        plan.push(format!(
            "SendEmail from {} to {} with the sign-in instructions",
            config.sender.as_str(),
            employee.email.as_str()
        ));
        plan.push(format!("TagUser {STATUS_TAG}=complete"));
        let mut result = EmployeeResult::new(employee, Status::DryRun);
        result.plan = Some(plan);
        result
    }
}

/// The tags of every status update: the marker (the execution role allows
/// TagUser only with it) and the status.
fn marker_tags(status: &str) -> Vec<(String, String)> {
    vec![
        (MANAGED_BY_TAG.to_string(), MANAGED_BY_VALUE.to_string()),
        (STATUS_TAG.to_string(), status.to_string()),
    ]
}

/// [`marker_tags`] plus the start time of this attempt.
fn attempt_tags(status: &str) -> Vec<(String, String)> {
    let mut tags = marker_tags(status);
    tags.push((STARTED_AT_TAG.to_string(), unix_now().to_string()));
    tags
}

/// Conflict reason when the name exists but the role may not even read the user.
const OUTSIDE_PATH: &str = "an IAM user with this name exists outside this function's user path";

/// Appended to failures that leave a pending user behind.
const PENDING_NOTE: &str =
    "; the user is left pending without a console password, and a retry of this event completes it";

#[cfg(test)]
#[path = "onboard_tests.rs"]
mod tests;
