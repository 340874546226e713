//! The credential sweep: one credential report, the tags of the users under
//! the path, the rules, the rails, the actions, the summary.
//!
//! Rails (also in the README, "Credential hygiene"):
//! - nothing is done when the report or any listing failed or was incomplete;
//! - only users under `USER_PATH` that carry the marker are looked at further;
//! - more destructive actions than `SWEEP_MAX_ACTIONS` → none is taken;
//! - a dry run reports every action and why, and writes nothing;
//! - every action is logged with its rule; the summary goes to `NOTIFY_TOPIC_ARN`.

use futures::StreamExt;
use tracing::{Instrument, error, info, info_span, warn};

use super::report::{UserRow, parse_report};
use super::rules::{Action, Finding, evaluate};
use super::summary::{ActionOutcome, ActionReport, Skipped, SweepOutcome, SweepSummary};
use crate::aws::AwsError;
use crate::aws::account::AccountSettings;
use crate::aws::iam::{Credential, CredentialKind, ExistingUser, Iam};
use crate::aws::ses::Ses;
use crate::aws::sns::Sns;
use crate::config::Config;
use crate::deadline::Deadline;
use crate::hr::mask_emails_in;
use crate::identity::ownership::{
    MANAGED_BY_TAG, MANAGED_BY_VALUE, MFA_REMINDED_AT_TAG, STATUS_EXPIRED, marker_tags, unix_now,
};
use crate::identity::{AccountContext, Step};
use crate::lease::Leases;

use super::reminder_email::render_mfa_reminder;

/// Users whose tags are read at the same time.
const READ_CONCURRENCY: usize = 8;
/// SNS accepts at most 256 KiB per message; the summary is cut before that.
const MAX_MESSAGE_BYTES: usize = 250_000;

/// Runs sweeps. Build one per container.
pub struct Sweeper {
    iam: Iam,
    ses: Ses,
    sns: Sns,
    config: Config,
    leases: Leases,
}

/// A managed user with what the rules found.
struct Candidate {
    name: String,
    row: UserRow,
    findings: Vec<Finding>,
}

/// A failed step of an action.
type StepError = (Step, AwsError);

/// Records that `report`'s action failed at `step` (the address masked).
fn fail(report: &mut ActionReport, step: Step, err: &AwsError) {
    report.outcome = ActionOutcome::Failed;
    report.step = Some(step);
    report.error = Some(mask_emails_in(&err.to_string()));
}

impl Sweeper {
    /// A sweeper using these adapters and configuration.
    pub fn new(iam: Iam, ses: Ses, sns: Sns, config: Config) -> Self {
        Self {
            iam,
            ses,
            sns,
            config,
            leases: Leases::new(None),
        }
    }

    /// The same sweeper, acting on each user only while holding their lease
    /// (see [`crate::lease`]), so it never races an onboarding, offboarding,
    /// update or resend of the same person.
    pub fn with_leases(mut self, leases: Leases) -> Self {
        self.leases = leases;
        self
    }

    /// Runs one sweep at the current time; publishes the summary when a topic is configured.
    pub async fn run(&self, dry_run: bool, account: &AccountContext) -> SweepSummary {
        self.run_at(dry_run, account, unix_now()).await
    }

    /// [`Sweeper::run`] at `now` (unix seconds).
    pub async fn run_at(&self, dry_run: bool, account: &AccountContext, now: i64) -> SweepSummary {
        let mut summary = self.sweep(dry_run, account, now).await;
        self.notify(&mut summary).await;
        info!(
            outcome = ?summary.outcome,
            actions = summary.actions.len(),
            failed = summary.failures(),
            skipped = summary.skipped.len(),
            "sweep finished"
        );
        summary
    }

