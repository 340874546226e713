//! What `mfa-session` does, start to finish.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::aws::{Aws, Caller, Failure};
use super::cache;
use super::cli::Args;
use super::credentials_file::{OutputState, output_state, upsert};
use super::device::{SelectError, SerialArg, select_device};
use super::error::{MfaError, bullet_list};
use super::private_file::{read_optional, write_atomic, write_target};
use super::profile_file::{configured_mfa_serial, valid_profile_name};
use super::prompt::{self, PromptTo};
use super::session::{SessionCredentials, format_time, time_left};

/// The environment variables `mfa-session` reads (empty counts as unset).
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub home: Option<PathBuf>,
    pub aws_profile: Option<String>,
    pub shared_credentials_file: Option<String>,
    pub config_file: Option<String>,
    pub endpoint_url: Option<String>,
    pub access_key_id: Option<String>,
}

impl Env {
    /// This process's environment.
    pub fn from_process() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            home: var("HOME").map(PathBuf::from),
            aws_profile: var("AWS_PROFILE"),
            shared_credentials_file: var("AWS_SHARED_CREDENTIALS_FILE"),
            config_file: var("AWS_CONFIG_FILE"),
            endpoint_url: var("AWS_ENDPOINT_URL"),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
        }
    }

    fn home(&self) -> Result<&Path, MfaError> {
        self.home.as_deref().ok_or_else(|| {
            MfaError::Usage("HOME is not set, so ~/.aws cannot be found; set HOME".into())
        })
    }

    /// `~` and `~/…` as the SDK expands them.
    fn expand(&self, path: &str) -> Result<PathBuf, MfaError> {
        match path.strip_prefix('~') {
            Some("") => Ok(self.home()?.to_path_buf()),
            Some(rest) if rest.starts_with('/') => {
                Ok(self.home()?.join(rest.trim_start_matches('/')))
            }
            _ => Ok(PathBuf::from(path)),
        }
    }

    /// `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub fn credentials_path(&self) -> Result<PathBuf, MfaError> {
        self.expand(
            self.shared_credentials_file
                .as_deref()
                .unwrap_or("~/.aws/credentials"),
        )
    }

    /// `$AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub fn config_path(&self) -> Result<PathBuf, MfaError> {
        self.expand(self.config_file.as_deref().unwrap_or("~/.aws/config"))
    }
}

/// What is left to do once the AWS part is done.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing: the credentials file was written, or is still valid.
    Done,
    /// Print this `credential_process` JSON on stdout.
    Print(String),
    /// Run this command with these credentials.
    Exec {
        command: Vec<String>,
        credentials: SessionCredentials,
    },
}

/// Runs `mfa-session` with `args` in `env`.
pub async fn run(args: Args, env: &Env) -> Result<Outcome, MfaError> {
    let profile = args
        .profile
        .clone()
        .or_else(|| env.aws_profile.clone())
        .unwrap_or_else(|| "default".into());
    check_profile_name(&profile, "--profile")?;
    if args.exec || args.credential_process {
        run_cached(&args, &profile, env).await
    } else {
        run_file(&args, &profile, env).await
    }
}

fn check_profile_name(name: &str, option: &str) -> Result<(), MfaError> {
    if valid_profile_name(name) {
        Ok(())
    } else {
        Err(MfaError::Usage(format!(
            "{option} {name:?} is not a valid profile name (letters, digits and _-/.%@:+ only)"
        )))
    }
}

