//! The MFA reminder of the sweep's rule 2: the steps to assign an MFA device,
//! never a password.

use crate::identity::welcome_email::{RenderedEmail, html_escape, numbered_steps};

/// The subject line of every MFA reminder.
pub const SUBJECT: &str = "Reminder: protect your AWS sign-in with MFA";

/// Renders the reminder for `username`, who signs in at `signin_url`.
pub fn render_mfa_reminder(username: &str, signin_url: &str) -> RenderedEmail {
    let steps = [
        "Sign in at the sign-in page with your user name and your password.",
        "Open \"Security credentials\" (top-right menu) and choose \"Assign MFA device\". Any device name works, for example \"phone\".",
        "Follow the steps for your authenticator app or security key.",
        "Sign out and sign in again with your password and an MFA code. Until you do, your account can only manage its own credentials.",
    ];
    let intro = "You signed in to AWS, but your user has no MFA device yet. Until it has one, you can do nothing but manage your own credentials.";
    let closing = "This reminder is sent every few days until an MFA device is active. If you did not expect it, tell your IT team.";
    let mut text = format!(
        "Hello,\n\n{intro}\n\n  Sign-in URL:  {signin_url}\n  User name:    {username}\n\nAssign an MFA device:\n"
    );
    let (step_lines, items) = numbered_steps(&steps);
    text.push_str(&format!("{step_lines}\n{closing}\n"));
    let e = html_escape;
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{subject}</title></head><body>\
<p>Hello,</p><p>{intro}</p>\
<table><tr><td>Sign-in URL</td><td><a href=\"{url}\">{url}</a></td></tr>\
<tr><td>User name</td><td><code>{user}</code></td></tr></table>\
<p>Assign an MFA device:</p><ol>{items}</ol><p>{closing}</p></body></html>",
        subject = e(SUBJECT),
        intro = e(intro),
        url = e(signin_url),
        user = e(username),
        closing = e(closing),
    );
    RenderedEmail {
        subject: SUBJECT.to_string(),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_user_and_the_steps_and_escapes_values() {
        let email = render_mfa_reminder("jane<b>", "https://corp.signin.aws.amazon.com/console");
        assert!(email.text.contains("jane<b>"));
        assert!(email.html.contains("jane&lt;b&gt;"));
        assert!(email.text.contains("Assign MFA device"));
        assert!(!email.text.to_lowercase().contains("one-time password"));
    }
}
