//! How a one-time password reaches the employee (`PASSWORD_DELIVERY`, issue 22):
//! in the email itself (`email`), or (`link`, the default) sealed in the
//! idempotency table behind a one-time reveal link whose key only the email's
//! link carries. Onboarding, rehire and `resend` call [`PasswordHandover::prepare`]
//! after the password is set and before the email; the reveal page
//! (`crate::http::reveal`) calls [`PasswordHandover::consume`]. The format is in
//! [`crate::identity::reveal_link`]; the threat model in docs/reveal-link.md.

use std::sync::Arc;

use tokio::sync::OnceCell;
use tracing::{info, warn};

use crate::aws::AwsError;
use crate::aws::dynamodb::Dynamo;
use crate::aws::function_url::FunctionUrl;
use crate::aws::reveals::Consumed;
use crate::identity::ownership::unix_now;
use crate::identity::reveal_link::{RevealId, RevealSecret, RevealUrl, RevealedCredentials, seal};
use crate::identity::{Credential, OneTimePassword, Step};

/// How long a viewed or retired link's tombstone is kept, so its page can say
/// when it was used: a week, in seconds.
pub const TOMBSTONE_SECONDS: i64 = 7 * 24 * 3600;

/// Where the link's base URL comes from.
enum Base {
    /// `REVEAL_BASE_URL`.
    Configured(String),
    /// The function's own Function URL, read once.
    Own(FunctionUrl, OnceCell<String>),
}

struct Links {
    table: Dynamo,
    base: Base,
    ttl_seconds: i64,
}

/// The delivery a container uses; cheap to clone.
#[derive(Clone, Default)]
pub struct PasswordHandover {
    links: Option<Arc<Links>>,
}

/// What the email carries, once [`PasswordHandover::prepare`] succeeded.
pub struct Prepared {
    link: Option<(RevealUrl, i64)>,
    /// A note for the result when an earlier link could not be retired.
    pub warning: Option<String>,
}

impl Prepared {
    /// The credential the welcome email shows for `password`.
    pub fn credential<'a>(&'a self, password: &'a OneTimePassword) -> Credential<'a> {
        match &self.link {
            None => Credential::Password(password),
            Some((url, expires_at)) => Credential::RevealLink {
                url,
                expires_at: *expires_at,
            },
        }
    }
}

impl PasswordHandover {
    /// `PASSWORD_DELIVERY=email`: the password goes in the email.
    pub fn email() -> Self {
        Self { links: None }
    }

    /// `PASSWORD_DELIVERY=link`: reveal records in `table`, links under
    /// `base_url` (or, without it, the URL `own_url` reads), valid `ttl_hours`.
    pub fn link(
        table: Dynamo,
        base_url: Option<String>,
        own_url: FunctionUrl,
        ttl_hours: i64,
    ) -> Self {
        let base = match base_url {
            Some(url) => Base::Configured(url),
            None => Base::Own(own_url, OnceCell::new()),
        };
        Self {
            links: Some(Arc::new(Links {
                table,
                base,
                ttl_seconds: ttl_hours * 3600,
            })),
        }
    }

    /// Whether links are in use.
    pub fn is_link(&self) -> bool {
        self.links.is_some()
    }

