//! The `mfa-session` binary against moto: a user with an access key and an enabled
//! virtual MFA device, the binary run as that user with a private HOME, and
//! boto3 (from `.venv`) reading what it wrote. (moto accepts any 6-digit code for
//! EnableMFADevice and GetSessionToken, and returns the same example credentials
//! every time; sessions are told apart by their expiration.)
//!
//! STS's refusals (a wrong code, a skewed clock), which moto never sends, come
//! from a tiny local HTTP server answering with STS's error documents.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use serde_json::Value;

use test_support::{Moto, sdk_config, venv_tool};

const BIN: &str = env!("CARGO_BIN_EXE_mfa-session");
const ACCOUNT: &str = "123456789012";

/// A private HOME with `.aws/`, removed on drop.
struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mfa-session-it-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).expect("temp HOME");
        Self(dir)
    }

    fn credentials(&self) -> PathBuf {
        self.0.join(".aws/credentials")
    }

    fn config(&self) -> PathBuf {
        self.0.join(".aws/config")
    }

    fn read_credentials(&self) -> String {
        std::fs::read_to_string(self.credentials()).expect("credentials file")
    }

    fn cache_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.0.join(".aws/cli/cache")) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An IAM user in moto with an access key and `devices` enabled virtual MFA devices.
struct Account {
    moto: Moto,
    key_id: String,
    secret: String,
    serials: Vec<String>,
}

impl Account {
    async fn new(user: &str, devices: usize) -> Self {
        let moto = Moto::start();
        let iam = aws_sdk_iam::Client::new(&sdk_config(&moto.endpoint).await);
        iam.create_user()
            .user_name(user)
            .path("/engineering/")
            .send()
            .await
            .expect("create user");
        let key = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .expect("create access key");
        let key = key.access_key().expect("access key");
        let mut serials = Vec::new();
        for n in 0..devices {
            let device = iam
                .create_virtual_mfa_device()
                .virtual_mfa_device_name(format!("{user}-device-{n}"))
                .send()
                .await
                .expect("create virtual MFA device");
            let serial = device
                .virtual_mfa_device()
                .expect("device")
                .serial_number()
                .to_string();
            iam.enable_mfa_device()
                .user_name(user)
                .serial_number(&serial)
                .authentication_code1("123456")
                .authentication_code2("654321")
                .send()
                .await
                .expect("moto enables a virtual MFA device with any two 6-digit codes");
            serials.push(serial);
        }
        Self {
            key_id: key.access_key_id().to_string(),
            secret: key.secret_access_key().to_string(),
            serials,
            moto,
        }
    }

    /// A credentials file with the user's key under `[jane]` among other
    /// sections and comments that must survive every write.
    fn credentials_file(&self) -> String {
        format!(
            "# Personal AWS credentials. Hand-edited; keep this comment.\n\
             [default]\n\
             aws_access_key_id = AKIADEFAULTEXAMPLE\n\
             aws_secret_access_key = default-secret ; rotated in May\n\
             \n\
             [jane]\n\
             aws_access_key_id = {}\n\
             aws_secret_access_key = {}\n\
             \n\
             ; the work account, managed by another tool\n\
             [work]\n\
             aws_access_key_id=AKIAWORKEXAMPLE\n\
             aws_secret_access_key=work-secret\n\
             region = eu-west-1\n",
            self.key_id, self.secret
        )
    }

