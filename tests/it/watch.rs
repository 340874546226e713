//! `cargo lambda watch` for the end-to-end tests: the built function with its
//! Function URL emulation at `http://127.0.0.1:PORT/lambda-url/iam-onboarding/`.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::world::World;
use test_support::free_port;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub fn venv_tool(name: &str) -> PathBuf {
    let path = Path::new(ROOT).join(".venv/bin").join(name);
    assert!(
        path.is_file(),
        "{} not found: run ./scripts/setup.sh (or `make test`)",
        path.display()
    );
    path
}

/// `PATH` with the project's venv first, so `cargo lambda` finds cargo-lambda.
fn path_with_venv() -> String {
    format!(
        "{}:{}",
        venv_tool("cargo-lambda").parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `cargo lambda watch` in its own process group, killed with its children on drop.
pub struct Watch {
    child: Child,
    pub port: u16,
}

impl Watch {
    pub fn start(world: &World, env_file: &Path) -> Self {
        Self::start_on(world, env_file, free_port())
    }

    /// [`Watch::start`] on `port` (for a function that must know its own URL).
    pub fn start_on(world: &World, env_file: &Path, port: u16) -> Self {
        Self::start_via(&world.moto.endpoint, env_file, port)
    }

    /// [`Watch::start_on`] with the AWS endpoint `endpoint` (a proxy in front of moto).
    pub fn start_via(endpoint: &str, env_file: &Path, port: u16) -> Self {
        let child = Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
            ])
            .arg("--env-file")
            .arg(env_file)
            .current_dir(ROOT)
            .env("PATH", path_with_venv())
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("cargo lambda watch starts");
        let watch = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        watch
    }

    pub fn invoke(&self, data_file: &Path) -> Output {
        Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                "iam-onboarding",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args([
                "--invoke-port",
                &self.port.to_string(),
                "--output-format",
                "json",
                "--data-file",
            ])
            .arg(data_file)
            .current_dir(ROOT)
            .env("PATH", path_with_venv())
            .output()
            .expect("cargo lambda invoke runs")
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}
