//! `mfa-session`: temporary AWS credentials from an MFA code. See
//! `iam_onboarding::mfa` and `docs/mfa-session.md`.

fn main() -> std::process::ExitCode {
    iam_onboarding::mfa::main()
}