    /// `program` with a clean environment pointing at the emulator and `home`,
    /// in a new session (`setsid`): no controlling terminal, so nothing can
    /// wait for input on the terminal that runs the tests.
    fn command(&self, program: &str, home: &Home) -> Command {
        let mut cmd = Command::new("setsid");
        cmd.args(["--wait", program])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home.0)
            .env("AWS_SHARED_CREDENTIALS_FILE", home.credentials())
            .env("AWS_CONFIG_FILE", home.config())
            .env("AWS_ENDPOINT_URL", &self.moto.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    /// Runs `mfa-session args` as the user.
    fn mfa(&self, home: &Home, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command(BIN, home);
        cmd.args(args);
        let out = run(cmd, stdin);
        self.assert_no_long_term_secret(&out);
        out
    }

    /// Runs a Python snippet with boto3, printing one JSON document.
    fn boto3(&self, home: &Home, script: &str, env: &[(&str, &str)]) -> Value {
        let mut cmd = self.command(&venv_tool("python"), home);
        cmd.envs(env.iter().copied()).args(["-c", script]);
        let out = run(cmd, None);
        assert!(out.status.success(), "boto3 failed: {}", text(&out));
        serde_json::from_slice(&out.stdout).expect("boto3 script prints JSON")
    }

    fn assert_no_long_term_secret(&self, out: &Output) {
        let all = text(out);
        assert!(
            !all.contains(&self.secret),
            "the long-term secret key was printed: {all}"
        );
    }
}

/// Runs `cmd` with `stdin` (or none), failing the test after 60 s instead of hanging.
fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{cmd:?} did not finish within 60 s");
        }
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "mfa-session failed: {}", text(out));
}

fn assert_fails(out: &Output, code: i32, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    let err = stderr(out);
    for needle in needles {
        assert!(
            err.contains(needle),
            "stderr lacks {needle:?}: {}",
            text(out)
        );
    }
}

/// The properties of `[section]` in an INI text.
fn section(content: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut props = Vec::new();
    for line in content.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('[') {
            inside = line == format!("[{name}]");
        } else if inside && let Some((k, v)) = line.split_once('=') {
            props.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    props
}

fn get<'a>(props: &'a [(String, String)], key: &str) -> &'a str {
    props
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {props:?}"))
}

fn parse_time(s: &str) -> SystemTime {
    SystemTime::try_from(DateTime::from_str(s, DateTimeFormat::DateTime).expect(s)).unwrap()
}

fn format_time(t: SystemTime) -> String {
    DateTime::from_secs(DateTime::from(t).secs())
        .fmt(DateTimeFormat::DateTime)
        .unwrap()
}

