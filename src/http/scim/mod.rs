//! SCIM 2.0 service provider (RFC 7643, RFC 7644) at `/scim/v2`, for identity
//! providers (Okta, Entra ID): users and allowed groups, with IAM as the store
//! and the workflows doing every change.

mod discovery;
mod error;
mod groups;
mod patch;
mod query;
mod route;
mod service;
mod user;
mod users;

pub use error::{ERROR_SCHEMA, ScimError};
pub use groups::GROUP_SCHEMA;
pub use patch::{Op, Operation, PATCH_SCHEMA, apply as apply_patch, operations};
pub use query::{GroupFilter, ListRequest, MAX_RESULTS, Projection, UserFilter};
pub use route::{not_found, routes};
pub use service::{ScimParts, ScimService};
pub use user::{ENTERPRISE_SCHEMA, EmailShape, ScimUser, USER_SCHEMA, UserMeta};

/// SCIM's media type (RFC 7644 §3.1).
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";
