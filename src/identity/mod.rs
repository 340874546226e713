//! The vocabulary of a managed user, shared by every workflow and adapter and
//! importing none of them: the ownership and status tags, [`Status`] and
//! [`EmployeeResult`], [`Step`], the AWS error, [`OneTimePassword`], the
//! reveal link's sealing, the rendered email, the webhook [`SigningKey`] and input [`FieldError`]s.

mod account;
mod aws_error;
mod field_error;
mod outcome;
pub mod ownership;
pub mod password;
pub mod reveal_link;
mod signing_key;
mod step;
mod user;
pub mod welcome_email;

pub use account::AccountContext;
pub use aws_error::AwsError;
pub use field_error::{FieldError, FieldWarning};
pub use outcome::{DEADLINE_EXCEEDED, EmployeeResult, ResultError, Status};
pub use password::{OneTimePassword, PasswordPolicy};
pub use signing_key::{SigningKey, WHSEC_PREFIX};
pub use step::Step;
pub use user::ExistingUser;
pub use welcome_email::{Credential, RenderedEmail, WelcomeEmail};
