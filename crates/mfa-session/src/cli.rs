//! The command line of `mfa-session`.

use clap::Parser;

use super::device::SerialArg;
use super::duration::SessionDuration;

const EXAMPLES: &str = "\
Examples:
  mfa-session --profile jane                 # asks for a code, writes profile jane-mfa
  aws --profile jane-mfa s3 ls               # then use the session
  mfa-session --profile jane --code 123456 --duration 1h30m
  mfa-session --profile jane --exec -- terraform plan
  # In ~/.aws/config, so that `--profile jane-auto` asks for a code only when
  # the session expired:
  [profile jane-auto]
  credential_process = mfa-session --profile jane --credential-process";

/// Get temporary AWS credentials with your MFA code (sts:GetSessionToken) and
/// write them to your credentials file, pass them to a command, or print them
/// for credential_process.
#[derive(Debug, Parser)]
#[command(name = "mfa-session", version, after_help = EXAMPLES)]
pub struct Args {
    /// Profile holding your IAM user's long-term access key [default: $AWS_PROFILE, else "default"]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The 6-digit code your authenticator shows; asked for when omitted
    #[arg(long, value_name = "123456")]
    pub code: Option<String>,

    /// The MFA device's serial number (its ARN), or "auto" to find your device
    #[arg(long, value_name = "ARN|auto", default_value = "auto")]
    pub serial: SerialArg,

    /// How long the session lasts, 15m to 36h: e.g. 900s, 15m, 12h, 1h30m
    #[arg(long, value_name = "DURATION", default_value = "12h")]
    pub duration: SessionDuration,

    /// Profile to write the session to (default: PROFILE-mfa)
    #[arg(long, value_name = "NAME", conflicts_with_all = ["exec", "credential_process"])]
    pub output_profile: Option<String>,

    /// Start a new session even if the current one is valid for more than 15 minutes
    #[arg(long)]
    pub force: bool,

    /// Run a command (given after --) with the session in its environment instead of writing the file
    #[arg(long, requires = "command", conflicts_with = "credential_process")]
    pub exec: bool,

    /// Print the JSON that credential_process in ~/.aws/config expects (sessions are cached)
    #[arg(long)]
    pub credential_process: bool,

    /// The command for --exec and its arguments
    #[arg(last = true, value_name = "CMD ARGS", requires = "exec")]
    pub command: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("mfa-session").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.profile, None);
        assert_eq!(a.serial, SerialArg::Auto);
        assert_eq!(a.duration, SessionDuration::DEFAULT);
        assert!(!a.force && !a.exec && !a.credential_process && a.command.is_empty());
    }

    #[test]
    fn all_options() {
        let a = parse(&[
            "--profile",
            "jane",
            "--code",
            "123456",
            "--serial",
            "arn:aws:iam::123456789012:mfa/jane",
            "--duration",
            "1h30m",
            "--output-profile",
            "x",
            "--force",
        ])
        .unwrap();
        assert_eq!(a.profile.as_deref(), Some("jane"));
        assert_eq!(a.code.as_deref(), Some("123456"));
        assert_eq!(
            a.serial,
            SerialArg::Explicit("arn:aws:iam::123456789012:mfa/jane".into())
        );
        assert_eq!(a.duration.seconds(), 5400);
        assert_eq!(a.output_profile.as_deref(), Some("x"));
        assert!(a.force);
    }

    #[test]
    fn exec_takes_everything_after_the_double_dash() {
        let a = parse(&["--exec", "--", "aws", "s3", "ls", "--profile", "x"]).unwrap();
        assert!(a.exec);
        assert_eq!(a.command, ["aws", "s3", "ls", "--profile", "x"]);
        assert!(parse(&["--exec"]).is_err(), "--exec needs a command");
        assert!(parse(&["--", "ls"]).is_err(), "a command needs --exec");
        assert!(parse(&["--exec", "--credential-process", "--", "ls"]).is_err());
        assert!(parse(&["--exec", "--output-profile", "x", "--", "ls"]).is_err());
        assert!(parse(&["--credential-process", "--output-profile", "x"]).is_err());
    }

    #[test]
    fn bad_values_are_usage_errors_with_reasons() {
        let e = parse(&["--duration", "10m"]).unwrap_err().to_string();
        assert!(e.contains("900 s") && e.contains("36h"), "{e}");
        let e = parse(&["--serial", "phone"]).unwrap_err().to_string();
        assert!(e.contains("not an MFA serial number"), "{e}");
    }
}
