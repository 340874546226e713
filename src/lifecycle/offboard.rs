//! The offboarding workflow (leavers), ordered so that access ends first:
//! 1. attach `AWSDenyAll`: an explicit deny also stops temporary credentials the
//!    user already obtained (`GetSessionToken`), since a user's policies are
//!    evaluated on every request;
//! 2. delete the login profile (console access);
//! 3. set every access key, SSH public key, signing certificate and
//!    service-specific credential `Inactive` (kept for audit);
//! 4. remove the user from the groups in `ALLOWED_GROUPS` (never from others);
//! 5. tag `OnboardingStatus=offboarded` and `OffboardedAt`.
//!
//! Every step is idempotent, and the status tag is written last, so a fault at
//! any step leaves a user that the retry of the same event completes; a user is
//! reported `offboarded` only after all five succeeded.
//!
//! A future `effectiveAt` creates (or replaces) a one-time EventBridge Scheduler
//! schedule in the configured group instead, which invokes this function with
//! the same offboarding then and deletes itself ([`crate::schedule`]); an
//! offboarding done now deletes a pending one.

use tracing::{Instrument, info, info_span, warn};

use super::lookup::{Lookup, find_person_exactly};
use crate::aws::AwsError;
use crate::aws::iam::{CredentialKind, ExistingUser, Iam};
use crate::aws::scheduler::{OneTimeSchedule, Scheduler};
use crate::batch::for_each_entry;
use crate::config::Config;
use crate::hr::{FieldError, Leaver, OffboardingRequest, mask_emails_in};
use crate::identity::ownership::{
    LEAVER_DROPPABLE_TAGS, OFFBOARDED_AT_TAG, Person, STATUS_OFFBOARDED, STATUS_TAG, in_progress,
    marker_tags, tags_to_drop, unix_now,
};
use crate::identity::{AccountContext, EmployeeResult, Status, Step};
use crate::lease::Leases;
use crate::schedule::{PendingOffboardings, schedule_at, schedule_input, schedule_name};

/// Appended to failures: what the user is left with, and what to do.
const RETRY_NOTE: &str = "; the steps before it are done (AWSDenyAll is attached once the first \
     step succeeded), and a retry of this event completes the offboarding";

/// Runs offboarding requests against IAM. Build one per container.
pub struct Offboarder {
    iam: Iam,
    scheduler: Scheduler,
    pending: PendingOffboardings,
    config: Config,
    leases: Leases,
}

impl Offboarder {
    /// An offboarder using these adapters and configuration.
    pub fn new(iam: Iam, scheduler: Scheduler, config: Config) -> Self {
        Self {
            pending: PendingOffboardings::new(
                scheduler.clone(),
                config.offboarding_schedules.clone(),
            ),
            iam,
            scheduler,
            config,
            leases: Leases::new(None),
        }
    }

    /// The same offboarder, taking each leaver's lease first with `leases`.
    pub fn with_leases(mut self, leases: Leases) -> Self {
        self.leases = leases;
        self
    }

    /// Offboards every leaver of `request` as `attempt` (the request id; entry `i`
    /// runs as `"{attempt}/{i}"`), each under the leaver's lease unless a dry run;
    /// one result per leaver, in request order.
    pub async fn run(
        &self,
        request: OffboardingRequest,
        account: &AccountContext,
        attempt: &str,
    ) -> Vec<EmployeeResult> {
        let dry_run = request.dry_run;
        for_each_entry(
            request.leavers,
            attempt,
            |leaver: &Leaver| {
                info_span!(
                    "offboard",
                    employee_id = leaver.employee_id.as_deref().unwrap_or("-"),
                    username = %mask_emails_in(leaver.username.as_str()),
                    email = %leaver.email.as_ref().map_or("-".into(), |e| e.masked()),
                )
            },
            |attempt, leaver: Leaver| async move {
                let work = self.offboard_one(&leaver, dry_run, account);
                (self.leases)
                    .guard_writes(dry_run, leaver.username.as_str(), &attempt, work)
                    .await
            },
        )
        .await
    }

