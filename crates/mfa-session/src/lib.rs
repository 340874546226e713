//! `mfa-session`: temporary credentials from an MFA code, for the command line.
//!
//! A new user's access key can do almost nothing until they sign in with MFA
//! (the self-manage policy denies the rest). This turns the long-term key of a
//! profile plus a code into a session (`sts:GetSessionToken`) and
//! - writes it to the shared credentials file under `<profile>-mfa` (default), or
//! - runs a command with it in the environment (`--exec -- CMD ARGS…`), or
//! - prints it for `credential_process` (`--credential-process`).
//!
//! Modules: [`cli`] (arguments), [`duration`], [`device`] (which MFA device),
//! [`profile_file`] and [`credentials_file`] (reading and editing the AWS files
//! line by line), [`cache`] (the credential_process session cache), [`session`]
//! (the credentials, with secrets redacted from `Debug`), [`aws`] (the SDK
//! calls and their errors), [`prompt`], [`private_file`] (0600 files replaced
//! atomically), [`mod@run`] (the flow) and [`error`].

pub mod aws;
pub mod cache;
pub mod cli;
pub mod credentials_file;
pub mod device;
pub mod duration;
pub mod error;
pub mod private_file;
pub mod profile_file;
pub mod prompt;
pub mod run;
pub mod session;

use std::process::ExitCode;

use clap::Parser;

use self::cli::Args;
use self::error::MfaError;
use self::run::{Env, Outcome, run};
use self::session::SessionCredentials;

/// Variables removed from an `--exec` child's environment: a profile there would
/// compete with the session's variables, and AWS_SECURITY_TOKEN is the old name
/// of AWS_SESSION_TOKEN that some tools still read.
pub const EXEC_REMOVED_VARS: [&str; 3] =
    ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"];

/// The `mfa-session` program: parse arguments, run, report. Exit status 0 on
/// success, 1 on failure, 2 on a usage error; with `--exec`, the command's.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&MfaError::Usage(format!("cannot start: {e}"))),
    };
    let outcome = runtime.block_on(run(args, &Env::from_process()));
    drop(runtime);
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Print(json)) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Ok(Outcome::Exec {
            command,
            credentials,
        }) => exec(&command, &credentials),
        Err(e) => fail(&e),
    }
}

fn fail(e: &MfaError) -> ExitCode {
    eprintln!("mfa-session: error: {e}");
    ExitCode::from(if matches!(e, MfaError::Usage(_)) {
        2
    } else {
        1
    })
}

/// Replaces this process with `command`, the session in its environment.
/// Returns only if that fails (127: not found, 126: cannot run), like a shell.
fn exec(command: &[String], credentials: &SessionCredentials) -> ExitCode {
    use std::os::unix::process::CommandExt;

    let Some((program, rest)) = command.split_first() else {
        return fail(&MfaError::Usage("--exec needs a command after --".into()));
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    for (name, value) in credentials.env() {
        cmd.env(name, value);
    }
    for name in EXEC_REMOVED_VARS {
        cmd.env_remove(name);
    }
    let source = cmd.exec();
    let not_found = source.kind() == std::io::ErrorKind::NotFound;
    eprintln!(
        "mfa-session: error: {}",
        MfaError::Exec {
            command: program.clone(),
            source,
            hint: if not_found {
                " (is it installed and on PATH?)"
            } else {
                ""
            },
        }
    );
    ExitCode::from(if not_found { 127 } else { 126 })
}
