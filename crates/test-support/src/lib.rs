//! Test harness for the workspace's test suites: a private moto server per test
//! (started on a free loopback port, stopped on drop, with AWS managed policies and
//! the service-specific credential calls of `moto-iam-extras.py`), SDK settings
//! that can only reach it, a delay proxy for AWS-like latency ([`DelayProxy`]),
//! a stand-in for HiBob's People API ([`FakeHiBob`]), a local SQS event source
//! ([`SqsPoller`]),
//! and the tools `make test` installs into the project's `.venv`.

mod hibob;
mod proxy;
mod sqs;

pub use hibob::FakeHiBob;
pub use proxy::DelayProxy;
pub use sqs::{Poll, SqsPoller};

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use serde_json::Value;

/// The workspace's top folder (where `Cargo.toml`, `.venv` and `events/` are).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `tool` from the project's `.venv/bin`. Missing is a hard failure: a test that
/// cannot run its tool must not pass.
pub fn venv_tool(tool: &str) -> String {
    let path = workspace_root().join(".venv/bin").join(tool);
    assert!(
        path.is_file(),
        "{} not found: run ./scripts/setup.sh (or `make test`), which installs it into .venv",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// SDK configuration for the emulator: explicit region, dummy credentials, no IMDS.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await
}

/// A running moto standalone server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
}

/// The moto_server executable: `$MOTO_SERVER`, else the project's `.venv`.
/// Missing is a hard failure: a test that cannot reach the emulator must not pass.
fn moto_executable() -> String {
    match std::env::var("MOTO_SERVER") {
        Ok(path) => {
            assert!(
                std::path::Path::new(&path).is_file(),
                "MOTO_SERVER={path} is not a file: run ./scripts/setup.sh (or `make test`)"
            );
            path
        }
        Err(_) => venv_tool("moto_server"),
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Moto {
    /// Starts moto and waits until it answers.
    pub fn start() -> Self {
        let port = free_port();
        // moto_server's own Python runs it with the IAM calls moto lacks (moto-iam-extras.py).
        let python = PathBuf::from(moto_executable()).with_file_name("python");
        let extras = workspace_root().join("crates/test-support/moto-iam-extras.py");
        let child = Command::new(python)
            .arg(extras)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // AWS managed policies (AWSDenyAll, which offboarding attaches) exist only with this.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start listening on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// moto's whole state as JSON (`/moto-api/data.json`).
    pub fn data(&self) -> Value {
        let body = ureq::get(&format!("{}/moto-api/data.json", self.endpoint))
            .call()
            .expect("moto data.json")
            .body_mut()
            .read_to_string()
            .expect("data.json body");
        serde_json::from_str(&body).expect("data.json is JSON")
    }

    /// Every email SES accepted: (source, destinations, subject, body (HTML part)).
    pub fn emails(&self) -> Vec<SentEmail> {
        let data = self.data();
        data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|m| SentEmail {
                source: m["source"].as_str().unwrap_or_default().to_string(),
                to: m["destinations"]["ToAddresses"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                subject: m["subject"].as_str().unwrap_or_default().to_string(),
                html: m["body"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }

    /// moto's record of a user (name, path, tags, password, policies, groups), if it exists.
    pub fn user(&self, name: &str) -> Option<Value> {
        let data = self.data();
        data["iam"]["User"]
            .as_array()?
            .iter()
            .find(|u| u["name"] == name)
            .cloned()
    }

    /// Names of all IAM users.
    pub fn user_names(&self) -> Vec<String> {
        let data = self.data();
        data["iam"]["User"]
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .filter_map(|u| u["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of tag `key` in moto's record of a user.
pub fn tag<'a>(user: &'a Value, key: &str) -> Option<&'a str> {
    user["tags"]
        .as_array()?
        .iter()
        .find(|t| t["Key"] == key)
        .and_then(|t| t["Value"].as_str())
}

/// An email as moto recorded it.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub source: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The HTML part (moto keeps only that when both parts are sent).
    pub html: String,
}

impl SentEmail {
    /// The reveal link (`…/reveal/<id>#<secret>`) of a `PASSWORD_DELIVERY=link`
    /// email's HTML part, unescaped; `None` when it has none.
    pub fn reveal_link(&self) -> Option<String> {
        let marker = "<a href=\"";
        self.html.match_indices(marker).find_map(|(at, _)| {
            let start = at + marker.len();
            let end = start + self.html[start..].find('"')?;
            let href = self.html[start..end].replace("&amp;", "&");
            href.contains("/reveal/").then_some(href)
        })
    }

    /// The one-time password shown in the HTML part, unescaped.
    pub fn password(&self) -> String {
        let marker = "One-time password</td><td><code>";
        let start = self.html.find(marker).expect("password row") + marker.len();
        let end = start + self.html[start..].find("</code>").expect("end of password");
        self.html[start..end]
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }
}
