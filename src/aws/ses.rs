//! SES (v1) SendEmail, paced to the account's sending rate.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_ses::Client;
use aws_sdk_ses::config::retry::RetryConfig;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::OnceCell;
use tracing::{info, warn};

use super::AwsError;
use crate::identity::welcome_email::RenderedEmail;

/// The sending rate (emails per second) assumed when `GetSendQuota` fails: the
/// SES sandbox's rate, the lowest an account has.
pub const FALLBACK_SEND_RATE: f64 = 1.0;
/// Attempts of one email while SES answers `Throttling` "Maximum sending rate
/// exceeded" (the SDK makes one attempt each: [`one_attempt`]); the first
/// backoff, doubled each time.
const THROTTLE_ATTEMPTS: u32 = 5;
const FIRST_THROTTLE_BACKOFF: Duration = Duration::from_millis(500);

/// The SES adapter. Clones share one pacer.
#[derive(Debug, Clone)]
pub struct Ses {
    client: Client,
    pacing: Option<Arc<Pacing>>,
}

/// A rate limiter at the account's sending rate (governor's GCRA, burst 1, so
/// sends are evenly spaced and never more than the rate in any second), the
/// emails queued for it and the last send, so work that will send one can tell
/// how long its turn is away ([`Ses::queue`]).
#[derive(Debug)]
struct Pacing {
    /// `SES_MAX_SEND_RATE`; else `GetSendQuota`'s `MaxSendRate`, read once.
    configured: Option<f64>,
    limiter: OnceCell<Limiter>,
    /// Places held in the queue ([`SendTicket`]s alive).
    queued: AtomicUsize,
    /// When the limiter last let an email go.
    last_send: Mutex<Option<Instant>>,
}

#[derive(Debug)]
struct Limiter {
    rate: f64,
    sends: DefaultDirectRateLimiter,
}

/// A place in the send queue: held from the start of work that will send one
/// email until that work ends; dropping it leaves the queue.
#[derive(Debug)]
pub struct SendTicket {
    pacing: Option<Arc<Pacing>>,
    /// How long the queue ahead takes at the sending rate.
    pub wait: Duration,
}

impl Drop for SendTicket {
    fn drop(&mut self) {
        if let Some(pacing) = &self.pacing {
            pacing.queued.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The quota of `rate` calls per second (any positive rate, fractions included), burst 1.
pub(super) fn quota(rate: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / rate.max(0.001)).max(Duration::from_micros(1));
    Quota::with_period(period)
        .expect("a positive period")
        .allow_burst(NonZeroU32::MIN)
}

fn utf8(data: &str) -> Result<Content, AwsError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| AwsError {
            code: "ConstructionFailure".into(),
            message: e.to_string(),
        })
}

/// Whether `err` is SES's per-second throttle (worth waiting for), not the daily
/// quota ("Daily message quota exceeded", which lasts for hours).
fn is_rate_throttle(err: &AwsError) -> bool {
    err.is("Throttling") && !err.message.to_ascii_lowercase().contains("daily")
}

impl Ses {
    /// Wraps an SES client, unpaced (request-level tests).
    pub fn new(client: Client) -> Self {
        Self {
            client,
            pacing: None,
        }
    }

    /// The same adapter, pacing sends to `max_send_rate` emails per second, or
    /// when `None` to the account's `MaxSendRate` (`GetSendQuota`, read once on
    /// first use; [`FALLBACK_SEND_RATE`] when that fails).
    pub fn paced(self, max_send_rate: Option<f64>) -> Self {
        Self {
            pacing: Some(Arc::new(Pacing {
                configured: max_send_rate,
                limiter: OnceCell::new(),
                queued: AtomicUsize::new(0),
                last_send: Mutex::new(None),
            })),
            ..self
        }
    }

    async fn limiter(&self) -> Option<&Limiter> {
        let pacing = self.pacing.as_ref()?;
        let limiter = pacing
            .limiter
            .get_or_init(|| async {
                let rate = match pacing.configured {
                    Some(rate) => rate,
                    None => match self.max_send_rate().await {
                        Ok(rate) if rate > 0.0 => rate,
                        outcome => {
                            let aws_error = outcome.err().map(|e| e.code).unwrap_or_default();
                            warn!(%aws_error, rate = FALLBACK_SEND_RATE,
                                  "no usable MaxSendRate from GetSendQuota; pacing at the sandbox rate");
                            FALLBACK_SEND_RATE
                        }
                    },
                };
                info!(rate, "pacing SES sends (emails per second)");
                Limiter {
                    rate,
                    sends: RateLimiter::direct(quota(rate)),
                }
            })
            .await;
        Some(limiter)
    }

