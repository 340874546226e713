//! `mfa-session`: temporary AWS credentials from an MFA code. See the library
//! docs and the README section "MFA on the command line".

fn main() -> std::process::ExitCode {
    mfa_session::main()
}