    /// The sweep at `now` (unix seconds), without the notification.
    pub async fn sweep(&self, dry_run: bool, account: &AccountContext, now: i64) -> SweepSummary {
        let mut summary = SweepSummary::new(dry_run);
        let rows = match Step::ReadCredentialReport
            .run(self.iam.credential_report())
            .await
        {
            Ok(csv) => parse_report(&csv).map_err(|e| e.to_string()),
            Err(err) => Err(format!("reading the credential report failed ({err})")),
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(why) => {
                error!(reason = %why, "sweep aborted");
                summary.stop(SweepOutcome::Aborted, why);
                return summary;
            }
        };
        summary.users_in_report = rows.len();
        let path = self.config.user_path.as_str();
        let (under, outside): (Vec<UserRow>, Vec<UserRow>) =
            rows.into_iter().partition(|r| r.path == path);
        summary.users_outside_path = outside.len();

        let candidates = match self.read_candidates(under, now, &mut summary).await {
            Ok(candidates) => candidates,
            Err(why) => {
                error!(reason = %why, "sweep aborted");
                summary.actions.clear();
                summary.stop(SweepOutcome::Aborted, why);
                return summary;
            }
        };
        for candidate in &candidates {
            for finding in &candidate.findings {
                *summary.counts.entry(finding.rule.as_str()).or_default() += 1;
                summary.actions.push(ActionReport {
                    user: candidate.name.clone(),
                    rule: finding.rule,
                    action: finding.action.as_str(),
                    reason: finding.reason.clone(),
                    outcome: ActionOutcome::Planned,
                    step: None,
                    error: None,
                });
            }
        }
        let destructive = candidates
            .iter()
            .flat_map(|c| &c.findings)
            .filter(|f| f.action.is_destructive())
            .count();
        for action in &summary.actions {
            info!(
                user = %mask_emails_in(&action.user),
                rule = action.rule.as_str(),
                action = action.action,
                reason = %action.reason,
                dry_run,
                "sweep plan"
            );
        }
        if dry_run {
            return summary;
        }
        if destructive > self.config.sweep.max_actions {
            let why = format!(
                "{destructive} destructive actions planned, more than SWEEP_MAX_ACTIONS={}; \
                 nothing was done. Check the plan (a dry run lists it), then raise the cap or act by hand",
                self.config.sweep.max_actions
            );
            warn!(
                destructive,
                cap = self.config.sweep.max_actions,
                "sweep stopped at the cap"
            );
            summary.stop(SweepOutcome::Capped, why);
            return summary;
        }

        // Each sweep is its own attempt: no other run owns its leases.
        let attempt = format!("sweep/{:016x}", rand::random::<u64>());
        let mut first = 0;
        for candidate in &candidates {
            if !Deadline::allows_start() {
                let left = summary.actions.len() - first;
                warn!(left, "sweep stopped before the invocation's deadline");
                for report in &mut summary.actions[first..] {
                    report.outcome = ActionOutcome::NotTaken;
                }
                summary.outcome = SweepOutcome::OutOfTime;
                summary.stopped = Some(format!(
                    "the invocation's deadline came before {left} actions could be taken; \
                     they were not started, and the next sweep takes them"
                ));
                break;
            }
            let span = info_span!("sweep_user", user = %mask_emails_in(&candidate.name));
            let range = first..first + candidate.findings.len();
            first = range.end;
            let reports = &mut summary.actions[range.clone()];
            let work = self
                .act_on(candidate, reports, account, now)
                .instrument(span.clone());
            if let Err(err) = self.leases.exclusive(&candidate.name, &attempt, work).await {
                let err = err.to_aws_error();
                span.in_scope(
                    || warn!(aws_error = %err.code, "sweep left the user for the next run"),
                );
                for report in &mut summary.actions[range] {
                    fail(report, Step::AcquireLease, &err);
                }
            }
        }
        summary
    }

    /// Under the user's lease: reads the user again (the report and the first
    /// read may be hours or seconds old; another action may have run since) and
    /// takes each planned action the rules still call for; the others end
    /// `no_longer_due`. A failed read fails every action of the user.
    async fn act_on(
        &self,
        candidate: &Candidate,
        reports: &mut [ActionReport],
        account: &AccountContext,
        now: i64,
    ) {
        let due = match Step::GetUser.run(self.iam.get_user(&candidate.name)).await {
            Ok(Some(user))
                if user.tag(MANAGED_BY_TAG) == Some(MANAGED_BY_VALUE)
                    && user.path == self.config.user_path.as_str() =>
            {
                evaluate(&candidate.row, &user, now, &self.config.sweep).findings
            }
            Ok(_) => Vec::new(),
            Err(err) => {
                reports
                    .iter_mut()
                    .for_each(|report| fail(report, Step::GetUser, &err));
                return;
            }
        };
        for (finding, report) in candidate.findings.iter().zip(reports) {
            let outcome = if due.iter().any(|d| d.action == finding.action) {
                self.act(&candidate.name, finding, account, now).await
            } else {
                Ok(ActionOutcome::NoLongerDue)
            };
            match outcome {
                Ok(outcome) => report.outcome = outcome,
                Err((step, err)) => fail(report, step, &err),
            }
            info!(
                rule = finding.rule.as_str(),
                action = finding.action.as_str(),
                outcome = ?report.outcome,
                reason = %finding.reason,
                "sweep action"
            );
        }
    }

    /// Reads the users under the path (`GetUser`: tags and fresh password use)
    /// and applies the rules to the managed ones. Any failed read is an error.
    async fn read_candidates(
        &self,
        under: Vec<UserRow>,
        now: i64,
        summary: &mut SweepSummary,
    ) -> Result<Vec<Candidate>, String> {
        let reads: Vec<(UserRow, Result<Option<ExistingUser>, AwsError>)> =
            futures::stream::iter(under)
                .map(|row| async move {
                    let user = Step::GetUser.run(self.iam.get_user(&row.user)).await;
                    (row, user)
                })
                .buffered(READ_CONCURRENCY)
                .collect()
                .await;
        let path = self.config.user_path.as_str();
        let mut candidates = Vec::new();
        for (row, user) in reads {
            let skip = |reason: &str| Skipped {
                user: row.user.clone(),
                reason: reason.to_string(),
            };
            let user = match user {
                Err(err) => {
                    return Err(format!(
                        "reading user {} failed ({err}); a sweep acts only on a complete picture",
                        row.user
                    ));
                }
                Ok(None) => {
                    summary
                        .skipped
                        .push(skip("deleted since the report was made"));
                    continue;
                }
                Ok(Some(user)) => user,
            };
            if user.tag(MANAGED_BY_TAG) != Some(MANAGED_BY_VALUE) {
                summary
                    .skipped
                    .push(skip("not managed by iam-onboarding (no ManagedBy marker)"));
                continue;
            }
            if user.path != path {
                summary.skipped.push(skip("moved outside USER_PATH"));
                continue;
            }
            let evaluation = evaluate(&row, &user, now, &self.config.sweep);
            summary
                .skipped
                .extend(evaluation.skipped.iter().map(|r| skip(r)));
            if !evaluation.findings.is_empty() {
                candidates.push(Candidate {
                    name: row.user.clone(),
                    row,
                    findings: evaluation.findings,
                });
            }
        }
        Ok(candidates)
    }

