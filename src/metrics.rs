//! CloudWatch metrics as Embedded Metric Format lines on stdout (the EMF
//! specification, CloudWatch User Guide, "Specification: Embedded metric
//! format"): CloudWatch Logs turns each line into metrics in namespace
//! [`NAMESPACE`], no API call and no permission needed.
//!
//! - `Employees` (Count) per `Trigger`, `Action`, `Status`: one per employee a
//!   request ran for; `FailedEmployees` (Count, no dimension) for the alarm.
//! - `StepDuration` (Milliseconds) per `Step`.
//! - `PoisonMessages` (Count, no dimension): bulk-queue messages that can never succeed.
//! - `ThrottlesAbsorbed` (Count) per `Service`: attempts AWS answered
//!   `Throttling` that the SDK or the function retried.
//!
//! The trigger is a task-local set by the handler ([`with_trigger`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::aws::last_answer::{IAM_THROTTLES, SES_THROTTLES};
use crate::identity::{EmployeeResult, Status};

/// The metrics' namespace.
pub const NAMESPACE: &str = "iam-onboarding";

tokio::task_local! {
    static TRIGGER: &'static str;
}

/// What [`emit_throttles`] already reported, per service.
static REPORTED: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Runs `work` with `trigger` (`direct`, `eventbridge`, `http`, `sqs`, `schedule`) as the
/// `Trigger` dimension.
pub async fn with_trigger<T>(trigger: &'static str, work: impl Future<Output = T>) -> T {
    TRIGGER.scope(trigger, work).await
}

fn trigger() -> &'static str {
    TRIGGER.try_with(|t| *t).unwrap_or("direct")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One metric directive: its dimension sets and its metrics as (name, unit).
type Directive<'a> = (Vec<Vec<&'a str>>, Vec<(&'a str, &'a str)>);

/// One EMF line: the `directives`, and `values` for their dimensions and metrics.
fn line(directives: &[Directive<'_>], values: Value) -> String {
    let metrics: Vec<Value> = directives
        .iter()
        .map(|(dimensions, metrics)| {
            json!({
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": metrics.iter().map(|(name, unit)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut object = json!({"_aws": {"Timestamp": now_ms(), "CloudWatchMetrics": metrics}});
    if let (Some(object), Value::Object(values)) = (object.as_object_mut(), values) {
        object.extend(values);
    }
    object.to_string()
}

/// The lines for the results of one request of `action` run from `trigger`:
/// one per status.
pub fn result_lines(trigger: &str, action: &str, results: &[EmployeeResult]) -> Vec<String> {
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for result in results {
        *counts.entry(result.status.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(status, count)| {
            let failed = status == Status::Failed.as_str();
            let mut directives = vec![(
                vec![vec!["Trigger", "Action", "Status"]],
                vec![("Employees", "Count")],
            )];
            if failed {
                directives.push((vec![vec![]], vec![("FailedEmployees", "Count")]));
            }
            let mut values =
                json!({"Trigger": trigger, "Action": action, "Status": status, "Employees": count});
            if failed {
                values["FailedEmployees"] = json!(count);
            }
            line(&directives, values)
        })
        .collect()
}

/// Prints the lines of [`result_lines`] for this task's trigger.
pub fn emit_results(action: &str, results: &[EmployeeResult]) {
    for line in result_lines(trigger(), action, results) {
        println!("{line}");
    }
}

/// Prints one poison message of the bulk queue (`PoisonMessages`, no dimension).
pub fn emit_poison_message() {
    println!(
        "{}",
        line(
            &[(vec![vec![]], vec![("PoisonMessages", "Count")])],
            json!({"PoisonMessages": 1}),
        )
    );
}

/// Prints a step's duration.
pub fn emit_step(step: &str, duration_ms: f64) {
    println!(
        "{}",
        line(
            &[(vec![vec!["Step"]], vec![("StepDuration", "Milliseconds")])],
            json!({"Step": step, "StepDuration": duration_ms}),
        )
    );
}

/// Prints the throttles absorbed since the last call, per service with any.
pub fn emit_throttles() {
    for (i, (service, counter)) in [("iam", &IAM_THROTTLES), ("ses", &SES_THROTTLES)]
        .into_iter()
        .enumerate()
    {
        let total = counter.load(Ordering::Relaxed);
        let new = total.saturating_sub(REPORTED[i].swap(total, Ordering::Relaxed));
        if new > 0 {
            println!(
                "{}",
                line(
                    &[(vec![vec!["Service"]], vec![("ThrottlesAbsorbed", "Count")])],
                    json!({"Service": service, "ThrottlesAbsorbed": new}),
                )
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_follow_the_embedded_metric_format() {
        let results = [
            EmployeeResult::for_user("a", Status::Created),
            EmployeeResult::for_user("b", Status::Created),
            EmployeeResult::for_user("c", Status::Failed),
        ];
        let lines: Vec<Value> = result_lines("sqs", "onboard", &results)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        let created = &lines[0];
        assert_eq!(created["Status"], "created");
        assert_eq!(created["Employees"], 2);
        assert_eq!(created["Trigger"], "sqs");
        let directive = &created["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(
            directive["Dimensions"],
            json!([["Trigger", "Action", "Status"]])
        );
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "Employees", "Unit": "Count"}])
        );
        assert!(created["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
        // Every dimension and metric a directive names is a member of the line.
        for line in &lines {
            for directive in line["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
                for name in directive["Dimensions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|d| d.as_array().unwrap())
                {
                    assert!(line.get(name.as_str().unwrap()).is_some(), "{line}");
                }
                for metric in directive["Metrics"].as_array().unwrap() {
                    assert!(line[metric["Name"].as_str().unwrap()].is_number(), "{line}");
                }
            }
        }
        assert_eq!(lines[1]["FailedEmployees"], 1);
        assert_eq!(
            lines[1]["_aws"]["CloudWatchMetrics"][1]["Dimensions"],
            json!([[]])
        );
    }
}