/// Asserts `t` is `from_now` ahead, give or take two minutes.
fn assert_expires_in(t: SystemTime, from_now: Duration) {
    let expected = SystemTime::now() + from_now;
    let diff = match t.duration_since(expected) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    assert!(
        diff < Duration::from_secs(120),
        "expiration {} is not about {from_now:?} from now",
        format_time(t)
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// boto3's view of profile `$PROFILE` (or of its default chain without it):
/// where its credentials came from, what they are, and who STS (moto) says the
/// caller is.
const BOTO3_PROFILE: &str = r#"
import json, os, boto3
session = boto3.Session(profile_name=os.environ.get("PROFILE"))
c = session.get_credentials()
frozen = c.get_frozen_credentials()
ident = session.client("sts").get_caller_identity()
print(json.dumps({"method": c.method, "access_key": frozen.access_key,
                  "token": frozen.token, "account": ident["Account"], "arn": ident["Arn"]}))
"#;

fn boto3_profile(account: &Account, home: &Home, profile: &str) -> Value {
    account.boto3(home, BOTO3_PROFILE, &[("PROFILE", profile)])
}

#[tokio::test]
async fn writes_the_session_into_the_credentials_file_and_boto3_uses_it() {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    let original = account.credentials_file();
    std::fs::write(home.credentials(), &original).unwrap();
    std::fs::set_permissions(home.credentials(), std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = account.mfa(&home, &["--profile", "jane", "--code", "123456"], None);
    assert_ok(&out);
    assert!(
        stdout(&out).contains(&account.serials[0]),
        "names the device: {}",
        text(&out)
    );

    let written = home.read_credentials();
    let added = written
        .strip_prefix(&original)
        .unwrap_or_else(|| panic!("every original line kept byte-for-byte:\n{written}"));
    assert!(added.starts_with("\n[jane-mfa]\n"), "{added:?}");
    let props = section(&written, "jane-mfa");
    let keys: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
            "expiration"
        ]
    );
    assert_eq!(mode(&home.credentials()), 0o600);
    let expiration = get(&props, "expiration");
    assert_expires_in(parse_time(expiration), Duration::from_secs(12 * 3600));
    assert!(stdout(&out).contains(expiration), "{}", text(&out));
    // The session's secrets are in the file, and nowhere on the terminal.
    for secret in [
        get(&props, "aws_secret_access_key"),
        get(&props, "aws_session_token"),
    ] {
        assert!(
            !text(&out).contains(secret),
            "secret printed: {}",
            text(&out)
        );
    }

    let seen = boto3_profile(&account, &home, "jane-mfa");
    assert_eq!(seen["method"], "shared-credentials-file", "{seen}");
    assert_eq!(seen["access_key"], get(&props, "aws_access_key_id"));
    assert_eq!(seen["token"], get(&props, "aws_session_token"));
    assert_eq!(seen["account"], ACCOUNT);
    // The long-term key still works for its own profile: it was not touched.
    let long_term = boto3_profile(&account, &home, "jane");
    assert_eq!(long_term["access_key"], account.key_id.as_str());
    assert_eq!(
        long_term["arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/engineering/jane")
    );
}

#[tokio::test]
async fn crlf_file_without_final_newline_keeps_its_shape() {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    let original = account
        .credentials_file()
        .trim_end_matches('\n')
        .replace('\n', "\r\n");
    std::fs::write(home.credentials(), &original).unwrap();

    let out = account.mfa(
        &home,
        &[
            "--profile",
            "jane",
            "--code",
            "123456",
            "--output-profile",
            "s",
        ],
        None,
    );
    assert_ok(&out);
    let written = home.read_credentials();
    let added = written
        .strip_prefix(&original)
        .unwrap_or_else(|| panic!("original kept:\n{written:?}"));
    assert!(added.starts_with("\r\n\r\n[s]\r\n"), "{added:?}");
    assert!(
        !written.replace("\r\n", "").contains('\n'),
        "only CRLF line ends: {written:?}"
    );
    let seen = boto3_profile(&account, &home, "s");
    assert_eq!(seen["method"], "shared-credentials-file", "{seen}");
    assert_eq!(
        seen["token"],
        get(&section(&written, "s"), "aws_session_token")
    );
}

#[tokio::test]
async fn a_missing_credentials_file_is_created_0600() {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    // The long-term key comes from the environment; no credentials file yet,
    // and not even its directory.
    std::fs::remove_dir_all(home.0.join(".aws")).unwrap();
    let mut cmd = account.command(BIN, &home);
    cmd.env("AWS_ACCESS_KEY_ID", &account.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &account.secret)
        .args(["--code", "123456"]);
    let out = run(cmd, None);
    assert_ok(&out);
    assert!(stderr(&out).contains("AWS_ACCESS_KEY_ID"), "{}", text(&out));
    let written = home.read_credentials();
    assert!(written.starts_with("[default-mfa]\n"), "{written}");
    assert_eq!(section(&written, "default-mfa").len(), 4);
    assert_eq!(mode(&home.credentials()), 0o600);
}

#[tokio::test]
async fn a_valid_session_is_reused_until_fifteen_minutes_before_it_expires_unless_forced() {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    std::fs::write(home.credentials(), account.credentials_file()).unwrap();
    assert_ok(&account.mfa(&home, &["--profile", "jane", "--code", "123456"], None));
    let first = home.read_credentials();

    // Valid for ~12 h: nothing to do, no code asked (stdin is closed).
    let out = account.mfa(&home, &["--profile", "jane"], None);
    assert_ok(&out);
    assert!(stdout(&out).contains("nothing to do"), "{}", text(&out));
    assert!(stdout(&out).contains("--force"), "{}", text(&out));
    assert_eq!(home.read_credentials(), first);

    let set_expiration = |in_secs: u64| {
        let content = home.read_credentials();
        let old = get(&section(&content, "jane-mfa"), "expiration").to_string();
        let new = format_time(SystemTime::now() + Duration::from_secs(in_secs));
        std::fs::write(home.credentials(), content.replace(&old, &new)).unwrap();
        home.read_credentials()
    };

    // 20 minutes left: still reused.
    let edited = set_expiration(20 * 60);
    let out = account.mfa(&home, &["--profile", "jane"], None);
    assert_ok(&out);
    assert!(stdout(&out).contains("nothing to do"), "{}", text(&out));
    assert_eq!(home.read_credentials(), edited);

    // 10 minutes left: a new session, with the code typed on stdin.
    set_expiration(10 * 60);
    let out = account.mfa(&home, &["--profile", "jane"], Some("123456\n"));
    assert_ok(&out);
    assert!(
        stderr(&out).contains("MFA code for "),
        "prompted: {}",
        text(&out)
    );
    let renewed = home.read_credentials();
    assert_expires_in(
        parse_time(get(&section(&renewed, "jane-mfa"), "expiration")),
        Duration::from_secs(12 * 3600),
    );

    // --force starts a new session although the current one is valid.
    let out = account.mfa(
        &home,
        &[
            "--profile",
            "jane",
            "--code",
            "123456",
            "--force",
            "--duration",
            "1h",
        ],
        None,
    );
    assert_ok(&out);
    let forced = home.read_credentials();
    assert_expires_in(
        parse_time(get(&section(&forced, "jane-mfa"), "expiration")),
        Duration::from_secs(3600),
    );
    // Only the expiration line changed (moto hands out the same keys).
    assert_eq!(forced.lines().count(), first.lines().count());
    assert!(forced.starts_with(&account.credentials_file()));

    // Without a code and with nothing on stdin, an expired session is an error.
    set_expiration(60);
    let out = account.mfa(&home, &["--profile", "jane"], None);
    assert_fails(&out, 1, &["no MFA code given", "--code"]);
}

#[tokio::test]
async fn long_term_credentials_are_never_overwritten() {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    let original = account.credentials_file();
    std::fs::write(home.credentials(), &original).unwrap();
    let out = account.mfa(
        &home,
        &[
            "--profile",
            "jane",
            "--code",
            "123456",
            "--output-profile",
            "default",
            "--force",
        ],
        None,
    );
    assert_fails(&out, 1, &["long-term credentials", "--output-profile"]);
    let out = account.mfa(
        &home,
        &[
            "--profile",
            "jane",
            "--code",
            "123456",
            "--output-profile",
            "jane",
        ],
        None,
    );
    assert_fails(&out, 2, &["must differ from --profile"]);
    assert_eq!(home.read_credentials(), original);
}

#[tokio::test]
async fn credential_process_output_is_cached_and_read_by_boto3() {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    std::fs::write(home.credentials(), account.credentials_file()).unwrap();
    let original = home.read_credentials();

    let out = account.mfa(
        &home,
        &[
            "--profile",
            "jane",
            "--credential-process",
            "--code",
            "123456",
        ],
        None,
    );
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON alone");
    assert_eq!(json["Version"], 1);
    for key in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        assert!(json[key].as_str().is_some_and(|s| !s.is_empty()), "{json}");
    }
    assert_expires_in(
        parse_time(json["Expiration"].as_str().unwrap()),
        Duration::from_secs(12 * 3600),
    );
    assert_eq!(
        home.read_credentials(),
        original,
        "the credentials file is untouched"
    );
    let cache = home.cache_files();
    assert_eq!(cache.len(), 1, "{cache:?}");
    assert_eq!(mode(&cache[0]), 0o600);
    assert_eq!(mode(cache[0].parent().unwrap()), 0o700);

    // Cached: no code needed, the same session comes back.
    let again = account.mfa(&home, &["--profile", "jane", "--credential-process"], None);
    assert_ok(&again);
    assert_eq!(again.stdout, out.stdout);

    // boto3 runs it through credential_process.
    std::fs::write(
        home.config(),
        format!(
            "[profile jane-cp]\ncredential_process = {BIN} --profile jane --credential-process\nregion = us-east-1\n"
        ),
    )
    .unwrap();
    let seen = boto3_profile(&account, &home, "jane-cp");
    assert_eq!(seen["method"], "custom-process", "{seen}");
    assert_eq!(seen["access_key"], json["AccessKeyId"]);
    assert_eq!(seen["token"], json["SessionToken"]);
    assert_eq!(seen["account"], ACCOUNT);

    // Within 15 minutes of expiring, the cache no longer serves: a code is needed.
    let cached = std::fs::read_to_string(&cache[0]).unwrap();
    let soon = format_time(SystemTime::now() + Duration::from_secs(10 * 60));
    std::fs::write(
        &cache[0],
        cached.replace(json["Expiration"].as_str().unwrap(), &soon),
    )
    .unwrap();
    let out = account.mfa(&home, &["--profile", "jane", "--credential-process"], None);
    assert_fails(&out, 1, &["no MFA code given", "--exec -- true"]);
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let out = account.mfa(
        &home,
        &["--profile", "jane", "--credential-process"],
        Some("123456\n"),
    );
    assert_ok(&out);
    let renewed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_expires_in(
        parse_time(renewed["Expiration"].as_str().unwrap()),
        Duration::from_secs(12 * 3600),
    );
}

