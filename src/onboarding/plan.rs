//! The dry run: what a real run would do for one employee, without any write.

use crate::config::Config;
use crate::hr::Employee;
use crate::identity::Step;
use crate::identity::ownership::STATUS_TAG;

/// The calls a real onboarding of `employee` would make, one line each, in order.
pub fn onboarding_plan(config: &Config, employee: &Employee) -> Vec<String> {
    let mut plan = vec![format!(
        "{} {} under {} with tags {} and {}",
        Step::CreateUser.operation(),
        employee.username,
        config.user_path.as_str(),
        employee
            .tags
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        match &config.permissions_boundary_arn {
            Some(arn) => format!("permissions boundary {arn}"),
            None => "no permissions boundary".into(),
        }
    )];
    plan.push(format!(
        "{} with a one-time password (PasswordResetRequired=true)",
        Step::CreateLoginProfile.operation()
    ));
    plan.push(format!(
        "{} {}",
        Step::AttachPolicy.operation(),
        config.self_manage_policy_arn
    ));
    plan.extend(
        employee
            .groups
            .iter()
            .map(|g| format!("{} {}", Step::AddToGroup.operation(), g.as_str())),
    );
    plan.push(format!(
        "{} from {} to {} with the sign-in instructions",
        Step::SendEmail.operation(),
        config.sender.as_str(),
        employee.email.as_str()
    ));
    plan.push(format!(
        "{} {STATUS_TAG}=complete",
        Step::MarkComplete.operation()
    ));
    plan
}
