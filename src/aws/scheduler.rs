//! EventBridge Scheduler: the one-time schedules of offboardings with a future
//! `effectiveAt`.

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};

use super::AwsError;

/// A one-time schedule that invokes a Lambda function with a JSON payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeSchedule<'a> {
    /// Schedule name (1–64 of `[0-9a-zA-Z-_.]`).
    pub name: &'a str,
    /// Schedule group name.
    pub group: &'a str,
    /// When, as Scheduler's `at(yyyy-mm-ddThh:mm:ss)` in UTC.
    pub at: &'a str,
    /// The function to invoke.
    pub target_arn: &'a str,
    /// The role Scheduler assumes to invoke it.
    pub role_arn: &'a str,
    /// The invocation payload (JSON).
    pub input: &'a str,
}

/// The EventBridge Scheduler adapter.
#[derive(Debug, Clone)]
pub struct Scheduler {
    client: Client,
}

fn construction(e: impl std::fmt::Display) -> AwsError {
    AwsError {
        code: "ConstructionFailure".into(),
        message: e.to_string(),
    }
}

impl Scheduler {
    /// Wraps a Scheduler client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Creates `schedule`, or replaces the one of that name in its group
    /// (`ConflictException` → `UpdateSchedule`). It fires once, with no
    /// flexible window, and deletes itself after completion.
    pub async fn put_one_time(&self, schedule: &OneTimeSchedule<'_>) -> Result<(), AwsError> {
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(construction)?;
        let target = Target::builder()
            .arn(schedule.target_arn)
            .role_arn(schedule.role_arn)
            .input(schedule.input)
            .build()
            .map_err(construction)?;
        let expression = format!("at({})", schedule.at);
        let created = self
            .client
            .create_schedule()
            .name(schedule.name)
            .group_name(schedule.group)
            .schedule_expression(&expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window.clone())
            .target(target.clone())
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await
            .map_err(AwsError::from);
        match created {
            Err(err) if err.is("ConflictException") => {
                self.client
                    .update_schedule()
                    .name(schedule.name)
                    .group_name(schedule.group)
                    .schedule_expression(&expression)
                    .schedule_expression_timezone("UTC")
                    .flexible_time_window(window)
                    .target(target)
                    .action_after_completion(ActionAfterCompletion::Delete)
                    .send()
                    .await?;
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    /// Deletes the schedule `name` in `group`: `true` when it was there, `false`
    /// when there is none (`ResourceNotFoundException`, e.g. it already ran and
    /// deleted itself).
    pub async fn delete(&self, name: &str, group: &str) -> Result<bool, AwsError> {
        let deleted = self
            .client
            .delete_schedule()
            .name(name)
            .group_name(group)
            .send()
            .await
            .map_err(AwsError::from);
        match deleted {
            Err(err) if err.is("ResourceNotFoundException") => Ok(false),
            other => other.map(|_| true),
        }
    }
}
