//! The `resend` action: a fresh one-time password and the welcome email again,
//! for a user whose first one expired or got lost.
//!
//! Only for the person's user at the address it was onboarded with
//! ([`super::lookup::find_person_exactly`]) whose `OnboardingStatus` is
//! `complete` or `expired`, and, without `force`, only when `GetUser` says the
//! password was never used. Then: `CreateLoginProfile` (or `UpdateLoginProfile`,
//! which replaces the old password, so exactly one valid password exists) with
//! reset required → with `PASSWORD_DELIVERY=link`, a new reveal link that
//! retires the previous one ([`crate::reveal`]) → `SendEmail` →
//! `TagUser OnboardingStatus=complete`.
//! A failure after the password may have been set removes the login profile again
//! and tags the user `expired` (no undelivered password works; a retry resends).

use tokio::sync::OnceCell;
use tracing::{error, info, info_span, warn};

use super::lookup::{Lookup, find_person_exactly};
use crate::aws::AwsError;
use crate::aws::account::AccountSettings;
use crate::aws::iam::{ExistingUser, Iam};
use crate::aws::ses::Ses;
use crate::batch::for_each_entry;
use crate::config::Config;
use crate::hr::{Employee, ResendRequest, mask_emails_in};
use crate::identity::ownership::{
    Person, STATUS_COMPLETE, STATUS_EXPIRED, STATUS_TAG, marker_tags,
};
use crate::identity::password::OneTimePassword;
use crate::identity::welcome_email::WelcomeEmail;
use crate::identity::{AccountContext, EmployeeResult, ResultError, Status, Step};
use crate::lease::Leases;
use crate::reveal::PasswordHandover;

/// Runs resend requests against IAM and SES. Build one per container.
pub struct Resender {
    iam: Iam,
    ses: Ses,
    config: Config,
    account: OnceCell<AccountSettings>,
    leases: Leases,
    handover: PasswordHandover,
}

/// Why a user may not get a new password; `None` when it may.
fn refusal(user: &ExistingUser, force: bool) -> Option<ResultError> {
    let (code, message) = match user.tag(STATUS_TAG) {
        Some(STATUS_COMPLETE | STATUS_EXPIRED) if user.password_last_used.is_some() && !force => (
            "PasswordAlreadyUsed",
            "the user has already signed in with their password; send \"force\": true to \
             replace it anyway; nothing was changed"
                .to_string(),
        ),
        Some(STATUS_COMPLETE | STATUS_EXPIRED) => return None,
        status => (
            "NotResendable",
            format!(
                "the user's {STATUS_TAG} is {}; a resend needs {STATUS_COMPLETE} or \
                 {STATUS_EXPIRED} (onboard a pending, failed or offboarded user instead); \
                 nothing was changed",
                status.unwrap_or("absent")
            ),
        ),
    };
    Some(ResultError {
        code: code.into(),
        message,
        field: None,
        step: None,
    })
}

impl Resender {
    /// A resender using these adapters and configuration.
    pub fn new(iam: Iam, ses: Ses, config: Config) -> Self {
        Self {
            iam,
            ses,
            config,
            account: OnceCell::new(),
            leases: Leases::new(None),
            handover: PasswordHandover::email(),
        }
    }

    /// The same resender, handing the password over with `handover` (without
    /// it, in the email itself).
    pub fn with_password_handover(mut self, handover: PasswordHandover) -> Self {
        self.handover = handover;
        self
    }

    /// The same resender, taking each employee's lease first with `leases`.
    pub fn with_leases(mut self, leases: Leases) -> Self {
        self.leases = leases;
        self
    }

    /// Resends to every employee of `request` as `attempt` (the request id),
    /// each under the employee's lease unless a dry run; one result per
    /// employee, in request order.
    pub async fn run(
        &self,
        request: ResendRequest,
        account: &AccountContext,
        attempt: &str,
    ) -> Vec<EmployeeResult> {
        let (force, dry_run) = (request.force, request.request.dry_run);
        for_each_entry(
            request.request.employees,
            attempt,
            |employee: &Employee| {
                info_span!(
                    "resend",
                    employee_id = employee.employee_id.as_deref().unwrap_or("-"),
                    username = %mask_emails_in(employee.username.as_str()),
                    email = %employee.email.masked(),
                    force,
                )
            },
            |attempt, employee: Employee| async move {
                let work = self.resend_one(&employee, force, dry_run, account);
                (self.leases)
                    .guard_writes(dry_run, employee.username.as_str(), &attempt, work)
                    .await
            },
        )
        .await
    }

