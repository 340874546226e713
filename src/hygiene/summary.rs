//! What a sweep did or would do: the answer of the invocation and the message
//! the operator receives on `NOTIFY_TOPIC_ARN`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rules::Rule;
use crate::identity::Step;

/// How the sweep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepOutcome {
    /// Every planned action was attempted (see each action's outcome).
    Completed,
    /// Dry run: the plan only, nothing written.
    DryRun,
    /// More destructive actions than `SWEEP_MAX_ACTIONS`: nothing was done.
    Capped,
    /// The report or a listing failed or was incomplete: nothing was done.
    Aborted,
    /// The invocation's deadline came first: the actions from `stopped` on were
    /// not taken (the next sweep, or Lambda's retry, takes them).
    OutOfTime,
}

/// What happened to one planned action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    /// Dry run: it would be taken.
    Planned,
    /// Taken.
    Done,
    /// Nothing to change (a reported key).
    Reported,
    /// Not taken because the sweep stopped (cap).
    NotTaken,
    /// Not taken: a fresh read showed it is no longer due.
    NoLongerDue,
    /// Failed at `step`; a later sweep retries it.
    Failed,
}

/// One action of the sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionReport {
    /// The IAM user name.
    pub user: String,
    /// The rule that caused it.
    pub rule: Rule,
    /// `expire_password`, `remind_mfa`, `delete_user`, `report_key`, `deactivate_key`.
    pub action: &'static str,
    /// Why (dates and threshold).
    pub reason: String,
    /// What happened.
    pub outcome: ActionOutcome,
    /// The failed step, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// The AWS error code and message, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A user (under the path) the sweep left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The IAM user name.
    pub user: String,
    /// Why nothing was done.
    pub reason: String,
}

/// The result of one sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// How it ended.
    pub outcome: SweepOutcome,
    /// Why the sweep took no action at all (cap, failed report or listing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Findings per rule (every rule listed, 0 included).
    pub counts: BTreeMap<&'static str, usize>,
    /// Every action, planned or taken, with its rule and reason.
    pub actions: Vec<ActionReport>,
    /// Users under the path left alone, and why.
    pub skipped: Vec<Skipped>,
    /// Users in the credential report (without the root row).
    pub users_in_report: usize,
    /// Of those, users outside `USER_PATH` (never looked at further).
    pub users_outside_path: usize,
    /// `published`, `failed: CODE`, or absent without a topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
}

impl SweepSummary {
    /// An empty summary.
    pub fn new(dry_run: bool) -> Self {
        Self {
            dry_run,
            outcome: if dry_run {
                SweepOutcome::DryRun
            } else {
                SweepOutcome::Completed
            },
            stopped: None,
            counts: [
                Rule::UnusedPassword,
                Rule::MissingMfa,
                Rule::Leaver,
                Rule::UnusedAccessKey,
            ]
            .into_iter()
            .map(|r| (r.as_str(), 0))
            .collect(),
            actions: Vec::new(),
            skipped: Vec::new(),
            users_in_report: 0,
            users_outside_path: 0,
            notification: None,
        }
    }

    /// The summary when nothing may be done: `outcome`, and why.
    pub fn stop(&mut self, outcome: SweepOutcome, why: String) {
        self.outcome = outcome;
        self.stopped = Some(why);
        for action in &mut self.actions {
            action.outcome = ActionOutcome::NotTaken;
        }
    }

    /// Actions that failed.
    pub fn failures(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.outcome == ActionOutcome::Failed)
            .count()
    }

    /// The operator's message: a subject and a plain-text body (the JSON
    /// summary follows the readable part).
    pub fn message(&self) -> (String, String) {
        let subject = match self.outcome {
            SweepOutcome::Aborted => "iam-onboarding sweep ABORTED: nothing was done".to_string(),
            SweepOutcome::Capped => "iam-onboarding sweep STOPPED at the action cap".to_string(),
            SweepOutcome::OutOfTime => format!(
                "iam-onboarding sweep STOPPED at the invocation's deadline: {} of {} actions not taken",
                self.actions
                    .iter()
                    .filter(|a| a.outcome == ActionOutcome::NotTaken)
                    .count(),
                self.actions.len()
            ),
            SweepOutcome::DryRun => format!(
                "iam-onboarding sweep (dry run): {} actions planned",
                self.actions.len()
            ),
            SweepOutcome::Completed => format!(
                "iam-onboarding sweep: {} actions, {} failed",
                self.actions.len(),
                self.failures()
            ),
        };
        let mut body = format!("{subject}\n\n");
        if let Some(why) = &self.stopped {
            body.push_str(&format!("Stopped: {why}\n\n"));
        }
        body.push_str("Findings per rule:\n");
        for (rule, n) in &self.counts {
            body.push_str(&format!("  {rule}: {n}\n"));
        }
        body.push_str("\nActions:\n");
        for a in &self.actions {
            body.push_str(&format!(
                "  {} {} ({}): {:?}: {}{}\n",
                a.user,
                a.action,
                a.rule.as_str(),
                a.outcome,
                a.reason,
                a.error
                    .as_ref()
                    .map(|e| format!(" [{e}]"))
                    .unwrap_or_default()
            ));
        }
        if self.actions.is_empty() {
            body.push_str("  none\n");
        }
        body.push_str("\nSkipped:\n");
        for s in &self.skipped {
            body.push_str(&format!("  {}: {}\n", s.user, s.reason));
        }
        if self.skipped.is_empty() {
            body.push_str("  none\n");
        }
        body.push_str(&format!(
            "\n{} users in the credential report, {} outside the user path.\n\n{}\n",
            self.users_in_report,
            self.users_outside_path,
            serde_json::to_string(self).unwrap_or_default()
        ));
        (subject, body)
    }
}
