//! The welcome email: subject, plain-text and HTML bodies. It carries either the
//! one-time password (`PASSWORD_DELIVERY=email`) or a one-time reveal link
//! (`link`), never both.

use chrono::DateTime;

use super::password::OneTimePassword;
use super::reveal_link::RevealUrl;

/// How the email hands over the one-time password.
pub enum Credential<'a> {
    /// The password itself, in clear text (the weaker, opt-in delivery).
    Password(&'a OneTimePassword),
    /// A link to the reveal page, valid once until `expires_at` (unix seconds).
    RevealLink {
        /// `<REVEAL_BASE_URL>/reveal/<id>#<secret>`.
        url: &'a RevealUrl,
        /// When the link stops working, unix seconds.
        expires_at: i64,
    },
}

/// What the welcome email says.
pub struct WelcomeEmail<'a> {
    /// Greeting name (given name), if known.
    pub given_name: Option<&'a str>,
    /// The IAM user name to sign in with.
    pub username: &'a str,
    /// Console sign-in URL.
    pub signin_url: &'a str,
    /// The password or the link to it.
    pub credential: Credential<'a>,
}

/// A rendered message, ready for SES.
pub struct RenderedEmail {
    /// Subject line (never contains the password).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body; every provided value is escaped.
    pub html: String,
}

/// The subject line of every welcome email.
pub const SUBJECT: &str = "Your AWS account is ready";

/// `unix` seconds as an absolute UTC time, e.g. `Friday 4 December 2026, 14:05 UTC`.
pub fn utc_time(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%A %-d %B %Y, %H:%M UTC").to_string())
        .unwrap_or_else(|| format!("{unix} (unix time)"))
}

impl WelcomeEmail<'_> {
    /// Renders the text and HTML parts.
    pub fn render(&self) -> RenderedEmail {
        let greeting = match self.given_name {
            Some(name) => format!("Hello {name},"),
            None => "Hello,".to_string(),
        };
        let (first_step, secret_text, secret_html, closing) = match &self.credential {
            Credential::Password(password) => (
                "Open the sign-in page and sign in with the user name and one-time password above.",
                format!("  One-time password:  {}\n", password.expose()),
                format!(
                    "<tr><td>One-time password</td><td><code>{}</code></td></tr>",
                    html_escape(password.expose())
                ),
                "This password was generated for you alone; nobody else has seen it. If you did not expect this email, tell your IT team.".to_string(),
            ),
            Credential::RevealLink { url, expires_at } => {
                let until = utc_time(*expires_at);
                (
                    "Open the password link above and click \"Reveal\". It shows your one-time password once, then stops working. Then open the sign-in page and sign in with the user name and that password.",
                    format!("  One-time password:  {}\n  (the link works once, until {until})\n", url.expose()),
                    format!(
                        "<tr><td>One-time password</td><td><a href=\"{url}\">Reveal your password</a> (works once, until {until})</td></tr>",
                        url = html_escape(url.expose()),
                        until = html_escape(&until),
                    ),
                    "The password is not in this email: the link shows it once, to the first person who opens it and clicks Reveal. If the page says the link was already used and it was not you, tell your IT team at once; they can run \"resend\", which issues a new link and retires the old password. If the link expired, ask them the same.".to_string(),
                )
            }
        };
        let steps = [
            first_step,
            "Choose a new password when asked. The one-time password stops working once you do.",
            "Open \"Security credentials\" (top-right menu) and assign an MFA device. Any device name works, for example \"phone\".",
            "Sign out and sign in again with your new password and an MFA code. Until you do, your account can only manage its own credentials.",
        ];
        let cli_hint = "Using the AWS CLI? After creating an access key, run `mfa-session --profile <your profile>` to get MFA session credentials (see the iam-onboarding README, \"MFA on the command line\").";

        let mut text = format!(
            "{greeting}\n\nAn AWS account has been created for you.\n\n  Sign-in URL:        {url}\n  User name:          {user}\n{secret_text}\nFirst sign-in:\n",
            url = self.signin_url,
            user = self.username,
        );
        let (step_lines, items) = numbered_steps(&steps);
        text.push_str(&format!("{step_lines}\n{cli_hint}\n\n{closing}\n"));

        let e = html_escape;
        let html = format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{subject}</title></head><body>\
<p>{greeting}</p><p>An AWS account has been created for you.</p>\
<table><tr><td>Sign-in URL</td><td><a href=\"{url}\">{url}</a></td></tr>\
<tr><td>User name</td><td><code>{user}</code></td></tr>\
{secret_html}</table>\
<p>First sign-in:</p><ol>{items}</ol><p>{cli}</p><p>{closing}</p></body></html>",
            subject = e(SUBJECT),
            greeting = e(&greeting),
            url = e(self.signin_url),
            user = e(self.username),
            cli = e(cli_hint),
            closing = e(&closing),
        );
        RenderedEmail {
            subject: SUBJECT.to_string(),
            text,
            html,
        }
    }
}