    async fn offboard_one(
        &self,
        leaver: &Leaver,
        dry_run: bool,
        account: &AccountContext,
    ) -> EmployeeResult {
        let name = leaver.username.as_str();
        let person = Person {
            username: name,
            employee_id: leaver.employee_id.as_deref(),
            email_hash: leaver.email.as_ref().map(|e| e.sha256_hex()),
            user_id: leaver.user_id.as_deref(),
        };
        let path = self.config.user_path.as_str();
        let user = match find_person_exactly(&self.iam, &person, path).await {
            Lookup::Found(user, _) => user,
            Lookup::Refused(result) => return *result,
        };
        let mut result = EmployeeResult::for_user(name, Status::Offboarded);
        result.user_arn = Some(user.arn.clone());
        if user.tag(STATUS_TAG) == Some(STATUS_OFFBOARDED) {
            result.status = Status::AlreadyOffboarded;
            return result;
        }
        if let Some(age) = self.leases.unfinished_claim(&user) {
            return result.with_failure(Step::GetUser, &in_progress(age), "");
        }
        if let Some(at) = leaver.effective_at.filter(|at| *at > unix_now()) {
            return self.schedule(leaver, at, dry_run, account, result).await;
        }
        if dry_run {
            result.status = Status::DryRun;
            result.plan = Some(self.plan(name, account));
            return result;
        }
        match self.end_access(&user, name, account).await {
            Ok((removed_from, dropped)) => {
                result.groups = removed_from;
                if !dropped.is_empty() {
                    result.add_warning(&format!(
                        "IAM's 50 tags per user were reached: removed {} (not needed for a \
                         leaver) to record the offboarding",
                        dropped.join(", ")
                    ));
                }
                if let Some(warning) = self.cancel_schedule(name).await {
                    result.add_warning(&warning);
                }
                result
            }
            Err((step, err)) => result.with_failure(step, &err, RETRY_NOTE),
        }
    }

    /// A future offboarding: one schedule per user, created or replaced. Without
    /// scheduler settings it is refused, and nothing is written.
    async fn schedule(
        &self,
        leaver: &Leaver,
        at: i64,
        dry_run: bool,
        account: &AccountContext,
        mut result: EmployeeResult,
    ) -> EmployeeResult {
        let Some(settings) = &self.config.offboarding_schedules else {
            let error = FieldError::new(
                "employee.effectiveAt",
                "is in the future, and this deployment has no OFFBOARDING_SCHEDULE_GROUP to \
                 schedule it; send the offboarding on the day",
            );
            return EmployeeResult::rejected(&error);
        };
        let name = schedule_name(leaver.username.as_str());
        let when = schedule_at(at);
        result.status = Status::Scheduled;
        result.scheduled_at = Some(format!("{when}Z"));
        if dry_run {
            result.status = Status::DryRun;
            result.plan = Some(vec![format!(
                "{} {name} in {} at({when}) UTC, invoking {} with this offboarding",
                Step::ScheduleOffboarding.operation(),
                settings.group,
                account.function_arn
            )]);
            return result;
        }
        let input = schedule_input(leaver).to_string();
        let schedule = OneTimeSchedule {
            name: &name,
            group: &settings.group,
            at: &when,
            target_arn: &account.function_arn,
            role_arn: &settings.role_arn,
            input: &input,
        };
        match Step::ScheduleOffboarding
            .run(self.scheduler.put_one_time(&schedule))
            .await
        {
            Ok(()) => result,
            Err(err) => result.with_failure(
                Step::ScheduleOffboarding,
                &err,
                "; nothing was changed, a retry of this event schedules it",
            ),
        }
    }

    /// After an offboarding done now: deletes a pending schedule of the same user
    /// (it would only find the user offboarded). A failure is a warning.
    async fn cancel_schedule(&self, name: &str) -> Option<String> {
        self.pending.cancel(name).await.err().map(|err| {
            format!(
                "offboarded, but a pending schedule could not be deleted ({}); when it runs it \
                 finds the user offboarded and changes nothing",
                err.code
            )
        })
    }

