//! An AWS call's failure as results and logs report it: the error code and message.

/// An AWS call that failed, reduced to its error code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    /// The AWS error code (`EntityAlreadyExists`, `MessageRejected`, …) or the
    /// SDK failure kind (`TimeoutError`, `DispatchFailure`, …).
    pub code: String,
    /// AWS's message, or a short description of the SDK failure.
    pub message: String,
}

impl AwsError {
    /// Whether this is the AWS error `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }
}
