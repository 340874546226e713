//! The batch runner every workflow shares: each entry of a request as its own
//! attempt, a bounded number at a time, one result per entry in request order.

use std::future::Future;

use futures::StreamExt;
use tracing::{Instrument, Span, info};

use crate::identity::{EmployeeResult, FieldError};

/// Employees handled at the same time within one batch. IAM throttling is
/// absorbed by the SDK's retries (see `main.rs`).
pub const BATCH_CONCURRENCY: usize = 16;

/// Runs `work(entry_attempt, entry)` for every valid entry (entry `i` runs as
/// attempt `"{attempt}/{i}"`, see [`crate::lease`]), at most [`BATCH_CONCURRENCY`]
/// at a time, inside the entry's `span`, and logs each entry's status when it
/// finishes; a rejected entry becomes a `rejected` result. One result per entry,
/// in order.
pub async fn for_each_entry<T, S, F, Fut>(
    entries: Vec<Result<T, FieldError>>,
    attempt: &str,
    span: S,
    work: F,
) -> Vec<EmployeeResult>
where
    S: Fn(&T) -> Span,
    F: Fn(String, T) -> Fut,
    Fut: Future<Output = EmployeeResult>,
{
    let (span, work) = (&span, &work);
    let mut finished: Vec<(usize, EmployeeResult)> =
        futures::stream::iter(entries.into_iter().enumerate())
            .map(|(index, entry)| async move {
                let result = match entry {
                    Ok(entry) => {
                        let span = span(&entry);
                        async {
                            let result = work(format!("{attempt}/{index}"), entry).await;
                            info!(status = result.status.as_str(), "employee finished");
                            result
                        }
                        .instrument(span)
                        .await
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
