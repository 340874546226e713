//! The last AWS answer of a call the SDK retried, kept for when the call ends
//! timed out: a persistent `ServiceFailure` retried until the operation timeout
//! would otherwise surface as a bare `TimeoutError` (issue 21, kind 3).
//!
//! [`LastAnswer`] (an interceptor on the IAM and SES clients) records each failed
//! attempt's AWS Query error (`<ErrorResponse><Error><Code>`, the protocol of
//! both services) in a slot that [`keeping_last_answer`] opens around one call.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_iam::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::BoxError;
use aws_smithy_xml::decode::{Document, try_data};

use super::AwsError;

tokio::task_local! {
    static LAST_ANSWER: RefCell<Option<AwsError>>;
}

/// IAM attempts answered `Throttling` since the container started
/// (`crate::metrics` reports them as `ThrottlesAbsorbed`).
pub static IAM_THROTTLES: AtomicU64 = AtomicU64::new(0);
/// SES attempts answered `Throttling` since the container started.
pub static SES_THROTTLES: AtomicU64 = AtomicU64::new(0);

/// Records the AWS error of every failed attempt into the slot of
/// [`keeping_last_answer`] (no effect outside one), and counts throttled
/// attempts in its service's counter.
#[derive(Debug)]
pub struct LastAnswer(pub &'static AtomicU64);

impl Intercept for LastAnswer {
    fn name(&self) -> &'static str {
        "LastAnswer"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let answer = context
            .response()
            .filter(|r| !r.status().is_success())
            .and_then(|r| r.body().bytes())
            .and_then(|body| std::str::from_utf8(body).ok())
            .and_then(query_error);
        if let Some(answer) = answer {
            if answer.code.starts_with("Throttling") {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
            let _ = LAST_ANSWER.try_with(|slot| *slot.borrow_mut() = Some(answer));
        }
        Ok(())
    }
}

/// Runs `call`; when it fails with `TimeoutError` (the SDK's operation timeout)
/// or `DeadlineExceeded` (the invocation's), after an attempt that AWS answered
/// with an error, the code stays and the message names that last answer.
pub async fn keeping_last_answer<T>(
    call: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    LAST_ANSWER
        .scope(RefCell::new(None), async {
            let result = call.await;
            result.map_err(|err| {
                let timed_out =
                    err.is("TimeoutError") || err.is(crate::identity::DEADLINE_EXCEEDED);
                match LAST_ANSWER.with(|slot| slot.borrow_mut().take()) {
                    Some(last) if timed_out => with_last_answer(err, &last),
                    _ => err,
                }
            })
        })
        .await
}

fn with_last_answer(err: AwsError, last: &AwsError) -> AwsError {
    AwsError {
        message: format!(
            "{}; the last answer from AWS before that was {}: {}",
            err.message, last.code, last.message
        ),
        code: err.code,
    }
}

/// The code and message of an AWS Query error body
/// (`<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>…`).
fn query_error(body: &str) -> Option<AwsError> {
    let mut document = Document::new(body);
    let mut root = document.root_element().ok()?;
    while let Some(mut error) = root.next_tag() {
        if !error.start_el().matches("Error") {
            continue;
        }
        let (mut code, mut message) = (None, String::new());
        while let Some(mut field) = error.next_tag() {
            if field.start_el().matches("Code") {
                code = try_data(&mut field).ok().map(|c| c.trim().to_string());
            } else if field.start_el().matches("Message") {
                message = try_data(&mut field)
                    .map(|m| m.to_string())
                    .unwrap_or_default();
            }
        }
        return code.map(|code| AwsError { code, message });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, message: &str) -> AwsError {
        AwsError {
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn reads_the_code_and_message_of_an_aws_query_error() {
        let body = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
            <Error><Type>Receiver</Type><Code>ServiceFailure</Code>\
            <Message>Request processing has failed.</Message></Error>\
            <RequestId>1</RequestId></ErrorResponse>";
        assert_eq!(
            query_error(body),
            Some(err("ServiceFailure", "Request processing has failed."))
        );
    }

    #[test]
    fn anything_else_is_no_answer() {
        for body in [
            "",
            "not xml",
            "<a><b/></a>",
            "<ErrorResponse><Error></Error></ErrorResponse>",
        ] {
            assert_eq!(query_error(body), None, "{body}");
        }
    }

    #[tokio::test]
    async fn a_timeout_keeps_its_code_and_names_the_last_answer() {
        let result: Result<(), _> = keeping_last_answer(async {
            LAST_ANSWER.with(|s| *s.borrow_mut() = Some(err("ServiceFailure", "failed.")));
            Err(err("TimeoutError", "the request timed out"))
        })
        .await;
        let error = result.unwrap_err();
        assert_eq!(error.code, "TimeoutError");
        assert_eq!(
            error.message,
            "the request timed out; the last answer from AWS before that was ServiceFailure: failed."
        );
    }

    #[tokio::test]
    async fn other_errors_and_successes_pass_unchanged() {
        let result: Result<(), _> = keeping_last_answer(async {
            LAST_ANSWER.with(|s| *s.borrow_mut() = Some(err("Throttling", "Rate exceeded")));
            Err(err("NoSuchEntity", "gone"))
        })
        .await;
        assert_eq!(result.unwrap_err(), err("NoSuchEntity", "gone"));
        assert_eq!(
            keeping_last_answer(async { Ok::<_, AwsError>(7) }).await,
            Ok(7)
        );
    }
}
