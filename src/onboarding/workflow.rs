//! The onboarding workflow: create the user, set a one-time password, grant the
//! self-manage policy and groups, email the password, record completion. How a
//! retry or a concurrent run is recognised is in [`super::ownership`]. An
//! onboard of a person with a pending offboarding (a future `effectiveAt`) is a
//! rehire: the offboarding is cancelled.

use futures::future::try_join_all;
use serde_json::Value;
use tokio::sync::OnceCell;
use tracing::{Instrument, error, info, info_span, warn};

use super::existing::{Existing, Settled};
use super::plan::onboarding_plan;
use crate::aws::AwsError;
use crate::aws::account::AccountSettings;
use crate::aws::iam::Iam;
use crate::aws::ses::Ses;
use crate::batch::for_each_entry;
use crate::config::Config;
use crate::deadline::Deadline;
use crate::hr::{Employee, FieldError, OnboardingRequest, mask_emails_in};
use crate::identity::ownership::{
    IN_PROGRESS_SECONDS, OFFBOARDED_AT_TAG, OUTSIDE_PATH, SCIM_DELETED_AT_TAG, STATUS_COMPLETE,
    STATUS_FAILED, STATUS_PENDING, STATUS_TAG, attempt_tags, in_progress, marker_tags, unix_now,
};
use crate::identity::{
    AccountContext, EmployeeResult, OneTimePassword, ResultError, Status, Step, WelcomeEmail,
};
use crate::lease::Leases;
use crate::reveal::PasswordHandover;
use crate::schedule::PendingOffboardings;

/// Appended to failures that leave a pending user behind.
const PENDING_NOTE: &str =
    "; the user is left pending without a console password, and a retry of this event completes it";

/// Appended when a pending offboarding could not be cancelled.
const CANCEL_NOTE: &str = "; the person's pending offboarding still stands, and a retry of this \
     event cancels it";

/// Runs onboarding requests against IAM and SES. Build one per container.
pub struct Onboarder {
    iam: Iam,
    ses: Ses,
    config: Config,
    pending: PendingOffboardings,
    leases: Leases,
    handover: PasswordHandover,
    account: OnceCell<AccountSettings>,
}

impl Onboarder {
    /// An onboarder using these adapters and configuration.
    pub fn new(iam: Iam, ses: Ses, config: Config) -> Self {
        Self {
            iam,
            ses,
            config,
            pending: PendingOffboardings::default(),
            leases: Leases::new(None),
            handover: PasswordHandover::email(),
            account: OnceCell::new(),
        }
    }

    /// The same onboarder, handing the password over with `handover` (without
    /// it, in the email itself).
    pub fn with_password_handover(mut self, handover: PasswordHandover) -> Self {
        self.handover = handover;
        self
    }

    /// The same onboarder, cancelling a rehired person's pending offboarding with
    /// `pending`; without it there is nothing to cancel.
    pub fn with_pending_offboardings(mut self, pending: PendingOffboardings) -> Self {
        self.pending = pending;
        self
    }

