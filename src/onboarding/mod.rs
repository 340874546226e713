//! The onboarding workflow (joiners) and what it is made of.

mod account;
mod outcome;
pub mod ownership;
pub mod password;
mod plan;
mod step;
pub mod welcome_email;
mod workflow;

pub use account::{AccountContext, AccountSettings};
pub use outcome::{EmployeeResult, ResultError, Status};
pub use plan::onboarding_plan;
pub use step::Step;
pub use workflow::Onboarder;

#[cfg(test)]
pub(crate) mod tests;