    /// Takes one action.
    async fn act(
        &self,
        name: &str,
        finding: &Finding,
        account: &AccountContext,
        now: i64,
    ) -> Result<ActionOutcome, StepError> {
        match &finding.action {
            Action::ExpirePassword => {
                // The report's password_last_changed may be hours old: a `resend` since
                // then set a fresh password, which the rule must not expire.
                let set_at = Step::CheckLoginProfile
                    .attempt(self.iam.login_profile_created(name))
                    .await?;
                let ttl = self.config.sweep.password_ttl_hours * 3_600;
                if set_at.is_none_or(|set_at| now - set_at <= ttl) {
                    return Ok(ActionOutcome::NoLongerDue);
                }
                Step::ExpirePassword
                    .attempt(self.iam.delete_login_profile(name))
                    .await?;
                Step::MarkExpired
                    .attempt(self.iam.tag_user(name, &marker_tags(STATUS_EXPIRED)))
                    .await?;
                Ok(ActionOutcome::Done)
            }
            Action::RemindMfa { recipient } => {
                // The report's mfa_active may be hours old.
                if Step::CheckMfaDevices
                    .attempt(self.iam.has_mfa_device(name))
                    .await?
                {
                    return Ok(ActionOutcome::NoLongerDue);
                }
                let settings =
                    AccountSettings::read(&self.iam, self.config.signin_url.as_deref(), account)
                        .await
                        .map_err(|e| (Step::ReadAccountSettings, e))?;
                let email = render_mfa_reminder(name, &settings.signin_url);
                Step::SendMfaReminder
                    .attempt(self.ses.send(
                        self.config.sender.as_str(),
                        recipient.as_str(),
                        &email,
                        self.config.ses_configuration_set.as_deref(),
                    ))
                    .await?;
                let tags = vec![
                    (MANAGED_BY_TAG.to_string(), MANAGED_BY_VALUE.to_string()),
                    (MFA_REMINDED_AT_TAG.to_string(), now.to_string()),
                ];
                Step::MarkReminded
                    .attempt(self.iam.tag_user(name, &tags))
                    .await?;
                Ok(ActionOutcome::Done)
            }
            Action::DeleteUser => {
                super::deletion::delete_user(&self.iam, &self.config, name).await?;
                Ok(ActionOutcome::Done)
            }
            Action::ReportKey { .. } => Ok(ActionOutcome::Reported),
            Action::DeactivateKey { created_at, .. } => {
                let keys = Step::ListAccessKeys
                    .attempt(self.iam.access_keys(name))
                    .await?;
                // The report names keys by slot; ListAccessKeys by id. The creation time ties them.
                let Some(key) = keys
                    .iter()
                    .find(|k| k.active && (k.created_at - created_at).abs() <= 1)
                else {
                    return Ok(ActionOutcome::NoLongerDue);
                };
                let last_used = Step::CheckKeyLastUsed
                    .attempt(self.iam.access_key_last_used(&key.id))
                    .await?;
                let since = last_used.unwrap_or(key.created_at);
                if now - since <= self.config.sweep.key_unused_days * 86_400 {
                    return Ok(ActionOutcome::NoLongerDue);
                }
                let credential = Credential {
                    kind: CredentialKind::AccessKey,
                    id: key.id.clone(),
                    active: true,
                };
                Step::DeactivateAccessKey
                    .attempt(self.iam.deactivate_credential(name, &credential))
                    .await?;
                Ok(ActionOutcome::Done)
            }
        }
    }

    /// Publishes the summary to `NOTIFY_TOPIC_ARN`, when configured.
    async fn notify(&self, summary: &mut SweepSummary) {
        let Some(topic) = &self.config.sweep.notify_topic_arn else {
            return;
        };
        let (subject, mut body) = summary.message();
        if body.len() > MAX_MESSAGE_BYTES {
            let mut cut = MAX_MESSAGE_BYTES;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push_str("\n[cut: the full summary is the invocation's result and in the logs]\n");
        }
        match Step::PublishSummary
            .run(self.sns.publish(topic, &subject, &body))
            .await
        {
            Ok(_) => summary.notification = Some("published".into()),
            Err(err) => {
                error!(aws_error = %err.code, "the sweep summary could not be published");
                summary.notification = Some(format!("failed: {}", err.code));
            }
        }
    }
}
