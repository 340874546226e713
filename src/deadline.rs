//! The invocation's deadline (issue 16): every step of every workflow stops
//! starting when the time left cannot cover one more AWS call plus the undo of
//! a failure, and a call in flight is cut off before the undo's time.
//!
//! The handler sets the deadline of the invocation (Lambda's `Context.deadline`,
//! ms since the epoch) for everything the invocation awaits ([`Deadline::scope`],
//! a tokio task-local: the workflows run in the handler's task). Outside a scope
//! (request-level tests, a local run without a deadline) nothing is bounded.
//!
//! Budget, with `T` = `AWS_CALL_TIMEOUT_MS` (the SDK's operation timeout, so no
//! single call outlasts it): a step starts only while more than
//! `(1 + UNDO_CALLS) × T` is left, and runs at most until `UNDO_CALLS × T` is
//! left. Undo and closing steps ([`crate::identity::Step::is_closing`]) use
//! whatever is left. With the default 3 s and Lambda's 60 s, new steps stop 12 s
//! before the end.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use tracing::{info, warn};

use crate::aws::last_answer::keeping_last_answer;
pub use crate::identity::DEADLINE_EXCEEDED;
use crate::identity::{AwsError, Step};

/// Calls that may follow a failed step: `DeleteLoginProfile`, `TagUser`
/// (`failed`), the lease's `DeleteItem`.
pub const UNDO_CALLS: u32 = 3;

tokio::task_local! {
    static CURRENT: Deadline;
}

/// When the invocation ends, and how long one AWS call may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    call_timeout: Duration,
}

impl Deadline {
    /// The deadline `deadline_ms` (ms since the Unix epoch, as Lambda gives it);
    /// `None` for 0 (a test's default context) and for a deadline already past
    /// when the invocation starts, which Lambda never sends but local emulators do
    /// (`cargo lambda watch` sends 600000): then only the SDK timeouts bound the run.
    pub fn from_epoch_ms(deadline_ms: u64, call_timeout: Duration) -> Option<Self> {
        if deadline_ms == 0 {
            return None;
        }
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let Some(left) = u128::from(deadline_ms)
            .checked_sub(now_ms)
            .filter(|left| *left > 0)
        else {
            tracing::warn!(
                deadline_ms,
                "the invocation's deadline is already past (a local emulator?): running without one"
            );
            return None;
        };
        let left = Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX));
        Some(Self::after(left, call_timeout))
    }

    /// The deadline `left` from now.
    pub fn after(left: Duration, call_timeout: Duration) -> Self {
        Self {
            at: Instant::now() + left,
            call_timeout,
        }
    }

    /// Runs `work` with `deadline` as the current one (none: unbounded).
    pub async fn scope<F: Future>(deadline: Option<Self>, work: F) -> F::Output {
        match deadline {
            Some(deadline) => CURRENT.scope(deadline, work).await,
            None => work.await,
        }
    }

    /// The deadline of the running invocation, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(|deadline| *deadline).ok()
    }

    /// Time left until the deadline.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    fn undo_time(&self) -> Duration {
        self.call_timeout * UNDO_CALLS
    }

    /// How long a new step may run (until only the undo's time is left), or
    /// `None` when the time left cannot cover one more call plus the undo.
    pub fn step_budget(&self) -> Option<Duration> {
        let left = self.remaining();
        (left > self.call_timeout + self.undo_time()).then(|| left - self.undo_time())
    }

    /// Whether a new step (or a new employee of a batch) may start now; true
    /// without a deadline.
    pub fn allows_start() -> bool {
        Self::allows_start_after(Duration::ZERO)
    }

    /// Whether work whose first slow part (a paced email) is `wait` away may
    /// start now: the time left must cover the wait, one call and the undo.
    pub fn allows_start_after(wait: Duration) -> bool {
        Self::current().is_none_or(|d| d.step_budget().is_some_and(|b| b > wait + d.call_timeout))
    }

    /// Runs `call` within the current deadline: a step that may not start
    /// answers [`DEADLINE_EXCEEDED`] without running; one that outlasts its budget
    /// is dropped and answers the same. `closing` steps (undo, release, the
    /// final tag) may use all the time left.
    pub async fn bound<T>(
        closing: bool,
        call: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let Some(deadline) = Self::current() else {
            return call.await;
        };
        let budget = if closing {
            Some(deadline.remaining()).filter(|left| !left.is_zero())
        } else {
            deadline.step_budget()
        };
        let Some(budget) = budget else {
            return Err(deadline_error(
                "not started: the invocation's deadline leaves too little time for this call and \
                 the undo of a failure",
            ));
        };
        tokio::time::timeout(budget, call)
            .await
            .unwrap_or_else(|_| {
                Err(deadline_error(
                    "stopped: the call had not answered when only the undo's time was left before \
                 the invocation's deadline",
                ))
            })
    }
}

