//! `iam-onboarding-import`: an HR export (CSV) onto the bulk onboarding queue
//! (docs/bulk-onboarding.md). [`rows`] reads the file, [`check`] validates every
//! row with the function's own rules, [`send`] queues the valid ones (at most
//! once per person), [`status`] reports how far the file's people are.

pub mod check;
pub mod rows;
pub mod send;
pub mod status;
