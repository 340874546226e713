//! `iam-onboarding-import [check] FILE`, `send FILE --queue-url URL`,
//! `status FILE` (docs/bulk-onboarding.md). Exit status: 0 done; 1 a row refused
//! (check, send) or an entry not queued; 2 the file, the mapping or AWS failed.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use iam_onboarding::hr::GroupName;
use iam_onboarding_import::check::{Checked, check};
use iam_onboarding_import::rows::{Mapping, read_file};
use iam_onboarding_import::send::{Ledger, send};
use iam_onboarding_import::status::{Progress, managed_users, progress_of};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "iam-onboarding-import",
    version,
    about = "Feeds the bulk onboarding queue from an HR export (CSV)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validates every row with the function's rules; changes nothing (the default).
    Check(Source),
    /// Puts the valid rows on the queue, at most once per person.
    Send {
        #[command(flatten)]
        source: Source,
        /// The bulk queue (stack output OnboardingQueueUrl).
        #[arg(long)]
        queue_url: String,
    },
    /// How many of the file's people are complete, pending, failed.
    Status(Source),
}

#[derive(Args)]
struct Source {
    /// The HR export: UTF-8 CSV, `,` or `;`, a header line.
    file: PathBuf,
    /// A column for a field, e.g. `--map email="Work Email"` (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    map: Vec<String>,
    /// A file of FIELD=COLUMN lines.
    #[arg(long, value_name = "FILE")]
    map_file: Option<PathBuf>,
    /// The function's ALLOWED_GROUPS (comma-separated); default: the ALLOWED_GROUPS variable.
    #[arg(long, env = "ALLOWED_GROUPS", default_value = "")]
    allowed_groups: String,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("iam-onboarding-import: {message}");
    ExitCode::from(2)
}

/// The rows of the source, checked; a report of the refused ones on stdout.
fn checked(source: &Source) -> Result<Checked, String> {
    let mut pairs: Vec<String> = source.map.clone();
    if let Some(path) = &source.map_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        pairs.extend(text.lines().map(str::to_string));
    }
    let mapping = Mapping::parse(pairs.iter().map(String::as_str)).map_err(|e| e.to_string())?;
    let allowed = source
        .allowed_groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|g| GroupName::parse(g).map_err(|r| format!("--allowed-groups {g:?}: {r}")))
        .collect::<Result<Vec<_>, _>>()?;
    let rows =
        read_file(&source.file, &mapping).map_err(|e| format!("{}: {e}", source.file.display()))?;
    let checked = check(&rows, &allowed);
    for refused in &checked.refused {
        println!(
            "line {}: {}: {}",
            refused.line, refused.field, refused.reason
        );
    }
    println!(
        "{}: {} rows, {} valid, {} refused",
        source.file.display(),
        rows.len(),
        checked.accepted.len(),
        checked.refused.len()
    );
    Ok(checked)
}

async fn clients() -> (aws_sdk_sqs::Client, aws_sdk_iam::Client) {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    (
        aws_sdk_sqs::Client::new(&sdk),
        aws_sdk_iam::Client::new(&sdk),
    )
}

/// A bar on a terminal; plain lines otherwise.
fn reporter(total_hint: &str) -> impl FnMut(usize, usize) {
    let terminal = std::io::stderr().is_terminal();
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} people queued ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let hint = total_hint.to_string();
    move |done, total| {
        if terminal {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if done == total {
                bar.finish();
            }
        } else {
            eprintln!("{hint}: queued {done}/{total}");
        }
    }
}

async fn run_send(source: &Source, queue_url: &str) -> ExitCode {
    let checked = match checked(source) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let (sqs, iam) = clients().await;
    let onboarded: HashSet<String> = match managed_users(&iam).await {
        Ok(users) => users
            .into_iter()
            .filter(|(_, status)| status != "failed")
            .map(|(hash, _)| hash)
            .collect(),
        Err(e) => return fail(format!("GetAccountAuthorizationDetails: {e}")),
    };
    let mut ledger = match Ledger::open(&source.file) {
        Ok(l) => l,
        Err(e) => return fail(format!("the ledger: {e}")),
    };
    let name = source.file.display().to_string();
    let sent = match send(
        &sqs,
        queue_url,
        &checked.accepted,
        &onboarded,
        &mut ledger,
        reporter(&name),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    for (line, reason) in &sent.failed {
        println!("line {line}: not queued: {reason}");
    }
    println!(
        "queued {}, already queued {}, already onboarded {}, not queued {}, refused {}",
        sent.queued,
        sent.already_queued,
        sent.already_onboarded,
        sent.failed.len(),
        checked.refused.len()
    );
    if sent.failed.is_empty() && checked.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn run_status(source: &Source) -> ExitCode {
    let checked = match checked(source) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let (_, iam) = clients().await;
    let users = match managed_users(&iam).await {
        Ok(users) => users,
        Err(e) => return fail(format!("GetAccountAuthorizationDetails: {e}")),
    };
    let ledger = match Ledger::open(Path::new(&source.file)) {
        Ok(l) => l,
        Err(e) => return fail(format!("the ledger: {e}")),
    };
    let mut counts = std::collections::BTreeMap::new();
    for row in &checked.accepted {
        let progress = progress_of(row, &users, &ledger);
        if progress == Progress::Failed {
            println!(
                "line {}: failed (see the function's logs and the queue's dead-letter queue)",
                row.line
            );
        }
        *counts.entry(progress).or_insert(0usize) += 1;
    }
    let summary: Vec<String> = [
        Progress::Complete,
        Progress::Pending,
        Progress::Failed,
        Progress::Offboarded,
        Progress::NotSent,
    ]
    .iter()
    .map(|p| format!("{} {}", p.as_str(), counts.get(p).copied().unwrap_or(0)))
    .collect();
    println!("{}", summary.join(", "));
    ExitCode::SUCCESS
}

#[tokio::main]
async fn main() -> ExitCode {
    // `check` is the default: `iam-onboarding-import FILE` checks FILE.
    let mut args: Vec<String> = std::env::args().collect();
    let known = [
        "check",
        "send",
        "status",
        "help",
        "-h",
        "--help",
        "-V",
        "--version",
    ];
    if args.len() > 1 && !known.contains(&args[1].as_str()) {
        args.insert(1, "check".into());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check(source) => match checked(&source) {
            Ok(c) if c.refused.is_empty() => ExitCode::SUCCESS,
            Ok(_) => ExitCode::from(1),
            Err(e) => fail(e),
        },
        Command::Send { source, queue_url } => run_send(&source, &queue_url).await,
        Command::Status(source) => run_status(&source).await,
    }
}