#[tokio::test]
async fn credential_process_asks_on_the_terminal_when_it_has_no_stdin() {
    // As the Rust and Go SDKs run a credential process: stdin /dev/null,
    // stderr captured. `script` gives it a terminal, where the code is typed.
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    std::fs::write(home.credentials(), account.credentials_file()).unwrap();
    let mut cmd = account.command("script", &home);
    cmd.args([
        "--quiet",
        "--return",
        "--command",
        &format!("{BIN} --profile jane --credential-process </dev/null 2>/dev/null"),
        "/dev/null",
    ]);
    let out = run(cmd, Some("123456\n"));
    assert_ok(&out);
    let terminal = stdout(&out);
    assert!(
        terminal.contains(&format!("MFA code for {}: ", account.serials[0])),
        "the prompt is on the terminal: {terminal:?}"
    );
    let json: Value = serde_json::from_str(terminal[terminal.find('{').unwrap()..].trim())
        .unwrap_or_else(|e| panic!("{e}: {terminal:?}"));
    assert_eq!(json["Version"], 1);
    assert_eq!(home.cache_files().len(), 1);
}

#[tokio::test]
async fn exec_runs_the_command_with_the_session_in_its_environment() {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    std::fs::write(home.credentials(), account.credentials_file()).unwrap();
    let original = home.read_credentials();

    // The profile comes from AWS_PROFILE, which the child must not see.
    let mut cmd = account.command(BIN, &home);
    cmd.env("AWS_PROFILE", "jane").args([
        "--code",
        "123456",
        "--exec",
        "--",
        "sh",
        "-c",
        r#"printf '%s|%s|%s|%s' "$AWS_ACCESS_KEY_ID" "${AWS_PROFILE-unset}" "${#AWS_SECRET_ACCESS_KEY}" "${#AWS_SESSION_TOKEN}"; exit 7"#,
    ]);
    let out = run(cmd, None);
    assert_eq!(
        out.status.code(),
        Some(7),
        "the command's status: {}",
        text(&out)
    );
    let fields: Vec<String> = stdout(&out).split('|').map(str::to_string).collect();
    assert_eq!(fields.len(), 4, "{}", text(&out));
    assert!(fields[0].starts_with("AKIA") || fields[0].starts_with("ASIA"));
    assert_ne!(
        fields[0], account.key_id,
        "the session's key, not the long-term one"
    );
    assert_eq!(fields[1], "unset");
    assert_ne!(fields[2], "0");
    assert_ne!(fields[3], "0");
    assert_eq!(
        home.read_credentials(),
        original,
        "the credentials file is untouched"
    );

    // boto3 in the child finds the session in its environment; the session is cached.
    let out = account.mfa(
        &home,
        &[
            "--profile",
            "jane",
            "--exec",
            "--",
            &venv_tool("python"),
            "-c",
            BOTO3_PROFILE,
        ],
        None,
    );
    assert_ok(&out);
    assert!(
        stderr(&out).contains("cached MFA session"),
        "{}",
        text(&out)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["method"], "env", "{seen}");
    assert_eq!(seen["access_key"], fields[0].as_str());

    let out = account.mfa(
        &home,
        &["--profile", "jane", "--exec", "--", "no-such-command-here"],
        None,
    );
    assert_fails(&out, 127, &["no-such-command-here", "PATH"]);
}