    /// For `link`: seals `{username, password, signInUrl}` under a fresh secret,
    /// stores it as `reveal#<id>` until the link expires and retires the person's
    /// previous link; for `email`, nothing. Errors: the step and AWS error of a
    /// failed base URL read or table write (the caller then removes the password).
    pub async fn prepare(
        &self,
        username: &str,
        password: &OneTimePassword,
        signin_url: &str,
    ) -> Result<Prepared, (Step, AwsError)> {
        let Some(links) = &self.links else {
            return Ok(Prepared {
                link: None,
                warning: None,
            });
        };
        // A configured base is at hand; the own URL is one bounded SDK call, once.
        let base = links
            .base_url()
            .await
            .map_err(|err| (Step::StoreReveal, err))?;
        let (id, secret, sealed) = {
            let rng = &mut rand::rng();
            let (id, secret) = (RevealId::generate(rng), RevealSecret::generate(rng));
            let credentials = RevealedCredentials {
                username: username.to_string(),
                password: password.expose().to_string(),
                sign_in_url: signin_url.to_string(),
            };
            let sealed = seal(&credentials, &id, &secret, rng);
            (id, secret, sealed)
        };
        let now = unix_now();
        let expires_at = now + links.ttl_seconds;
        Step::StoreReveal
            .attempt(links.table.put_reveal(&id, &sealed, now, expires_at))
            .await?;
        info!(reveal = %id.log_hash(), expires_at, "reveal link issued");
        let retired = Step::RetireRevealLink
            .run(links.table.retire_previous_reveal(
                username,
                &id,
                now,
                expires_at,
                now + TOMBSTONE_SECONDS,
            ))
            .await;
        let warning = match retired {
            Ok(retired) => {
                if retired {
                    info!("the person's previous reveal link was retired");
                }
                None
            }
            Err(err) => {
                warn!(aws_error = %err.code, "the previous reveal link could not be retired");
                Some(format!(
                    "an earlier reveal link of this person could not be retired ({}); it \
                     still opens, but shows the replaced password, which no longer works",
                    err.code
                ))
            }
        };
        Ok(Prepared {
            link: Some((RevealUrl::of(&base, &id, &secret), expires_at)),
            warning,
        })
    }

    /// Consumes `id` if `proof_hash` matches and it is neither used, retired nor
    /// expired (see [`Dynamo::consume_reveal`]). `None` when links are off.
    pub async fn consume(
        &self,
        id: &RevealId,
        proof_hash: &str,
    ) -> Option<Result<Consumed, AwsError>> {
        let links = self.links.as_ref()?;
        let now = unix_now();
        Some(
            links
                .table
                .consume_reveal(id, proof_hash, now, now + TOMBSTONE_SECONDS)
                .await,
        )
    }

    /// The origin (`scheme://host[:port]`) of the link's base URL: the only
    /// `Origin` a reveal POST is accepted from. `None` when links are off.
    pub async fn origin(&self) -> Option<Result<String, AwsError>> {
        let links = self.links.as_ref()?;
        Some(links.base_url().await.map(|base| origin_of(&base)))
    }
}

impl Links {
    async fn base_url(&self) -> Result<String, AwsError> {
        match &self.base {
            Base::Configured(url) => Ok(url.clone()),
            Base::Own(function, cell) => cell.get_or_try_init(|| function.read()).await.cloned(),
        }
    }
}

/// `scheme://authority` of `url` (its path dropped).
fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    url[..end].to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::operation::get_function_url_config::GetFunctionUrlConfigOutput;
    use aws_sdk_lambda::types::FunctionUrlAuthType;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    #[tokio::test]
    async fn without_a_base_url_the_function_reads_its_own_url_once() {
        let read = mock!(aws_sdk_lambda::Client::get_function_url_config)
            .match_requests(|r| r.function_name() == Some("iam-onboarding-fn"))
            .then_output(|| {
                GetFunctionUrlConfigOutput::builder()
                    .function_url("https://abc123.lambda-url.eu-west-1.on.aws/")
                    .function_arn(
                        "arn:aws:lambda:eu-west-1:123456789012:function:iam-onboarding-fn",
                    )
                    .auth_type(FunctionUrlAuthType::None)
                    .creation_time("2026-12-01T00:00:00Z")
                    .last_modified_time("2026-12-01T00:00:00Z")
                    .build()
                    .unwrap()
            });
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&read]);
        let table = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, []);
        let handover = PasswordHandover::link(
            Dynamo::new(table, "t"),
            None,
            FunctionUrl::new(lambda, "iam-onboarding-fn"),
            24,
        );
        for _ in 0..3 {
            assert_eq!(
                handover.origin().await.unwrap().unwrap(),
                "https://abc123.lambda-url.eu-west-1.on.aws"
            );
        }
        assert_eq!(read.num_calls(), 1);
        assert!(PasswordHandover::email().origin().await.is_none());
    }

    #[test]
    fn the_origin_is_scheme_and_authority() {
        assert_eq!(
            origin_of("https://abc.lambda-url.eu-west-1.on.aws"),
            "https://abc.lambda-url.eu-west-1.on.aws"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:9000/lambda-url/iam-onboarding"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(origin_of("https://ID.Example/x/y"), "https://id.example");
    }
}