    /// `GetSendQuota`'s `MaxSendRate` (emails per second).
    pub async fn max_send_rate(&self) -> Result<f64, AwsError> {
        let quota = self.client.get_send_quota().send().await?;
        Ok(quota.max_send_rate())
    }

    /// Joins the send queue for work that will send one email; the ticket says
    /// how long until its turn: the limiter's next slot, then one period per email
    /// queued ahead (zero unpaced).
    pub async fn queue(&self) -> SendTicket {
        let Some(pacing) = &self.pacing else {
            return SendTicket {
                pacing: None,
                wait: Duration::ZERO,
            };
        };
        let rate = self.limiter().await.map_or(FALLBACK_SEND_RATE, |l| l.rate);
        let period = Duration::from_secs_f64(1.0 / rate);
        let ahead = pacing.queued.fetch_add(1, Ordering::SeqCst);
        // The limiter's next slot (burst 1: a period after the last send), then one
        // period per email queued ahead.
        let next_slot = pacing
            .last_send
            .lock()
            .expect("pacing lock")
            .map_or(Duration::ZERO, |last| {
                (last + period).saturating_duration_since(Instant::now())
            });
        SendTicket {
            pacing: Some(pacing.clone()),
            wait: next_slot + period * u32::try_from(ahead).unwrap_or(u32::MAX),
        }
    }

    /// Sends `email` (text and HTML parts, UTF-8) from `sender` to `recipient`
    /// when the pacer allows; returns the SES message id. A per-second
    /// `Throttling` that still happens is retried with backoff (up to 5 attempts).
    pub async fn send(
        &self,
        sender: &str,
        recipient: &str,
        email: &RenderedEmail,
        configuration_set: Option<&str>,
    ) -> Result<String, AwsError> {
        let mut backoff = FIRST_THROTTLE_BACKOFF;
        let mut attempt = 1;
        loop {
            if let Some(limiter) = self.limiter().await {
                limiter.sends.until_ready().await;
                if let Some(pacing) = &self.pacing {
                    *pacing.last_send.lock().expect("pacing lock") = Some(Instant::now());
                }
            }
            match self
                .send_once(sender, recipient, email, configuration_set)
                .await
            {
                Err(err) if is_rate_throttle(&err) && attempt < THROTTLE_ATTEMPTS => {
                    warn!(attempt, "SES throttled the send; retrying after a backoff");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        sender: &str,
        recipient: &str,
        email: &RenderedEmail,
        configuration_set: Option<&str>,
    ) -> Result<String, AwsError> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&email.text)?)
                    .html(utf8(&email.html)?)
                    .build(),
            )
            .build();
        let output = self
            .client
            .send_email()
            .source(sender)
            .destination(Destination::builder().to_addresses(recipient).build())
            .message(message)
            .set_configuration_set_name(configuration_set.map(str::to_string))
            .customize()
            .config_override(one_attempt(self.client.config()))
            .send()
            .await?;
        Ok(output.message_id().to_string())
    }
}