    /// The same onboarder, serialising runs per person with `leases`.
    pub fn with_leases(mut self, leases: Leases) -> Self {
        self.leases = leases;
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Validates a request payload against this function's allowed groups.
    pub fn parse_request(&self, payload: &Value) -> Result<OnboardingRequest, FieldError> {
        OnboardingRequest::parse(payload, &self.config.allowed_groups)
    }

    /// Onboards every employee of `request` (at most
    /// [`crate::batch::BATCH_CONCURRENCY`] at a time); one result per employee, in
    /// request order. `attempt` identifies this invocation (the Lambda request id);
    /// entry `i` of the request runs as attempt `"{attempt}/{i}"` (see [`crate::lease`]).
    pub async fn run(
        &self,
        request: OnboardingRequest,
        account: &AccountContext,
        attempt: &str,
    ) -> Vec<EmployeeResult> {
        let dry_run = request.dry_run;
        for_each_entry(
            request.employees,
            attempt,
            |employee: &Employee| {
                info_span!(
                    "onboard",
                    employee_id = employee.employee_id.as_deref().unwrap_or("-"),
                    username = %mask_emails_in(employee.username.as_str()),
                    email = %employee.email.masked(),
                )
            },
            |attempt, employee: Employee| async move {
                self.onboard_one(&employee, dry_run, account, &attempt)
                    .await
            },
        )
        .await
    }

    async fn account_settings(
        &self,
        account: &AccountContext,
    ) -> Result<&AccountSettings, AwsError> {
        self.account
            .get_or_try_init(|| {
                AccountSettings::read(&self.iam, self.config.signin_url.as_deref(), account)
            })
            .await
    }

    async fn onboard_one(
        &self,
        employee: &Employee,
        dry_run: bool,
        account: &AccountContext,
        attempt: &str,
    ) -> EmployeeResult {
        if dry_run {
            return self.plan(employee).await;
        }
        // One email per hire, paced to SES's rate: a hire whose email could not go
        // out (and be undone) before the deadline is not started at all.
        let ticket = self.ses.queue().await;
        if !Deadline::allows_start_after(ticket.wait) {
            info!(
                queue_ms = ticket.wait.as_millis(),
                "not started: the invocation's deadline comes before this hire's email could"
            );
            return EmployeeResult::not_started(employee.username.as_str());
        }
        let work = self.onboard_exclusive(employee, account, attempt);
        let result = self
            .leases
            .guard(employee.username.as_str(), attempt, work)
            .await;
        drop(ticket);
        result
    }

    /// [`Self::onboard_one`] once the person's lease is held.
    async fn onboard_exclusive(
        &self,
        employee: &Employee,
        account: &AccountContext,
        attempt: &str,
    ) -> EmployeeResult {
        let name = employee.username.as_str();
        let mut tags = employee.tags.clone();
        tags.extend(attempt_tags(STATUS_PENDING, attempt).into_iter().skip(1));
        let create = Step::CreateUser.run(self.iam.create_user(
            name,
            self.config.user_path.as_str(),
            &tags,
            self.config.permissions_boundary_arn.as_deref(),
        ));
        let (created, settings) = tokio::join!(create, self.account_settings(account));
        let mut offboarding_cancelled = false;
        let user_arn = match created {
            Ok(arn) => arn,
            Err(err) if err.is("EntityAlreadyExists") => {
                match self.inspect(employee, attempt).await {
                    Ok(Existing::Own(arn)) => {
                        info!(
                            step = "resume",
                            "user exists and carries this attempt's claim (a lost response); continuing"
                        );
                        arn
                    }
                    Ok(Existing::Pending(arn)) => {
                        match self.resume(employee, false, account, attempt).await {
                            Ok(_) => arn,
                            Err(result) => return *result,
                        }
                    }
                    Ok(Existing::Rehire(arn)) => {
                        match self.resume(employee, true, account, attempt).await {
                            Ok(cancelled) => {
                                offboarding_cancelled = cancelled;
                                arn
                            }
                            Err(result) => return *result,
                        }
                    }
                    Ok(Existing::Settled(settled)) => {
                        return self.still_here(employee, settled).await;
                    }
                    Ok(Existing::Absent) => {
                        let gone = AwsError {
                            code: "NoSuchEntity".into(),
                            message: "the user vanished".into(),
                        };
                        return EmployeeResult::failed(employee, Step::GetUser, &gone, "");
                    }
                    Err(err) => return EmployeeResult::failed(employee, Step::GetUser, &err, ""),
                }
            }
            Err(err) => return EmployeeResult::failed(employee, Step::CreateUser, &err, ""),
        };
        let settings = match settings {
            Ok(settings) => settings,
            Err(err) => {
                let note = self.abandon(name, false).await;
                return EmployeeResult::failed(employee, Step::ReadAccountSettings, &err, &note);
            }
        };

        let password = OneTimePassword::generate(&settings.password_policy, &mut rand::rng());
        let set_password =
            Step::CreateLoginProfile.run(self.iam.set_one_time_password(name, &password));
        let (password_set, granted) = tokio::join!(set_password, self.grant_access(employee));
        if let Err(err) = password_set {
            let note = self.abandon(name, true).await;
            return EmployeeResult::failed(employee, Step::CreateLoginProfile, &err, &note);
        }
        if let Err((failed_step, err)) = granted {
            let note = self.abandon(name, true).await;
            return EmployeeResult::failed(employee, failed_step, &err, &note);
        }

        let prepared =
            match Box::pin(self.handover.prepare(name, &password, &settings.signin_url)).await {
                Ok(prepared) => prepared,
                Err((failed_step, err)) => {
                    let note = self.abandon(name, true).await;
                    return EmployeeResult::failed(employee, failed_step, &err, &note);
                }
            };
        let email = WelcomeEmail {
            given_name: employee.given_name.as_deref(),
            username: name,
            signin_url: &settings.signin_url,
            credential: prepared.credential(&password),
        }
        .render();
        let sent = Step::SendEmail
            .run(self.ses.send(
                self.config.sender.as_str(),
                employee.email.as_str(),
                &email,
                self.config.ses_configuration_set.as_deref(),
            ))
            .await;
        let message_id = match sent {
            Ok(id) => id,
            Err(err) => {
                let note = self.abandon(name, true).await;
                return EmployeeResult::failed(employee, Step::SendEmail, &err, &note);
            }
        };

        let mut result = EmployeeResult::new(employee, Status::Created);
        result.user_arn = Some(user_arn);
        result.email_message_id = Some(message_id);
        result.offboarding_cancelled = offboarding_cancelled;
        if let Some(warning) = &prepared.warning {
            result.add_warning(warning);
        }
        let complete = marker_tags(STATUS_COMPLETE);
        if let Err(err) = Step::MarkComplete
            .run(self.iam.tag_user(name, &complete))
            .await
        {
            error!(aws_error = %err.code, "email sent but the user could not be marked complete");
            result.add_warning(&format!(
                "the email was sent, but tagging the user {STATUS_TAG}=complete failed ({}); \
                 set that tag by hand, or a retry of this event will send a new password",
                err.code
            ));
        }
        result
    }

    /// Claims an existing user for this attempt (so a concurrent delivery of the
    /// event backs off) and, for a `rehire`, cancels a pending offboarding (its
    /// schedule would offboard the person again) and ends its offboarded state.
    /// `true` when an offboarding was pending.
    async fn resume(
        &self,
        employee: &Employee,
        rehire: bool,
        account: &AccountContext,
        attempt: &str,
    ) -> Result<bool, Box<EmployeeResult>> {
        info!(
            step = "resume",
            rehire, "user exists and is not complete; completing its onboarding"
        );
        let name = employee.username.as_str();
        let claim = attempt_tags(STATUS_PENDING, attempt);
        if let Err(err) = Step::ClaimUser.run(self.iam.tag_user(name, &claim)).await {
            return Err(Box::new(EmployeeResult::failed(
                employee,
                Step::ClaimUser,
                &err,
                "",
            )));
        }
        if !rehire {
            return Ok(false);
        }
        let cancelled = match self.pending.cancel(name).await {
            Ok(cancelled) => cancelled,
            Err(err) => {
                let note = self.abandon(name, false).await;
                return Err(Box::new(EmployeeResult::failed(
                    employee,
                    Step::CancelSchedule,
                    &err,
                    &note,
                )));
            }
        };
        if let Err((step, err)) = self.end_offboarded_state(name, account).await {
            let note = self.abandon(name, false).await;
            return Err(Box::new(EmployeeResult::failed(
                employee, step, &err, &note,
            )));
        }
        Ok(cancelled)
    }

    /// Rehire of an offboarded user: detaches `AWSDenyAll`, then removes the
    /// `OffboardedAt` tag (and `ScimDeletedAt`, which hides a user from SCIM), whose presence tells a retry that this is still to do.
    /// Old credentials stay inactive.
    async fn end_offboarded_state(
        &self,
        name: &str,
        account: &AccountContext,
    ) -> Result<(), (Step, AwsError)> {
        Step::LiftDeny
            .run(
                self.iam
                    .detach_user_policy(name, &account.deny_all_policy_arn()),
            )
            .await
            .map_err(|e| (Step::LiftDeny, e))?;
        Step::ClearOffboarded
            .run(self.iam.untag_user(
                name,
                &[
                    OFFBOARDED_AT_TAG.to_string(),
                    SCIM_DELETED_AT_TAG.to_string(),
                ],
            ))
            .await
            .map_err(|e| (Step::ClearOffboarded, e))
    }

    /// Attaches the self-manage policy and adds the groups, all concurrently.
    async fn grant_access(&self, employee: &Employee) -> Result<(), (Step, AwsError)> {
        let name = employee.username.as_str();
        let attach = async {
            Step::AttachPolicy
                .run(
                    self.iam
                        .attach_user_policy(name, &self.config.self_manage_policy_arn),
                )
                .await
                .map_err(|e| (Step::AttachPolicy, e))
        };
        let groups = try_join_all(employee.groups.iter().map(|group| async move {
            let span = info_span!("group", group = group.as_str());
            Step::AddToGroup
                .run(self.iam.add_user_to_group(name, group.as_str()))
                .instrument(span)
                .await
                .map_err(|e| (Step::AddToGroup, e))
        }));
        futures::try_join!(attach, groups).map(|_| ())
    }

    /// After a failure on an existing user: removes the login profile when one may
    /// have been set (so no undelivered password works), then marks the attempt
    /// `failed` so a retry may resume at once. Returns a note for the result message.
    async fn abandon(&self, name: &str, remove_password: bool) -> String {
        let mut note = PENDING_NOTE.to_string();
        if remove_password
            && let Err(err) = Step::UndoLoginProfile
                .run(self.iam.delete_login_profile(name))
                .await
        {
            error!(aws_error = %err.code, "could not remove the undelivered one-time password");
            note = format!(
                "; removing the undelivered one-time password also failed ({}). \
                 A retry of this event replaces that password before emailing a new one",
                err.code
            );
        }
        if let Err(err) = Step::MarkFailed
            .run(self.iam.tag_user(name, &marker_tags(STATUS_FAILED)))
            .await
        {
            warn!(
                aws_error = %err.code,
                "could not mark the attempt failed; a retry waits until it is {IN_PROGRESS_SECONDS} s old"
            );
        }
        note
    }

    /// Looks up the user holding the employee's name and what it means to `attempt`.
    async fn inspect(&self, employee: &Employee, attempt: &str) -> Result<Existing, AwsError> {
        match Step::GetUser
            .run(self.iam.get_user(employee.username.as_str()))
            .await
        {
            Ok(Some(user)) => Ok(Existing::judge(
                employee,
                user,
                unix_now(),
                attempt,
                self.leases.is_enabled(),
            )),
            Ok(None) => Ok(Existing::Absent),
            // The execution role may read users only under its own path.
            Err(err) if err.is("AccessDenied") => {
                Ok(Existing::Settled(Settled::Foreign(OUTSIDE_PATH)))
            }
            Err(err) => Err(err),
        }
    }

    /// [`Self::settled`] in a real run: a complete user whose offboarding is
    /// pending is a rehire before the last day, so that offboarding is cancelled.
    async fn still_here(&self, employee: &Employee, settled: Settled) -> EmployeeResult {
        let mut result = self.settled(employee, settled);
        if result.status == Status::AlreadyOnboarded {
            match self.pending.cancel(employee.username.as_str()).await {
                Ok(cancelled) => result.offboarding_cancelled = cancelled,
                Err(err) => return result.with_failure(Step::CancelSchedule, &err, CANCEL_NOTE),
            }
        }
        result
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
            Settled::LateHire(at) => {
                let when = chrono::DateTime::from_timestamp(at, 0).map_or_else(
                    || "at an unreadable time".into(),
                    |t| format!("at {}", t.to_rfc3339()),
                );
                let mut result = EmployeeResult::new(employee, Status::Conflict);
                result.error = Some(ResultError {
                    code: "UserConflict".into(),
                    message: format!(
                        "this person was offboarded {when}; a hire is a rehire only when its \
                         hireDate is after that or it says rehire: true (otherwise it is taken \
                         for a late or replayed hire event); nothing was changed"
                    ),
                    field: Some("hireDate".into()),
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
                EmployeeResult::failed(employee, Step::GetUser, &in_progress(age), "")
            }
        }
    }

    /// Dry run: checks the name with one read and reports the calls a real run would make.
    async fn plan(&self, employee: &Employee) -> EmployeeResult {
        match self.inspect(employee, "").await {
            Ok(
                Existing::Absent | Existing::Own(_) | Existing::Pending(_) | Existing::Rehire(_),
            ) => {}
            Ok(Existing::Settled(settled)) => return self.settled(employee, settled),
            Err(err) => return EmployeeResult::failed(employee, Step::GetUser, &err, ""),
        }
        let mut result = EmployeeResult::new(employee, Status::DryRun);
        result.plan = Some(onboarding_plan(&self.config, employee));
        result
    }
}