#[tokio::test]
async fn several_devices_need_mfa_serial_in_the_config() {
    let account = Account::new("jane", 2).await;
    let home = Home::new();
    std::fs::write(home.credentials(), account.credentials_file()).unwrap();
    let args = ["--profile", "jane", "--code", "123456"];

    let out = account.mfa(&home, &args, None);
    assert_fails(
        &out,
        1,
        &[
            "IAM user jane has several MFA devices",
            &account.serials[0],
            &account.serials[1],
            "mfa_serial",
            "[profile jane]",
        ],
    );

    std::fs::write(
        home.config(),
        "[profile jane]\nmfa_serial = arn:aws:iam::123456789012:mfa/retired\n",
    )
    .unwrap();
    let out = account.mfa(&home, &args, None);
    assert_fails(
        &out,
        1,
        &["mfa/retired", "is not one of IAM user jane's devices"],
    );

    std::fs::write(
        home.config(),
        format!(
            "[default]\nregion = us-east-1\n\n[profile jane]\nregion = us-east-1\nmfa_serial = {}\n",
            account.serials[1]
        ),
    )
    .unwrap();
    let out = account.mfa(&home, &args, None);
    assert_ok(&out);
    assert!(stdout(&out).contains(&account.serials[1]), "{}", text(&out));

    // An explicit --serial needs no listing.
    let out = account.mfa(
        &home,
        &[
            "--profile",
            "jane",
            "--code",
            "123456",
            "--force",
            "--serial",
            &account.serials[0],
        ],
        None,
    );
    assert_ok(&out);
    assert!(stdout(&out).contains(&account.serials[0]), "{}", text(&out));
}

