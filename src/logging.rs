//! JSON logs through `tracing`, one object per line, with the fields of every
//! enclosing span (request id, employee id, user name, group) on each line.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Log levels when `RUST_LOG` is unset. The SDK's own crates stay at `warn`.
pub const DEFAULT_FILTER: &str = "info,aws_smithy_runtime=warn,aws_sdk_iam=warn,aws_sdk_ses=warn,aws_sdk_secretsmanager=warn,hyper=warn,rustls=warn";

/// Builds the subscriber writing JSON lines to `writer`, filtered by `filter`.
pub fn subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .finish()
}

/// Installs the JSON subscriber on stdout (CloudWatch adds timestamps).
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing::subscriber::set_global_default(subscriber(std::io::stdout, filter))
        .expect("logging is initialised once, at start-up");
}