    async fn resend_one(
        &self,
        employee: &Employee,
        force: bool,
        dry_run: bool,
        account: &AccountContext,
    ) -> EmployeeResult {
        let name = employee.username.as_str();
        let person = Person::from(employee);
        let user =
            match find_person_exactly(&self.iam, &person, self.config.user_path.as_str()).await {
                Lookup::Found(user, _) => user,
                Lookup::Refused(result) => return *result,
            };
        let mut result = EmployeeResult::for_user(name, Status::Resent);
        result.user_arn = Some(user.arn.clone());
        if let Some(error) = refusal(&user, force) {
            info!(code = %error.code, "resend refused");
            result.status = Status::Conflict;
            result.error = Some(error);
            return result;
        }
        if dry_run {
            result.status = Status::DryRun;
            result.plan = Some(vec![
                "CreateLoginProfile (UpdateLoginProfile when one exists), reset required".into(),
                format!("SendEmail to {}", employee.email.masked()),
                format!("TagUser {STATUS_TAG}={STATUS_COMPLETE}"),
            ]);
            return result;
        }
        let settings = match self
            .account
            .get_or_try_init(|| {
                AccountSettings::read(&self.iam, self.config.signin_url.as_deref(), account)
            })
            .await
        {
            Ok(settings) => settings,
            Err(err) => {
                return result.with_failure(
                    Step::ReadAccountSettings,
                    &err,
                    "; nothing was changed",
                );
            }
        };
        let password = OneTimePassword::generate(&settings.password_policy, &mut rand::rng());
        let delivered = self
            .deliver(employee, &settings.signin_url, &password)
            .await;
        let message_id = match delivered {
            Ok((id, warning)) => {
                if let Some(warning) = warning {
                    result.add_warning(&warning);
                }
                id
            }
            Err((step, err)) => {
                let note = self.undo(name).await;
                return result.with_failure(step, &err, &note);
            }
        };
        result.email_message_id = Some(message_id);
        if let Err(err) = Step::MarkComplete
            .run(self.iam.tag_user(name, &marker_tags(STATUS_COMPLETE)))
            .await
        {
            error!(aws_error = %err.code, "email sent but the user could not be marked complete");
            result.add_warning(&format!(
                "the email was sent, but tagging the user {STATUS_TAG}={STATUS_COMPLETE} failed \
                 ({}); set that tag by hand",
                err.code
            ));
        }
        result
    }

    /// Sets the one-time password, hands it over (a new link, or the email) and
    /// emails it; the SES message id and a warning from the handover.
    async fn deliver(
        &self,
        employee: &Employee,
        signin_url: &str,
        password: &OneTimePassword,
    ) -> Result<(String, Option<String>), (Step, AwsError)> {
        let name = employee.username.as_str();
        Step::CreateLoginProfile
            .attempt(self.iam.set_one_time_password(name, password))
            .await?;
        let prepared = Box::pin(self.handover.prepare(name, password, signin_url)).await?;
        let email = WelcomeEmail {
            given_name: employee.given_name.as_deref(),
            username: name,
            signin_url,
            credential: prepared.credential(password),
        }
        .render();
        let message_id = Step::SendEmail
            .attempt(self.ses.send(
                self.config.sender.as_str(),
                employee.email.as_str(),
                &email,
                self.config.ses_configuration_set.as_deref(),
            ))
            .await?;
        Ok((message_id, prepared.warning))
    }

    /// After a failure once the password may have been set: removes the login
    /// profile (so no undelivered password works) and tags the user `expired`.
    /// Returns a note for the result message.
    async fn undo(&self, name: &str) -> String {
        let mut note = format!(
            "; the new one-time password was removed again (the user has no console password \
             and is tagged {STATUS_EXPIRED}), and a retry of this request sends a new one"
        );
        if let Err(err) = Step::UndoLoginProfile
            .run(self.iam.delete_login_profile(name))
            .await
        {
            error!(aws_error = %err.code, "could not remove the undelivered one-time password");
            return format!(
                "; removing the undelivered one-time password also failed ({}); a retry of \
                 this request replaces it before emailing a new one",
                err.code
            );
        }
        if let Err(err) = Step::MarkExpired
            .run(self.iam.tag_user(name, &marker_tags(STATUS_EXPIRED)))
            .await
        {
            warn!(aws_error = %err.code, "could not tag the user expired after the undo");
            note = format!(
                "; the new one-time password was removed again (the user has no console \
                 password), but tagging it {STATUS_EXPIRED} failed ({}); a retry of this \
                 request sends a new one",
                err.code
            );
        }
        note
    }
}