#[tokio::test]
async fn no_device_or_no_credentials_say_what_to_do() {
    let account = Account::new("jane", 0).await;
    let home = Home::new();
    std::fs::write(home.credentials(), account.credentials_file()).unwrap();
    let out = account.mfa(&home, &["--profile", "jane", "--code", "123456"], None);
    assert_fails(
        &out,
        1,
        &[
            "no MFA device is registered for IAM user jane",
            "Assign MFA device",
        ],
    );

    let out = account.mfa(&home, &["--profile", "nobody", "--code", "123456"], None);
    assert_fails(
        &out,
        1,
        &["no credentials found for profile \"nobody\"", "[nobody]"],
    );
    assert!(
        !stderr(&out).contains("CredentialsNotLoaded"),
        "no Debug dump: {}",
        text(&out)
    );

    let out = account.mfa(&home, &["--profile", "jane", "--duration", "37h"], None);
    assert_fails(&out, 2, &["36h", "900 s"]);
}

/// A local endpoint answering every request with `status` and an STS error document.
fn fake_sts(status: u16, code: &str, message: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut request_body = vec![0; length];
            let _ = reader.read_exact(&mut request_body);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Error\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    endpoint
}

async fn run_against_fake(status: u16, code: &str, message: &str) -> Output {
    let account = Account::new("jane", 1).await;
    let home = Home::new();
    std::fs::write(home.credentials(), account.credentials_file()).unwrap();
    let mut cmd = account.command(BIN, &home);
    cmd.env("AWS_ENDPOINT_URL", fake_sts(status, code, message))
        .args([
            "--profile",
            "jane",
            "--code",
            "123456",
            "--serial",
            &account.serials[0],
        ]);
    let out = run(cmd, None);
    assert!(
        !home.read_credentials().contains("[jane-mfa]"),
        "nothing written on failure"
    );
    out
}

#[tokio::test]
async fn a_rejected_code_is_explained() {
    let out = run_against_fake(
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    )
    .await;
    assert_fails(
        &out,
        1,
        &[
            "AWS rejected the MFA code",
            "invalid MFA one time pass code",
            "wait for the next one",
        ],
    );
}

#[tokio::test]
async fn a_skewed_clock_is_explained() {
    let out = run_against_fake(
        403,
        "SignatureDoesNotMatch",
        "Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)",
    )
    .await;
    assert_fails(&out, 1, &["because of the time", "clock", "time sync"]);
}