/// Default mode: the session goes into the shared credentials file.
async fn run_file(args: &Args, profile: &str, env: &Env) -> Result<Outcome, MfaError> {
    let output = args
        .output_profile
        .clone()
        .unwrap_or_else(|| format!("{profile}-mfa"));
    check_profile_name(&output, "--output-profile")?;
    if output == profile {
        return Err(MfaError::Usage(format!(
            "--output-profile must differ from --profile: writing the session to \"{profile}\" would replace your long-term access key"
        )));
    }
    let path = env.credentials_path()?;
    write_target(&path)?;
    let now = SystemTime::now();
    match output_state(&read_optional(&path)?.unwrap_or_default(), &output, now) {
        OutputState::LongTerm => return Err(long_term(&output, &path)),
        OutputState::Fresh { expiration } if !args.force => {
            println!(
                "Profile \"{output}\" in {} holds an MFA session valid until {} ({} left); nothing to do.\nUse it with --profile {output} or AWS_PROFILE={output}; run with --force to start a new session now.",
                path.display(),
                format_time(expiration),
                time_left(expiration, now),
            );
            return Ok(Outcome::Done);
        }
        _ => {}
    }
    let creds = new_session(args, profile, env, PromptTo::Stderr).await?;
    // Read again: the file may have changed while we waited for the code.
    let content = read_optional(&path)?.unwrap_or_default();
    if output_state(&content, &output, now) == OutputState::LongTerm {
        return Err(long_term(&output, &path));
    }
    write_atomic(&path, &upsert(&content, &output, &creds.credentials))?;
    println!(
        "Wrote MFA session credentials (device {}) to profile \"{output}\" in {}.\nThey expire at {} (in {}). Use them with:\n  aws --profile {output} sts get-caller-identity\n  export AWS_PROFILE={output}",
        creds.serial,
        path.display(),
        format_time(creds.credentials.expiration),
        time_left(creds.credentials.expiration, SystemTime::now()),
    );
    Ok(Outcome::Done)
}

fn long_term(profile: &str, path: &Path) -> MfaError {
    MfaError::OutputHoldsLongTerm {
        profile: profile.to_string(),
        path: path.to_path_buf(),
    }
}

/// `--exec` and `--credential-process`: the session comes from the cache while
/// it has more than the reuse window left.
async fn run_cached(args: &Args, profile: &str, env: &Env) -> Result<Outcome, MfaError> {
    let cache_path = env.home.as_deref().map(|home| {
        cache::cache_path(
            home,
            profile,
            args.serial.as_key(),
            env.endpoint_url.as_deref(),
        )
    });
    let cached = match (&cache_path, args.force) {
        (Some(path), false) => cache::load(path, SystemTime::now())?,
        _ => None,
    };
    let credentials = match cached {
        Some(c) => {
            if args.exec {
                eprintln!(
                    "Using the cached MFA session (expires at {}).",
                    format_time(c.expiration)
                );
            }
            c
        }
        None => {
            let to = if args.credential_process {
                PromptTo::Terminal
            } else {
                PromptTo::Stderr
            };
            let c = new_session(args, profile, env, to).await?.credentials;
            match &cache_path {
                Some(path) => {
                    if let Err(e) = cache::store(path, &c) {
                        eprintln!("warning: the session could not be cached: {e}");
                    }
                }
                None => eprintln!("warning: HOME is not set, so the session is not cached"),
            }
            c
        }
    };
    Ok(if args.exec {
        Outcome::Exec {
            command: args.command.clone(),
            credentials,
        }
    } else {
        Outcome::Print(credentials.process_json())
    })
}

/// A new session and the device it was started with.
struct NewSession {
    credentials: SessionCredentials,
    serial: String,
}

