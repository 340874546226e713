//! `mfa-session`: temporary AWS credentials from an MFA code. See
//! `iam_onboarding::mfa` and the README section "MFA on the command line".

fn main() -> std::process::ExitCode {
    iam_onboarding::mfa::main()
}