fn deadline_error(message: &str) -> AwsError {
    AwsError {
        code: DEADLINE_EXCEEDED.into(),
        message: message.into(),
    }
}

/// A workflow step runs within the invocation's deadline.
impl Step {
    /// Runs `call` as this step within the invocation's deadline (see
    /// [`Deadline::bound`]: code `DeadlineExceeded` when it may not start or is cut
    /// off), logging its name, outcome, AWS error code and duration. A call that
    /// timed out after AWS answered an attempt with an error names that answer
    /// ([`keeping_last_answer`]).
    pub async fn run<T>(
        self,
        call: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let started = Instant::now();
        let result = keeping_last_answer(Deadline::bound(self.is_closing(), call)).await;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let step = self.as_str();
        crate::metrics::emit_step(step, duration_ms);
        match &result {
            Ok(_) => info!(step, outcome = "ok", duration_ms, "step finished"),
            Err(err) => {
                warn!(step, outcome = "error", aws_error = %err.code, duration_ms, "step failed")
            }
        }
        result
    }

    /// [`Step::run`], with the step attached to the error.
    pub async fn attempt<T>(
        self,
        call: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, (Step, AwsError)> {
        self.run(call).await.map_err(|e| (self, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(100);

    #[test]
    fn no_deadline_in_a_default_context_or_from_an_emulator_past_it() {
        assert_eq!(Deadline::from_epoch_ms(0, T), None);
        assert_eq!(
            Deadline::from_epoch_ms(600_000, T),
            None,
            "cargo lambda watch"
        );
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let in_a_minute = Deadline::from_epoch_ms(u64::try_from(now_ms).unwrap() + 60_000, T);
        let left = in_a_minute.expect("a deadline").remaining();
        assert!(left > Duration::from_secs(50) && left <= Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_starts_only_while_one_call_and_the_undo_fit() {
        let deadline = Deadline::after(Duration::from_millis(1000), T);
        assert_eq!(deadline.step_budget(), Some(Duration::from_millis(700)));
        tokio::time::advance(Duration::from_millis(599)).await;
        assert_eq!(deadline.step_budget(), Some(Duration::from_millis(101)));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(
            deadline.step_budget(),
            None,
            "400 ms left = one call + 3 undo calls"
        );
        Deadline::scope(Some(deadline), async {
            assert!(!Deadline::allows_start());
            let refused = Deadline::bound(false, async { Ok(1) }).await.unwrap_err();
            assert_eq!(refused.code, DEADLINE_EXCEEDED);
            assert!(refused.message.starts_with("not started"));
            assert_eq!(
                Deadline::bound(true, async { Ok(2) }).await,
                Ok(2),
                "undo runs"
            );
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_call_is_cut_off_when_only_the_undo_time_is_left() {
        let deadline = Deadline::after(Duration::from_millis(1000), T);
        Deadline::scope(Some(deadline), async {
            let hung = Deadline::bound(false, std::future::pending::<Result<(), AwsError>>());
            let err = hung.await.unwrap_err();
            assert_eq!(err.code, DEADLINE_EXCEEDED);
            assert!(err.message.starts_with("stopped"));
            assert_eq!(
                deadline.remaining(),
                T * UNDO_CALLS,
                "the undo's time is left"
            );
            let undo = Deadline::bound(true, std::future::pending::<Result<(), AwsError>>());
            assert_eq!(undo.await.unwrap_err().code, DEADLINE_EXCEEDED);
            assert_eq!(
                deadline.remaining(),
                Duration::ZERO,
                "undo ends at the deadline"
            );
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn work_behind_a_queue_starts_only_if_the_queue_and_the_undo_fit() {
        let deadline = Deadline::after(Duration::from_millis(1000), T);
        Deadline::scope(Some(deadline), async {
            assert!(Deadline::allows_start_after(Duration::from_millis(599)));
            assert!(!Deadline::allows_start_after(Duration::from_millis(600)));
        })
        .await;
        assert!(
            Deadline::allows_start_after(Duration::from_secs(3600)),
            "no deadline"
        );
    }
}
