//! HR input: the request an HR system sends and the validated values made from it.

mod address;
mod employee;
mod iam_names;
mod leaver;
mod request;
mod tags;

pub use crate::identity::{FieldError, FieldWarning};
pub use address::{Email, mask_email, mask_emails_in};
pub use employee::{Employee, EmployeeRecord, GroupChanges, MAX_GROUPS};
pub use iam_names::{GroupName, UserPath, Username};
pub use leaver::{Leaver, LeaverRecord, parse_rfc3339};
pub use request::{
    Action, HrRequest, MAX_BATCH, OffboardingRequest, OnboardingRequest, ResendRequest,
};
pub use tags::{
    MAX_TAG_VALUE_CHARS, MAX_TAGS, TAG_SUBSTITUTE, check_tag_key, decode_tag_text, encode_tag_text,
    is_valid_tag_value, normalise_tag_value,
};
