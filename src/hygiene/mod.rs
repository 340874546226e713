//! Credential hygiene: the scheduled sweep over the IAM credential report
//! (unused one-time passwords expire, missing MFA is chased, leavers are
//! deleted after a grace period, unused access keys are reported or
//! deactivated), with its rails; see the README, "Credential hygiene".

mod deletion;
pub mod reminder_email;
pub mod report;
pub mod rules;
pub mod summary;
mod sweep;

pub use summary::{ActionOutcome, SweepOutcome, SweepSummary};
pub use sweep::Sweeper;

#[cfg(test)]
mod tests;