/// A new session: long-term credentials, the device, a code, GetSessionToken.
async fn new_session(
    args: &Args,
    profile: &str,
    env: &Env,
    prompt_to: PromptTo,
) -> Result<NewSession, MfaError> {
    let credentials_file = env
        .credentials_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "~/.aws/credentials".into());
    let aws = Aws::connect(
        profile,
        env.access_key_id.as_deref(),
        env.endpoint_url.as_deref(),
        &credentials_file,
    )
    .await?;
    if aws.from_environment {
        eprintln!(
            "note: using the access key in AWS_ACCESS_KEY_ID: environment variables come before the profile"
        );
    }
    let serial = match &args.serial {
        SerialArg::Explicit(s) => s.clone(),
        SerialArg::Auto => auto_serial(&aws, profile, env).await?,
    };
    let code = match &args.code {
        Some(c) => prompt::normalize_code(c)?,
        None => {
            let hint = if args.credential_process {
                format!(
                    "credential_process runs without a terminal to type in; run `mfa-session --profile {profile} --exec -- true` in a terminal to start a session (it is cached until it expires), or add --code"
                )
            } else {
                "pass --code 123456, or run mfa-session in a terminal".to_string()
            };
            prompt::ask(&serial, prompt_to, &hint)?
        }
    };
    let requested = Duration::from_secs(args.duration.seconds().into());
    let creds = match aws.session_token(&serial, &code, args.duration).await {
        Err(rejected @ MfaError::CodeRejected { .. })
            if matches!(args.serial, SerialArg::Explicit(_)) =>
        {
            // Was it the device rather than the code? Best effort.
            return Err(match aws.caller().await {
                Ok(caller) => explicit_serial_rejected(rejected, &serial, profile, &caller),
                Err(_) => rejected,
            });
        }
        other => other?,
    };
    if let Some(warning) = clock_warning(creds.expiration, requested, SystemTime::now()) {
        eprintln!("warning: {warning}");
    }
    Ok(NewSession {
        credentials: creds,
        serial,
    })
}

/// The error for GetSessionToken refusing an explicit `--serial`: the device is
/// not the caller's (or they have none), else the code was wrong.
fn explicit_serial_rejected(
    rejected: MfaError,
    serial: &str,
    profile: &str,
    caller: &Caller,
) -> MfaError {
    if caller.devices.is_empty() {
        MfaError::NoDevice {
            who: caller.who(profile),
        }
    } else if !caller.devices.iter().any(|d| d == serial) {
        MfaError::DeviceNotFound {
            serial: serial.to_string(),
            origin: "(from --serial)".into(),
            who: caller.who(profile),
            list: bullet_list(&caller.devices),
            hint: "pass one of these with --serial, or use --serial auto".into(),
        }
    } else {
        rejected
    }
}

/// `--serial auto`.
async fn auto_serial(aws: &Aws, profile: &str, env: &Env) -> Result<String, MfaError> {
    let config_path = env.config_path()?;
    let configured = || -> Result<Option<String>, MfaError> {
        Ok(read_optional(&config_path)?.and_then(|config| configured_mfa_serial(&config, profile)))
    };
    let section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    let caller = match aws.caller().await {
        Ok(caller) => caller,
        Err((_, Failure::Service { code, message })) if code == "AccessDenied" => {
            // Not allowed to list devices: the config may still name one.
            return match configured()? {
                Some(serial) => {
                    eprintln!(
                        "note: cannot list your MFA devices ({code}); using mfa_serial {serial} from {}",
                        config_path.display()
                    );
                    Ok(serial)
                }
                None => Err(MfaError::CannotListDevices {
                    code,
                    message,
                    section,
                    config_file: config_path.display().to_string(),
                }),
            };
        }
        Err((error, _)) => return Err(error),
    };
    // The config is read only when it matters (several devices).
    let configured = if caller.devices.len() > 1 {
        configured()?
    } else {
        None
    };
    match select_device(&caller.devices, configured.as_deref()) {
        Ok(selection) => {
            if let Some(w) = selection.warning {
                eprintln!("warning: {w}");
            }
            Ok(selection.serial)
        }
        Err(SelectError::NoDevice) => Err(MfaError::NoDevice {
            who: caller.who(profile),
        }),
        Err(SelectError::Several(devices)) => Err(MfaError::SeveralDevices {
            who: caller.who(profile),
            list: bullet_list(&devices),
            section,
            config_file: config_path.display().to_string(),
        }),
        Err(SelectError::ConfiguredNotFound {
            configured,
            devices,
        }) => Err(MfaError::DeviceNotFound {
            serial: configured,
            origin: format!(
                "(mfa_serial under [{section}] in {})",
                config_path.display()
            ),
            who: caller.who(profile),
            list: bullet_list(&devices),
            hint: "correct mfa_serial there, or pass --serial".into(),
        }),
    }
}