    /// Steps 1–5; returns the allowed groups the user was removed from, and the
    /// tags removed to make room for the offboarded state (IAM's tag limit).
    async fn end_access(
        &self,
        user: &ExistingUser,
        name: &str,
        account: &AccountContext,
    ) -> Result<(Vec<String>, Vec<String>), (Step, AwsError)> {
        let at = |step: Step| move |err: AwsError| (step, err);
        Step::DenyAll
            .run(
                self.iam
                    .attach_user_policy(name, &account.deny_all_policy_arn()),
            )
            .await
            .map_err(at(Step::DenyAll))?;
        Step::RemoveLoginProfile
            .run(self.iam.delete_login_profile(name))
            .await
            .map_err(at(Step::RemoveLoginProfile))?;
        for kind in CredentialKind::ALL {
            let span = info_span!("credentials", kind = kind.as_str());
            async {
                let credentials = Step::ListCredentials
                    .run(self.iam.list_credentials(name, kind))
                    .await
                    .map_err(at(Step::ListCredentials))?;
                for credential in credentials.iter().filter(|c| c.active) {
                    Step::DeactivateCredential
                        .run(self.iam.deactivate_credential(name, credential))
                        .await
                        .map_err(at(Step::DeactivateCredential))?;
                }
                Ok(())
            }
            .instrument(span)
            .await?;
        }
        let removed = self.leave_allowed_groups(name).await?;
        let mut done = marker_tags(STATUS_OFFBOARDED);
        done.push((OFFBOARDED_AT_TAG.to_string(), unix_now().to_string()));
        let dropped = match Step::MarkOffboarded
            .run(self.iam.tag_user(name, &done))
            .await
        {
            Ok(()) => Vec::new(),
            // IAM's 50 tags are full (HR tags, the employee's key descriptions): a leaver
            // must still end offboarded, so tags a leaver does not need make room.
            Err(err) if err.is("LimitExceeded") => self.make_room(name, &done).await?,
            Err(err) => return Err((Step::MarkOffboarded, err)),
        };
        info!(user_arn = %user.arn, "offboarded");
        Ok((removed, dropped))
    }

    /// After `TagUser` of `tags` met IAM's tag limit: reads the user's tags again,
    /// removes as many of [`LEAVER_DROPPABLE_TAGS`] as the new keys need (logged),
    /// and tags again. Returns the removed keys.
    async fn make_room(
        &self,
        name: &str,
        tags: &[(String, String)],
    ) -> Result<Vec<String>, (Step, AwsError)> {
        let at = |step: Step| move |err: AwsError| (step, err);
        let user = Step::GetUser
            .run(self.iam.get_user(name))
            .await
            .map_err(at(Step::GetUser))?
            .ok_or_else(|| {
                let gone = AwsError {
                    code: "NoSuchEntity".into(),
                    message: "the user was deleted during the offboarding".into(),
                };
                (Step::GetUser, gone)
            })?;
        let drop = tags_to_drop(&user.tags, tags, &LEAVER_DROPPABLE_TAGS);
        if drop.is_empty() {
            return Err((
                Step::MarkOffboarded,
                AwsError {
                    code: "LimitExceeded".into(),
                    message: "the user has 50 tags and none a leaver can do without".into(),
                },
            ));
        }
        warn!(dropped = ?drop, "tag limit reached: tags a leaver does not need removed");
        Step::MakeTagRoom
            .run(self.iam.untag_user(name, &drop))
            .await
            .map_err(at(Step::MakeTagRoom))?;
        Step::MarkOffboarded
            .run(self.iam.tag_user(name, tags))
            .await
            .map_err(at(Step::MarkOffboarded))?;
        Ok(drop)
    }

    /// Removes the user from every group of `ALLOWED_GROUPS` it is in; other groups stay.
    async fn leave_allowed_groups(&self, name: &str) -> Result<Vec<String>, (Step, AwsError)> {
        let groups = Step::ListGroups
            .run(self.iam.list_groups_for_user(name))
            .await
            .map_err(|e| (Step::ListGroups, e))?;
        let mut removed = Vec::new();
        for group in groups.iter().filter(|g| self.config.is_allowed_group(g)) {
            Step::RemoveFromGroup
                .run(self.iam.remove_user_from_group(name, group))
                .instrument(info_span!("group", group = group.as_str()))
                .await
                .map_err(|e| (Step::RemoveFromGroup, e))?;
            removed.push(group.clone());
        }
        Ok(removed)
    }

    /// Dry run: the calls a real offboarding would make.
    fn plan(&self, name: &str, account: &AccountContext) -> Vec<String> {
        vec![
            format!(
                "{} {} to {name}",
                Step::DenyAll.operation(),
                account.deny_all_policy_arn()
            ),
            format!("{} (console access)", Step::RemoveLoginProfile.operation()),
            "UpdateAccessKey, UpdateSSHPublicKey, UpdateSigningCertificate, \
             UpdateServiceSpecificCredential: every active credential to Inactive"
                .to_string(),
            format!(
                "{} for each of ALLOWED_GROUPS the user is in",
                Step::RemoveFromGroup.operation()
            ),
            format!(
                "{} {STATUS_TAG}={STATUS_OFFBOARDED}, {OFFBOARDED_AT_TAG}=<now>",
                Step::MarkOffboarded.operation()
            ),
        ]
    }
}
