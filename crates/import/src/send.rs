//! `send`: the valid rows onto the queue, one person per message (so a retry or
//! the dead-letter queue holds exactly that person), ten per `SendMessageBatch`.
//!
//! At most once per person, across re-runs of the same file: a person is skipped
//! when the ledger `FILE.sent` (one JSON line per queued person: the address's
//! SHA-256, the message id, the time; written after every batch) already has
//! them, or when IAM already has their user (one `GetAccountAuthorizationDetails`
//! walk, [`crate::status::managed_users`]) in any state but `failed`. The
//! function itself is idempotent too: a duplicate message finds the user and
//! answers `already_onboarded`.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde_json::json;

use crate::check::Accepted;

/// Most entries of one `SendMessageBatch` (Amazon SQS API reference).
pub const BATCH: usize = 10;

/// The record of who this file already queued.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    sent: HashSet<String>,
}

impl Ledger {
    /// The ledger of `file` (`<file>.sent`), empty when absent.
    pub fn open(file: &Path) -> std::io::Result<Self> {
        let mut path = file.as_os_str().to_owned();
        path.push(".sent");
        let path = PathBuf::from(path);
        let mut sent = HashSet::new();
        if let Ok(f) = std::fs::File::open(&path) {
            for line in BufReader::new(f).lines() {
                let line = line?;
                if let Some(hash) = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v["emailSha256"].as_str().map(str::to_string))
                {
                    sent.insert(hash);
                }
            }
        }
        Ok(Self { path, sent })
    }

    /// Whether the person with this address hash was queued.
    pub fn contains(&self, email_sha256: &str) -> bool {
        self.sent.contains(email_sha256)
    }

    /// Appends queued people (address hash, message id) and syncs the file.
    pub fn record(&mut self, queued: &[(String, String)]) -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        for (hash, message_id) in queued {
            writeln!(
                file,
                "{}",
                json!({"emailSha256": hash, "messageId": message_id, "sentAt": now})
            )?;
            self.sent.insert(hash.clone());
        }
        file.sync_all()
    }
}

/// What one `send` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// People put on the queue now.
    pub queued: usize,
    /// Skipped: already in the ledger.
    pub already_queued: usize,
    /// Skipped: IAM already has their user.
    pub already_onboarded: usize,
    /// Entries SQS refused: (line, reason).
    pub failed: Vec<(u64, String)>,
}

/// Sends the rows of `accepted` that are neither in `ledger` nor onboarded
/// (`onboarded`: the address hashes to skip) to `queue_url`, calling
/// `progress(done, total)` after each batch.
pub async fn send(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    accepted: &[Accepted],
    onboarded: &HashSet<String>,
    ledger: &mut Ledger,
    mut progress: impl FnMut(usize, usize),
) -> Result<Sent, String> {
    let mut sent = Sent::default();
    let mut todo = Vec::new();
    for row in accepted {
        if ledger.contains(&row.email_sha256) {
            sent.already_queued += 1;
        } else if onboarded.contains(&row.email_sha256) {
            sent.already_onboarded += 1;
        } else {
            todo.push(row);
        }
    }
    let total = todo.len();
    for (batch_index, batch) in todo.chunks(BATCH).enumerate() {
        let entries = batch
            .iter()
            .map(|row| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("line-{}", row.line))
                    .message_body(row.body.to_string())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = sqs
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| format!("SendMessageBatch: {}", aws_sdk_sqs::Error::from(e)))?;
        let line_of = |id: &str| id.trim_start_matches("line-").parse::<u64>().unwrap_or(0);
        let queued: Vec<(String, String)> = output
            .successful()
            .iter()
            .filter_map(|ok| {
                let line = line_of(ok.id());
                batch
                    .iter()
                    .find(|row| row.line == line)
                    .map(|row| (row.email_sha256.clone(), ok.message_id().to_string()))
            })
            .collect();
        ledger
            .record(&queued)
            .map_err(|e| format!("writing the ledger: {e}"))?;
        sent.queued += queued.len();
        for failed in output.failed() {
            sent.failed.push((
                line_of(failed.id()),
                format!(
                    "{}: {}",
                    failed.code(),
                    failed.message().unwrap_or_default()
                ),
            ));
        }
        progress((batch_index * BATCH + batch.len()).min(total), total);
    }
    Ok(sent)
}