/// A warning when STS's expiration shows the local clock is off (by more than
/// 5 minutes): the reuse window is judged by that clock. An expiration earlier
/// than asked for but still ahead is not a sign (AWS caps root sessions at 1 h).
pub fn clock_warning(
    expiration: SystemTime,
    requested: Duration,
    now: SystemTime,
) -> Option<String> {
    let tolerance = Duration::from_secs(5 * 60);
    let fix = "turn on automatic time sync (e.g. `timedatectl set-ntp true`)";
    if expiration <= now {
        Some(format!(
            "AWS says this session expires at {}, which has already passed by your computer's clock: your clock is probably fast; {fix}",
            format_time(expiration)
        ))
    } else if expiration > now + requested + tolerance {
        let off = expiration
            .duration_since(now + requested)
            .unwrap_or_default()
            .as_secs();
        Some(format!(
            "AWS says this session expires at {}, about {} min later than your computer's clock expects: your clock is probably slow; {fix}",
            format_time(expiration),
            off / 60
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_sdk_variables() {
        let env = Env {
            home: Some("/home/jane".into()),
            ..Env::default()
        };
        assert_eq!(
            env.credentials_path().unwrap(),
            PathBuf::from("/home/jane/.aws/credentials")
        );
        assert_eq!(
            env.config_path().unwrap(),
            PathBuf::from("/home/jane/.aws/config")
        );
        let env = Env {
            home: Some("/home/jane".into()),
            shared_credentials_file: Some("~/work/creds".into()),
            config_file: Some("/etc/aws-config".into()),
            ..Env::default()
        };
        assert_eq!(
            env.credentials_path().unwrap(),
            PathBuf::from("/home/jane/work/creds")
        );
        assert_eq!(env.config_path().unwrap(), PathBuf::from("/etc/aws-config"));
        let e = Env::default().credentials_path().unwrap_err();
        assert!(e.to_string().contains("HOME is not set"));
    }

    #[test]
    fn clock_warnings() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(clock_warning(now + hour, hour, now), None);
        assert_eq!(
            clock_warning(now + hour + Duration::from_secs(240), hour, now),
            None
        );
        // Capped below what was asked (root sessions): not a clock problem.
        assert_eq!(clock_warning(now + hour, 12 * hour, now), None);
        let slow = clock_warning(now + 2 * hour, hour, now).unwrap();
        assert!(
            slow.contains("about 60 min later") && slow.contains("slow"),
            "{slow}"
        );
        let fast = clock_warning(now - Duration::from_secs(1), hour, now).unwrap();
        assert!(
            fast.contains("already passed") && fast.contains("fast"),
            "{fast}"
        );
    }

    fn caller(devices: &[&str]) -> Caller {
        Caller {
            user: Some("jane".into()),
            devices: devices.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn rejected() -> MfaError {
        MfaError::CodeRejected {
            serial: "arn:a:mfa/phone".into(),
            profile: "jane".into(),
            message: "AccessDenied".into(),
        }
    }

    #[test]
    fn an_explicit_serial_that_is_not_the_users_is_reported_as_such() {
        let e = explicit_serial_rejected(
            rejected(),
            "arn:a:mfa/phone",
            "jane",
            &caller(&["arn:a:mfa/key"]),
        );
        assert!(matches!(e, MfaError::DeviceNotFound { .. }), "{e:?}");
        assert!(e.to_string().contains("- arn:a:mfa/key"), "{e}");
        let e = explicit_serial_rejected(rejected(), "arn:a:mfa/phone", "jane", &caller(&[]));
        assert!(matches!(e, MfaError::NoDevice { .. }), "{e:?}");
        let e = explicit_serial_rejected(
            rejected(),
            "arn:a:mfa/phone",
            "jane",
            &caller(&["arn:a:mfa/phone"]),
        );
        assert!(matches!(e, MfaError::CodeRejected { .. }), "{e:?}");
    }
}
