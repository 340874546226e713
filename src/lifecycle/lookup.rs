//! Finding the user a leaver or mover names; a user that is not theirs is
//! refused with `not_found` or `conflict`, and nothing is changed.

use crate::aws::AwsError;
use crate::aws::iam::{ExistingUser, Iam};
use crate::identity::ownership::{OUTSIDE_PATH, Person, Recognised};
use crate::identity::{EmployeeResult, ResultError, Status, Step};

/// What the lookup of a [`Person`] found.
#[derive(Debug)]
pub enum Lookup {
    /// The person's user, and how it was recognised.
    Found(ExistingUser, Recognised),
    /// Nothing to act on: the result (`not_found`, `conflict`, or `failed` when
    /// `GetUser` failed); nothing was changed.
    Refused(Box<EmployeeResult>),
}

/// Looks up `person`'s user (one `GetUser`) and recognises it against `path`.
pub async fn find_person(iam: &Iam, person: &Person<'_>, path: &str) -> Lookup {
    let name = person.username;
    let reason = match Step::GetUser.run(iam.get_user(name)).await {
        Ok(Some(user)) => match person.recognise(&user, path) {
            Recognised::Foreign(reason) => reason,
            recognised => return Lookup::Found(user, recognised),
        },
        Ok(None) => {
            return refused(
                name,
                Status::NotFound,
                "UserNotFound",
                "no IAM user with this name exists; nothing was changed".into(),
            );
        }
        // The execution role may read users only under its own path.
        Err(err) if err.is("AccessDenied") => OUTSIDE_PATH,
        Err(err) => return failed_lookup(name, &err),
    };
    refused(
        name,
        Status::Conflict,
        "UserConflict",
        format!("{reason}; nothing was changed"),
    )
}

/// Like [`find_person`], for the actions that take the person exactly as
/// onboarded (`offboard`, and `resend`, which emails a password): a user
/// recognised by one identifier but carrying another value of the other (an
/// email or employee id change, an `update`'s to make) is a `conflict`, and
/// nothing is changed.
pub async fn find_person_exactly(iam: &Iam, person: &Person<'_>, path: &str) -> Lookup {
    let which = match find_person(iam, person, path).await {
        Lookup::Found(_, Recognised::EmailChanged) => {
            "employee id was onboarded with another email"
        }
        Lookup::Found(_, Recognised::EmployeeIdChanged) => {
            "email was onboarded with another employee id"
        }
        found => return found,
    };
    refused(
        person.username,
        Status::Conflict,
        "UserConflict",
        format!(
            "the IAM user with this name and {which} (send an update first); nothing was changed"
        ),
    )
}

fn refused(name: &str, status: Status, code: &str, message: String) -> Lookup {
    let mut result = EmployeeResult::for_user(name, status);
    result.error = Some(ResultError {
        code: code.into(),
        message,
        field: Some("username".into()),
        step: None,
    });
    Lookup::Refused(Box::new(result))
}

fn failed_lookup(name: &str, err: &AwsError) -> Lookup {
    let result = EmployeeResult::for_user(name, Status::Failed).with_failure(
        Step::GetUser,
        err,
        "; nothing was changed",
    );
    Lookup::Refused(Box::new(result))
}
