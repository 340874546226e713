//! The onboarding workflow (joiners): the steps, resume and undo ([`Onboarder`]),
//! what an existing user means to it, and the dry-run plan.

mod existing;
mod plan;
mod workflow;

pub use plan::onboarding_plan;
pub use workflow::Onboarder;

#[cfg(test)]
mod tests;