/// Numbered steps as plain-text lines (`  1. …`) and as HTML `<li>` items (escaped).
pub fn numbered_steps(steps: &[&str]) -> (String, String) {
    let text = steps
        .iter()
        .enumerate()
        .map(|(number, step)| format!("  {}. {step}\n", number + 1))
        .collect();
    let html = steps
        .iter()
        .map(|s| format!("<li>{}</li>", html_escape(s)))
        .collect();
    (text, html)
}

/// Escapes the five HTML-significant characters.
pub fn html_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::password::PasswordPolicy;

    #[test]
    fn both_parts_carry_the_credentials_and_steps() {
        let password = OneTimePassword::generate(&PasswordPolicy::AWS_DEFAULT, &mut rand::rng());
        let email = WelcomeEmail {
            given_name: Some("Jane"),
            username: "jane.doe",
            signin_url: "https://123456789012.signin.aws.amazon.com/console",
            credential: Credential::Password(&password),
        }
        .render();
        assert!(!email.subject.contains(password.expose()));
        assert!(email.text.contains(password.expose()));
        assert!(email.html.contains(&html_escape(password.expose())));
        for part in [&email.text, &email.html] {
            assert!(part.contains("jane.doe"));
            assert!(part.contains("https://123456789012.signin.aws.amazon.com/console"));
            assert!(part.contains("MFA"));
            assert!(part.contains("mfa-session"));
            assert!(part.contains("Any device name works"));
        }
        assert!(email.text.starts_with("Hello Jane,"));
    }

    #[test]
    fn a_link_email_carries_the_link_and_its_expiry_and_never_a_password() {
        let url = RevealUrl::new("https://fn.example/reveal/AAAAAAAAAAAAAAAAAAAAAA#sEcReT".into());
        let email = WelcomeEmail {
            given_name: None,
            username: "jane.doe",
            signin_url: "https://123456789012.signin.aws.amazon.com/console",
            credential: Credential::RevealLink {
                url: &url,
                expires_at: 1_796_392_800,
            },
        }
        .render();
        assert!(!email.subject.contains("sEcReT"));
        for part in [&email.text, &email.html] {
            assert!(part.contains("https://fn.example/reveal/AAAAAAAAAAAAAAAAAAAAAA#sEcReT"));
            assert!(part.contains("Friday 4 December 2026, 14:00 UTC"), "{part}");
            assert!(part.contains("already used"));
            assert!(part.contains("resend"));
            assert!(part.contains("jane.doe"));
            assert!(part.contains("MFA"));
        }
    }

    #[test]
    fn html_escapes_every_provided_value() {
        let password = OneTimePassword::generate(&PasswordPolicy::AWS_DEFAULT, &mut rand::rng());
        let email = WelcomeEmail {
            given_name: Some("<script>alert('x')</script>"),
            username: "a&b",
            signin_url: "https://x.example/\"onmouseover=",
            credential: Credential::Password(&password),
        }
        .render();
        assert!(!email.html.contains("<script>"));
        assert!(
            email
                .html
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
        );
        assert!(email.html.contains("a&amp;b"));
        assert!(email.html.contains("&quot;onmouseover="));
    }
}
