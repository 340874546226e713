//! The welcome email: subject, plain-text and HTML bodies.

use super::password::OneTimePassword;

/// What the welcome email says.
pub struct WelcomeEmail<'a> {
    /// Greeting name (given name), if known.
    pub given_name: Option<&'a str>,
    /// The IAM user name to sign in with.
    pub username: &'a str,
    /// Console sign-in URL.
    pub signin_url: &'a str,
    /// The one-time password.
    pub password: &'a OneTimePassword,
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

impl WelcomeEmail<'_> {
    /// Renders the text and HTML parts.
    pub fn render(&self) -> RenderedEmail {
        let greeting = match self.given_name {
            Some(name) => format!("Hello {name},"),
            None => "Hello,".to_string(),
        };
        let steps = [
            "Open the sign-in page and sign in with the user name and one-time password above.",
            "Choose a new password when asked. The one-time password stops working once you do.",
            "Open \"Security credentials\" (top-right menu) and assign an MFA device. Any device name works, for example \"phone\".",
            "Sign out and sign in again with your new password and an MFA code. Until you do, your account can only manage its own credentials.",
        ];
        let cli_hint = "Using the AWS CLI? After creating an access key, run `mfa-session --profile <your profile>` to get MFA session credentials (see the iam-onboarding README, \"MFA on the command line\").";
        let closing = "This password was generated for you alone; nobody else has seen it. If you did not expect this email, tell your IT team.";

        let mut text = format!(
            "{greeting}\n\nAn AWS account has been created for you.\n\n  Sign-in URL:        {url}\n  User name:          {user}\n  One-time password:  {password}\n\nFirst sign-in:\n",
            url = self.signin_url,
            user = self.username,
            password = self.password.expose(),
        );
        let (step_lines, items) = numbered_steps(&steps);
        text.push_str(&format!("{step_lines}\n{cli_hint}\n\n{closing}\n"));

        let e = html_escape;
        let html = format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{subject}</title></head><body>\
<p>{greeting}</p><p>An AWS account has been created for you.</p>\
<table><tr><td>Sign-in URL</td><td><a href=\"{url}\">{url}</a></td></tr>\
<tr><td>User name</td><td><code>{user}</code></td></tr>\
<tr><td>One-time password</td><td><code>{password}</code></td></tr></table>\
<p>First sign-in:</p><ol>{items}</ol><p>{cli}</p><p>{closing}</p></body></html>",
            subject = e(SUBJECT),
            greeting = e(&greeting),
            url = e(self.signin_url),
            user = e(self.username),
            password = e(self.password.expose()),
            cli = e(cli_hint),
            closing = e(closing),
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
            password: &password,
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
    fn html_escapes_every_provided_value() {
        let password = OneTimePassword::generate(&PasswordPolicy::AWS_DEFAULT, &mut rand::rng());
        let email = WelcomeEmail {
            given_name: Some("<script>alert('x')</script>"),
            username: "a&b",
            signin_url: "https://x.example/\"onmouseover=",
            password: &password,
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