/// `SendEmail` has no idempotency token: an attempt that timed out may have
/// sent the email, so the SDK never re-sends it (retries off), and its one
/// attempt may use the whole operation timeout. [`Ses::send`] retries the
/// answers that say nothing was sent (`Throttling`), paced and within the
/// invocation's budget.
fn one_attempt(config: &aws_sdk_ses::Config) -> aws_sdk_ses::config::Builder {
    let builder = aws_sdk_ses::config::Builder::default().retry_config(RetryConfig::disabled());
    match config.timeout_config() {
        Some(timeouts) => {
            let mut whole = timeouts.to_builder();
            whole.set_operation_attempt_timeout(timeouts.operation_timeout());
            builder.timeout_config(whole.build())
        }
        None => builder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ses::Client as SesClient;
    use aws_sdk_ses::config::retry::RetryConfig;
    use aws_sdk_ses::error::ErrorMetadata;
    use aws_sdk_ses::operation::get_send_quota::{GetSendQuotaError, GetSendQuotaOutput};
    use aws_sdk_ses::operation::send_email::{SendEmailError, SendEmailOutput};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    fn email() -> RenderedEmail {
        RenderedEmail {
            subject: "Welcome".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
        }
    }

    fn throttling(message: &str) -> SendEmailError {
        SendEmailError::generic(
            ErrorMetadata::builder()
                .code("Throttling")
                .message(message)
                .build(),
        )
    }

    fn sent() -> Rule {
        mock!(SesClient::send_email)
            .sequence()
            .output(|| SendEmailOutput::builder().message_id("m").build().unwrap())
            .repeatedly()
            .build()
    }

    fn send_quota(rate: f64) -> Rule {
        mock!(SesClient::get_send_quota)
            .sequence()
            .output(move || GetSendQuotaOutput::builder().max_send_rate(rate).build())
            .repeatedly()
            .build()
    }

    /// An SES client over `rules` with the SDK's own retries off, so what is
    /// retried here is this adapter's doing.
    fn client(rules: &[&Rule]) -> SesClient {
        mock_client!(aws_sdk_ses, RuleMode::MatchAny, rules, |c| c
            .retry_config(RetryConfig::disabled()))
    }

    async fn send(ses: &Ses) -> Result<String, AwsError> {
        ses.send("it@example.com", "jane@example.com", &email(), None)
            .await
    }

    #[tokio::test]
    async fn the_send_quota_is_read_once_per_container() {
        let (quota, sent) = (send_quota(1000.0), sent());
        let ses = Ses::new(client(&[&quota, &sent])).paced(None);
        let other = ses.clone();
        for ses in [&ses, &other, &ses] {
            assert_eq!(send(ses).await.unwrap(), "m");
        }
        assert_eq!(quota.num_calls(), 1);
        assert_eq!(sent.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_configured_rate_needs_no_send_quota() {
        let (quota, sent) = (send_quota(1000.0), sent());
        let ses = Ses::new(client(&[&quota, &sent])).paced(Some(500.0));
        send(&ses).await.unwrap();
        assert_eq!(quota.num_calls(), 0);
    }

    #[tokio::test]
    async fn without_a_send_quota_the_sandbox_rate_paces_and_sending_goes_on() {
        let failing = mock!(SesClient::get_send_quota)
            .sequence()
            .error(|| {
                GetSendQuotaError::generic(ErrorMetadata::builder().code("AccessDenied").build())
            })
            .repeatedly()
            .build();
        let sent = sent();
        let ses = Ses::new(client(&[&failing, &sent])).paced(None);
        assert_eq!(send(&ses).await.unwrap(), "m");
        assert_eq!(failing.num_calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_throttle_is_retried_with_backoff() {
        let throttled = mock!(SesClient::send_email)
            .sequence()
            .error(|| throttling("Maximum sending rate exceeded."))
            .times(2)
            .output(|| SendEmailOutput::builder().message_id("m").build().unwrap())
            .build();
        let ses = Ses::new(client(&[&throttled]));
        let started = tokio::time::Instant::now();
        assert_eq!(send(&ses).await.unwrap(), "m");
        assert_eq!(throttled.num_calls(), 3);
        assert_eq!(
            started.elapsed(),
            FIRST_THROTTLE_BACKOFF * 3,
            "500 ms, then 1 s (tokio's paused clock)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_that_outlasts_the_retries_and_the_daily_quota_fail() {
        let always = mock!(SesClient::send_email)
            .sequence()
            .error(|| throttling("Maximum sending rate exceeded."))
            .repeatedly()
            .build();
        let ses = Ses::new(client(&[&always]));
        assert_eq!(send(&ses).await.unwrap_err().code, "Throttling");
        assert_eq!(always.num_calls(), THROTTLE_ATTEMPTS as usize);

        let daily = mock!(SesClient::send_email)
            .sequence()
            .error(|| throttling("Daily message quota exceeded."))
            .repeatedly()
            .build();
        let ses = Ses::new(client(&[&daily]));
        assert_eq!(send(&ses).await.unwrap_err().code, "Throttling");
        assert_eq!(
            daily.num_calls(),
            1,
            "the daily quota lasts hours: no retry"
        );
    }

    #[tokio::test]
    async fn a_ticket_tells_how_long_the_queue_ahead_takes() {
        let sent = sent();
        let ses = Ses::new(client(&[&sent])).paced(Some(2.0));
        let first = ses.queue().await;
        let second = ses.clone().queue().await;
        assert_eq!(first.wait, Duration::ZERO);
        assert_eq!(
            second.wait,
            Duration::from_millis(500),
            "one email ahead at 2/s"
        );
        drop(first);
        drop(second);
        assert_eq!(
            ses.queue().await.wait,
            Duration::ZERO,
            "dropped tickets leave"
        );
        assert_eq!(Ses::new(client(&[])).queue().await.wait, Duration::ZERO);
        send(&ses).await.unwrap();
        let after_a_send = ses.queue().await.wait;
        assert!(
            after_a_send > Duration::from_millis(400) && after_a_send <= Duration::from_millis(500),
            "the limiter's next slot is a period after the last send: {after_a_send:?}"
        );
    }

    #[test]
    fn the_quota_spaces_sends_evenly() {
        let limiter = RateLimiter::direct(quota(2.0));
        assert!(limiter.check().is_ok());
        assert!(limiter.check().is_err(), "burst 1: the second send waits");
    }
}
